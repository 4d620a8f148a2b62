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

__all__ = ["InvoiceState", "InvoiceStatus", "company_zone", "company_today", "invoice_status"]


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
    total = source.total if source else Decimal("0")
    balance = source.balance if source else Decimal("0")
    due = source.due_date if source else None
    if invoice is None or invoice.deleted or deleted:
        return InvoiceStatus(InvoiceState.DELETED, currency, total, balance, due)
    emailed = invoice.email_status == "EmailSent" or invoice.delivered_at is not None
    base = InvoiceStatus(
        InvoiceState.OPEN,
        currency,
        total,
        balance,
        due,
        emailed=emailed,
        emailed_at=invoice.delivered_at,
    )
    if voided or invoice.looks_voided:
        return replace(base, state=InvoiceState.VOIDED)
    if balance <= 0:
        return replace(base, state=InvoiceState.PAID)
    partial = balance < total
    if due is not None and due < today:
        overdue = (today - due).days
        return replace(
            base, state=InvoiceState.OVERDUE, partially_paid=partial, days_overdue=overdue
        )
    state = InvoiceState.PARTIALLY_PAID if partial else InvoiceState.OPEN
    return replace(base, state=state, partially_paid=partial)
