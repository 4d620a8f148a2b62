"""One invoice as the deal panel and the all-invoices modal show it, built from the mirror.

A row carries the derived status (``derive_status`` on the mirrored amounts, in the QuickBooks
company's today), whether QuickBooks can give it a payment link and if not why, the address an
email would go to, where it opens in QuickBooks, and which deal it is linked to. Rows are plain
values: templates render them without asking anything of anyone, and each has a ``version``
that an open panel compares to learn which rows changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlencode

from extension.invoicing.invoice_status import (
    InvoiceState,
    InvoiceStatus,
    derive_status,
    was_emailed,
)
from extension.settings import Settings
from extension.store.invoice_models import MirroredInvoice
from extension.store.link_models import DealInvoiceLink

__all__ = [
    "LinkBlocker",
    "InvoiceRow",
    "row_from_mirror",
    "unread_row",
    "quickbooks_app_url",
]


class LinkBlocker(StrEnum):
    """Why QuickBooks gives no payment link (reference §3.4); NONE when it can."""

    NONE = ""
    PAYMENTS_OFF = "payments_off"  # the company does not take payments online
    NO_EMAIL = "no_email"  # the invoice has no billing email
    NOT_PAYABLE_ONLINE = "not_payable_online"  # online payment is off on the invoice
    CLOSED = "closed"  # voided or deleted


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    invoice_id: str
    doc_number: str
    customer_id: str
    customer_name: str
    txn_date: date | None
    status: InvoiceStatus
    bill_email: str
    link_blocker: LinkBlocker
    quickbooks_url: str
    read: bool = True  # False: linked, but not read from QuickBooks yet
    linked_deal_id: int | None = None
    linked_deal_title: str = ""

    # What summaries need (``extension.invoicing.summaries.Summable``).
    @property
    def state(self) -> InvoiceState:
        return self.status.state

    @property
    def currency(self) -> str:
        return self.status.currency

    @property
    def total(self) -> Decimal:
        return self.status.total

    @property
    def balance(self) -> Decimal:
        return self.status.balance

    @property
    def number(self) -> str:
        """What people call the invoice: its number, or QuickBooks' id when it has none."""
        return self.doc_number or self.invoice_id

    @property
    def paid(self) -> Decimal:
        """What payments (or credits) took off it: what a void or delete leaves as credit."""
        if self.state in (InvoiceState.VOIDED, InvoiceState.DELETED):
            return Decimal("0")
        return max(self.total - self.balance, Decimal("0"))

    @property
    def closed(self) -> bool:
        return self.state in (InvoiceState.VOIDED, InvoiceState.DELETED)

    @property
    def dom_id(self) -> str:
        return f"invoice-{self.invoice_id}"

    @property
    def version(self) -> str:
        """Changes whenever anything the row shows changes (its status on a new day too):
        what an open panel compares to re-render only the rows that changed."""
        return hashlib.blake2b(repr(self).encode(), digest_size=6).hexdigest()


def quickbooks_app_url(settings: Settings, invoice_id: str) -> str:
    """Where the invoice opens in QuickBooks: Intuit's production or sandbox app, or the
    local stand-in's page at the same path."""
    if settings.sandbox:
        base = settings.sandbox_base_url + "/quickbooks/app"
    elif settings.qbo_environment == "production":
        base = "https://app.qbo.intuit.com/app"
    else:
        base = "https://app.sandbox.qbo.intuit.com/app"
    return f"{base}/invoice?{urlencode({'txnId': invoice_id})}"


def _link_blocker(row: MirroredInvoice, closed: bool, online_payments: bool) -> LinkBlocker:
    """QuickBooks links an invoice that has a billing email and may be paid online, in a
    company that takes payments online. The company's switch is as read when QuickBooks was
    connected, so it only explains a missing link; an invoice that may be paid online is always
    worth asking (the company can only allow that while it takes payments)."""
    if closed:
        return LinkBlocker.CLOSED
    if not row.bill_email:
        return LinkBlocker.NO_EMAIL
    if not row.online_payment_allowed:
        return LinkBlocker.NOT_PAYABLE_ONLINE if online_payments else LinkBlocker.PAYMENTS_OFF
    return LinkBlocker.NONE


def row_from_mirror(
    row: MirroredInvoice,
    *,
    today: date,
    home_currency: str,
    online_payments: bool,
    settings: Settings,
    link: DealInvoiceLink | None = None,
) -> InvoiceRow:
    status = derive_status(
        currency=row.currency or home_currency,
        total=row.total,
        balance=row.balance,
        due_date=row.due_date,
        today=today,
        voided=row.voided,
        deleted=row.deleted,
        emailed=was_emailed(row.email_status, row.delivered_at),
        emailed_at=row.delivered_at,
    )
    closed = status.state in (InvoiceState.VOIDED, InvoiceState.DELETED)
    return InvoiceRow(
        invoice_id=row.invoice_id,
        doc_number=row.doc_number,
        customer_id=row.customer_id,
        customer_name=row.customer_name,
        txn_date=row.txn_date,
        status=status,
        bill_email=row.bill_email,
        link_blocker=_link_blocker(row, closed, online_payments),
        quickbooks_url=quickbooks_app_url(settings, row.invoice_id),
        linked_deal_id=link.deal_id if link else None,
        linked_deal_title=link.deal_title if link else "",
    )


def unread_row(
    link: DealInvoiceLink, *, home_currency: str, settings: Settings, deleted: bool = False
) -> InvoiceRow:
    """A linked invoice the mirror has no copy of: not read yet, or (``deleted``) not found in
    QuickBooks when it was read."""
    state = InvoiceState.DELETED if deleted else InvoiceState.OPEN
    return InvoiceRow(
        invoice_id=link.invoice_id,
        doc_number="",
        customer_id="",
        customer_name="",
        txn_date=None,
        status=InvoiceStatus(state, home_currency, Decimal("0"), Decimal("0")),
        bill_email="",
        link_blocker=LinkBlocker.CLOSED,
        quickbooks_url=quickbooks_app_url(settings, link.invoice_id),
        read=deleted,
        linked_deal_id=link.deal_id,
        linked_deal_title=link.deal_title,
    )
