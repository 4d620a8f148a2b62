"""From a QuickBooks invoice to the copy the local mirror keeps (pure: no I/O).

Every writer of the mirror (the panel's refresh, the all-invoices modal's sync, an action's
answer, a newly created invoice) turns what QuickBooks returned into an
:class:`~extension.store.invoice_mirror.InvoiceVersion` here, so they all keep the same fields
the same way.
"""

from __future__ import annotations

from datetime import datetime

from extension.quickbooks.invoice_models import Invoice
from extension.store.invoice_mirror import InvoiceVersion

__all__ = ["invoice_version"]


def invoice_version(
    invoice: Invoice, *, realm_id: str, read_at: datetime, voided: bool
) -> InvoiceVersion:
    """The mirror's copy of ``invoice`` as read from ``realm_id`` at ``read_at``.

    ``voided`` says a void was performed or received as an event; an invoice that reads as
    voided (zeroed, "Voided" note) counts as voided either way. An answer without
    ``MetaData.LastUpdatedTime`` is dated by when it was read. Without ``CurrencyRef`` (a
    company without multicurrency) the currency is left empty: it is the home currency, which
    the reader of the mirror knows.
    """
    if not realm_id:
        # Ids mean something only inside their QuickBooks company; a version read from an
        # unknown one must never reach the mirror.
        raise ValueError("an invoice version needs the realm it was read from")
    return InvoiceVersion(
        invoice_id=invoice.id,
        customer_id=invoice.customer.value if invoice.customer else "",
        txn_date=invoice.txn_date or read_at.date(),
        currency=invoice.currency.value if invoice.currency else "",
        total=invoice.total,
        balance=invoice.balance,
        updated_at=invoice.updated_at or read_at,
        customer_name=invoice.customer.name if invoice.customer else "",
        doc_number=invoice.doc_number,
        due_date=invoice.due_date,
        email_status=invoice.email_status,
        delivered_at=invoice.delivered_at,
        bill_email=invoice.bill_email,
        online_payment_allowed=invoice.allow_online_payment,
        voided=voided or invoice.looks_voided,
        sync_token=invoice.sync_token,
        payment_ids=invoice.linked_payment_ids,
    )
