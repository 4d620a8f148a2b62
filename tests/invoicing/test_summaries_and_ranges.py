"""Per-currency summaries and the all-invoices time filter's bounds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from extension.invoicing.invoice_status import InvoiceState, InvoiceStatus
from extension.invoicing.problems import Problem
from extension.invoicing.summaries import CurrencySummary, summarize_invoices
from extension.invoicing.time_ranges import DateRange, RangeKind, custom_range, date_range

D = Decimal


def status(state: InvoiceState, currency: str, total: str, balance: str) -> InvoiceStatus:
    return InvoiceStatus(state, currency, D(total), D(balance))


def test_summary_per_currency_never_mixes_amounts() -> None:
    invoices = [
        status(InvoiceState.OPEN, "USD", "100", "100"),
        status(InvoiceState.PARTIALLY_PAID, "USD", "200", "50"),
        status(InvoiceState.OVERDUE, "USD", "300", "120"),
        status(InvoiceState.PAID, "USD", "400", "0"),
        status(InvoiceState.VOIDED, "USD", "0", "0"),
        status(InvoiceState.DELETED, "USD", "999", "999"),
        status(InvoiceState.OVERDUE, "EUR", "4800", "4800"),
    ]
    assert summarize_invoices(invoices) == (
        CurrencySummary("USD", count=6, invoiced=D(1000), open_balance=D(270), overdue=D(120)),
        CurrencySummary("EUR", count=1, invoiced=D(4800), open_balance=D(4800), overdue=D(4800)),
    )
    assert summarize_invoices([]) == ()


TODAY = date(2026, 3, 13)


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        (RangeKind.THIS_MONTH, date(2026, 3, 1), date(2026, 4, 1)),
        (RangeKind.LAST_30_DAYS, date(2026, 2, 12), date(2026, 3, 14)),
        (RangeKind.LAST_90_DAYS, date(2025, 12, 14), date(2026, 3, 14)),
        (RangeKind.THIS_YEAR, date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_preset_bounds_start_included_end_excluded(kind: RangeKind, start: date, end: date) -> None:
    bounds = date_range(kind, TODAY)
    assert bounds == DateRange(start, end)
    assert start in bounds and TODAY in bounds
    assert end not in bounds and bounds.last_day in bounds


def test_last_30_days_holds_exactly_30_days_with_today() -> None:
    bounds = date_range(RangeKind.LAST_30_DAYS, TODAY)
    assert (bounds.end - bounds.start).days == 30
    assert date(2026, 2, 11) not in bounds and date(2026, 2, 12) in bounds
    assert date(2026, 3, 14) not in bounds


def test_this_month_in_december_ends_at_new_year() -> None:
    assert date_range(RangeKind.THIS_MONTH, date(2026, 12, 31)) == DateRange(
        date(2026, 12, 1), date(2027, 1, 1)
    )
    assert date_range(RangeKind.LAST_30_DAYS, date(2024, 3, 1)).start == date(2024, 2, 1)  # leap
    assert date_range(RangeKind.LAST_30_DAYS, date(2025, 3, 1)).start == date(2025, 1, 31)


def test_custom_range_includes_both_days() -> None:
    bounds = custom_range(date(2026, 1, 1), date(2026, 1, 31))
    assert bounds == DateRange(date(2026, 1, 1), date(2026, 2, 1))
    assert (
        isinstance(bounds, DateRange)
        and date(2026, 1, 31) in bounds
        and bounds.last_day == date(2026, 1, 31)
    )
    single = custom_range(TODAY, TODAY)
    assert (
        isinstance(single, DateRange) and TODAY in single and (single.end - single.start).days == 1
    )


def test_custom_range_problems() -> None:
    assert custom_range(None, TODAY) == Problem("range-from", "date_required")
    assert custom_range(TODAY, None) == Problem("range-to", "date_required")
    assert custom_range(TODAY, date(2026, 3, 12)) == Problem(
        "range-to", "range_end_before_start", {"from": TODAY, "to": date(2026, 3, 12)}
    )
    assert custom_range(date(2020, 1, 1), date(2026, 1, 1)) == Problem(
        "range-to", "range_too_long", {"days": 1830}
    )
    with pytest.raises(ValueError):
        date_range(RangeKind.CUSTOM, TODAY)


def test_query_conditions_and_instants_in_the_company_zone() -> None:
    bounds = date_range(RangeKind.THIS_MONTH, TODAY)
    assert bounds.query_conditions() == "TxnDate >= '2026-03-01' AND TxnDate < '2026-04-01'"
    start, end = bounds.instants(ZoneInfo("Pacific/Honolulu"))
    assert start.isoformat() == "2026-03-01T00:00:00-10:00"
    assert end.isoformat() == "2026-04-01T00:00:00-10:00"
