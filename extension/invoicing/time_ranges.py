"""Time ranges of the all-invoices filter, as date bounds in the QuickBooks company's zone.

Invoices are filtered by ``TxnDate``, a calendar date in the company's books, so a range is a
pair of dates: ``start`` included and ``end`` excluded (``start <= TxnDate < end``). Half-open
bounds compose without gaps or overlaps and need no "23:59:59". "Today" is the company's
today (see :func:`extension.invoicing.invoice_status.company_today`):

- this month: the 1st of this month up to and including today's month end;
- last 30 days / last 90 days: today and the 29 (89) days before it;
- this year: 1 January up to and including 31 December;
- custom: from the first date to the last, both included.

Each range also gives its query conditions for QuickBooks' query language, which compares
dates as quoted strings (reference §4.1), and aware datetimes for filtering timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from extension.invoicing.problems import Problem

__all__ = ["RangeKind", "DateRange", "date_range", "custom_range"]

# The custom range is capped so one filter cannot ask QuickBooks for decades of invoices.
MAX_CUSTOM_DAYS = 366 * 5


class RangeKind(StrEnum):
    THIS_MONTH = "this_month"
    LAST_30_DAYS = "last_30_days"
    LAST_90_DAYS = "last_90_days"
    THIS_YEAR = "this_year"
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class DateRange:
    start: date  # included
    end: date  # excluded

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day < self.end

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def query_conditions(self, column: str = "TxnDate") -> str:
        return f"{column} >= '{self.start.isoformat()}' AND {column} < '{self.end.isoformat()}'"

    def instants(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The range as aware datetimes, from midnight at ``start`` to midnight at ``end``."""
        return (
            datetime.combine(self.start, time(), tzinfo=zone),
            datetime.combine(self.end, time(), tzinfo=zone),
        )


def _month_after(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def date_range(kind: RangeKind, today: date) -> DateRange:
    """The bounds of a preset range; custom ranges go through :func:`custom_range`."""
    if kind is RangeKind.THIS_MONTH:
        first = today.replace(day=1)
        return DateRange(first, _month_after(first))
    if kind is RangeKind.LAST_30_DAYS:
        return DateRange(today - timedelta(days=29), today + timedelta(days=1))
    if kind is RangeKind.LAST_90_DAYS:
        return DateRange(today - timedelta(days=89), today + timedelta(days=1))
    if kind is RangeKind.THIS_YEAR:
        return DateRange(date(today.year, 1, 1), date(today.year + 1, 1, 1))
    raise ValueError("a custom range needs its dates: use custom_range")


def custom_range(first: date | None, last: date | None) -> DateRange | Problem:
    """From ``first`` to ``last``, both included, or the problem with them."""
    if first is None:
        return Problem("range-from", "date_required")
    if last is None:
        return Problem("range-to", "date_required")
    if last < first:
        return Problem("range-to", "range_end_before_start", {"from": first, "to": last})
    if (last - first).days >= MAX_CUSTOM_DAYS:
        return Problem("range-to", "range_too_long", {"days": MAX_CUSTOM_DAYS})
    return DateRange(first, last + timedelta(days=1))
