"""An invoice as QuickBooks returned it → the version the local mirror keeps (pure).

The mirror (``extension.store.invoice_mirror``) stores what the deal panel shows; which of two
versions is newer is decided by ``MetaData.LastUpdatedTime``. An answer without one (QuickBooks
always sends it; a stub may not) counts as read at ``read_at``, so it never overwrites a
version QuickBooks dated later.
"""

from __future__ import annotations

from datetime import datetime

from extension.quickbooks.invoice_models import Invoice
from extension.store.invoice_mirror import InvoiceVersion

__all__ = ["invoice_version"]


def invoice_version(
    invoice: Invoice, *, realm_id: str, read_at: datetime, voided: bool
) -> InvoiceVersion:
    """The mirrored fields of ``invoice``; ``voided`` is the domain's verdict (QuickBooks has
    no flag). Raises ValueError for an answer that is not a whole invoice (no customer or date)."""
    if invoice.customer is None or invoice.txn_date is None:
        raise ValueError(f"invoice {invoice.id} of realm {realm_id} is not a whole invoice")
    return InvoiceVersion(
        invoice_id=invoice.id,
        customer_id=invoice.customer.value,
        customer_name=invoice.customer.name,
        txn_date=invoice.txn_date,
        due_date=invoice.due_date,
        currency=invoice.currency.value if invoice.currency else "",
        total=invoice.total,
        balance=invoice.balance,
        updated_at=invoice.updated_at or read_at,
        doc_number=invoice.doc_number,
        email_status=invoice.email_status,
        delivered_at=invoice.delivered_at,
        bill_email=invoice.bill_email,
        online_payment_allowed=bool(invoice.invoice_link),
        voided=voided or invoice.looks_voided,
        sync_token=invoice.sync_token,
    )
