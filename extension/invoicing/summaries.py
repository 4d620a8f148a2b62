"""Per-currency totals of a list of invoices: the panel's summary line and the modal's totals.

Amounts in different currencies are never added together: a deal billed in EUR and USD gets
one summary per currency. Voided and deleted invoices are counted (they are in the list) but
add nothing: a void zeroes the invoice in QuickBooks, and a deleted one no longer exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from extension.invoicing.invoice_status import InvoiceState

__all__ = ["Summable", "CurrencySummary", "summarize_invoices"]


class Summable(Protocol):
    """What a summary needs of an invoice: a derived status or a mirrored row both have it."""

    @property
    def state(self) -> InvoiceState: ...
    @property
    def currency(self) -> str: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def balance(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class CurrencySummary:
    currency: str
    count: int = 0
    invoiced: Decimal = Decimal("0")  # total of the invoices that stand (not voided or deleted)
    open_balance: Decimal = Decimal("0")  # still to be paid, overdue included
    overdue: Decimal = Decimal("0")  # the part of the open balance past its due date


def summarize_invoices(invoices: Iterable[Summable]) -> tuple[CurrencySummary, ...]:
    """One summary per currency, in the order each currency first appears."""
    totals: dict[str, CurrencySummary] = {}
    zero = Decimal("0")
    for invoice in invoices:
        so_far = totals.get(invoice.currency) or CurrencySummary(invoice.currency)
        stands = invoice.state not in (InvoiceState.VOIDED, InvoiceState.DELETED)
        totals[invoice.currency] = CurrencySummary(
            currency=invoice.currency,
            count=so_far.count + 1,
            invoiced=so_far.invoiced + (invoice.total if stands else zero),
            open_balance=so_far.open_balance + (invoice.balance if invoice.state.owing else zero),
            overdue=so_far.overdue
            + (invoice.balance if invoice.state is InvoiceState.OVERDUE else zero),
        )
    return tuple(totals.values())
