"""An invoice's status as the panel shows it, derived from what QuickBooks holds.

QuickBooks' REST Invoice has no status field (reference quickbooks.md §3.3), so it is derived,
following Intuit's definitions:

- **Paid**: ``Balance`` 0 (nothing left to pay; a zero invoice that was not voided too).
- **Partially paid**: ``0 < Balance < TotalAmt``.
- **Open**: ``Balance == TotalAmt > 0``.
- **Overdue**: a balance left and ``DueDate`` before today *in the QuickBooks company's time
  zone*: an invoice due today is not overdue until that day has ended where the company is,
  whatever the time is in UTC or for the viewer. It takes precedence over Open and Partially
  paid (``partially_paid`` still says whether money came in).
- **Voided**: QuickBooks keeps a voided invoice with "all amounts and quantities zeroed" and
  the word "Voided" prepended to its ``PrivateNote`` (sample: ``"PrivateNote": "Voided"``,
  ``TotalAmt`` 0, ``Balance`` 0). A real zero-amount invoice reads the same except for the
  note, so a void we performed or received as a ``Void`` event counts too.
- **Deleted**: read back as "Object Not Found" (610), met as a change-data-capture stub
  ``{"status": "Deleted"}``, or received as a ``Delete`` event.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from extension.quickbooks.invoice_models import Invoice

__all__ = [
    "InvoiceState",
    "InvoiceStatus",
    "company_zone",
    "company_today",
    "invoice_status",
    "derive_status",
]


class InvoiceState(StrEnum):
    OPEN = "open"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    OVERDUE = "overdue"
    VOIDED = "voided"
    DELETED = "deleted"

    @property
    def owing(self) -> bool:
        return self in (InvoiceState.OPEN, InvoiceState.PARTIALLY_PAID, InvoiceState.OVERDUE)


@dataclass(frozen=True, slots=True)
class InvoiceStatus:
    state: InvoiceState
    currency: str
    total: Decimal
    balance: Decimal
    due_date: date | None = None
    partially_paid: bool = False
    emailed: bool = False
    emailed_at: datetime | None = None  # when QuickBooks sent it (DeliveryInfo), if known
    days_overdue: int = 0


def company_zone(name: str, fallback: ZoneInfo) -> ZoneInfo:
    """The zone QuickBooks names (``CompanyInfo.DefaultTimeZone``), else the fallback."""
    try:
        return ZoneInfo(name) if name else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def company_today(now: datetime, zone: ZoneInfo) -> date:
    """Today where the company is; ``now`` must be an aware datetime (any zone)."""
    if now.tzinfo is None:
        raise ValueError("now must carry its time zone")
    return now.astimezone(zone).date()


def invoice_status(
    invoice: Invoice | None,
    today: date,
    *,
    home_currency: str = "",
    voided: bool = False,
    deleted: bool = False,
    last_known: Invoice | None = None,
) -> InvoiceStatus:
    """The status of an invoice read back from QuickBooks.

    ``invoice`` None means the read answered 610 (not found); ``deleted`` and ``voided`` say a
    Delete or Void was performed by us or received as an event; ``last_known`` is the mirrored
    copy, whose amounts a deleted invoice is shown with. ``today`` is the company's
    (see :func:`company_today`).
    """
    source = invoice if invoice is not None and not invoice.deleted else last_known
    currency = source.currency.value if source and source.currency else home_currency
    return derive_status(
        currency=currency,
        total=source.total if source else Decimal("0"),
        balance=source.balance if source else Decimal("0"),
        due_date=source.due_date if source else None,
        today=today,
        voided=voided or (invoice is not None and invoice.looks_voided),
        deleted=invoice is None or invoice.deleted or deleted,
        emailed=invoice is not None and was_emailed(invoice.email_status, invoice.delivered_at),
        emailed_at=invoice.delivered_at if invoice is not None else None,
    )


def was_emailed(email_status: str, delivered_at: datetime | None) -> bool:
    """QuickBooks says an invoice was sent by its EmailStatus, or by a delivery time (an invoice
    sent from QuickBooks' own screen may carry only the latter)."""
    return email_status == "EmailSent" or delivered_at is not None


def derive_status(
    *,
    currency: str,
    total: Decimal,
    balance: Decimal,
    due_date: date | None,
    today: date,
    voided: bool = False,
    deleted: bool = False,
    emailed: bool = False,
    emailed_at: datetime | None = None,
) -> InvoiceStatus:
    """The rules above on plain values: what :func:`invoice_status` derives from an invoice
    read back, and the panel from its mirrored copy (whose ``voided`` is already decided)."""
    if deleted:
        return InvoiceStatus(InvoiceState.DELETED, currency, total, balance, due_date)
    base = InvoiceStatus(
        InvoiceState.OPEN,
        currency,
        total,
        balance,
        due_date,
        emailed=emailed,
        emailed_at=emailed_at,
    )
    if voided:
        return replace(base, state=InvoiceState.VOIDED)
    if balance <= 0:
        return replace(base, state=InvoiceState.PAID)
    partial = balance < total
    if due_date is not None and due_date < today:
        overdue = (today - due_date).days
        return replace(
            base, state=InvoiceState.OVERDUE, partially_paid=partial, days_overdue=overdue
        )
    state = InvoiceState.PARTIALLY_PAID if partial else InvoiceState.OPEN
    return replace(base, state=state, partially_paid=partial)
