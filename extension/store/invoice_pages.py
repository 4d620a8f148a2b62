"""The all-invoices modal's reads: a customer's mirrored invoices in a TxnDate range, paged, and
their totals per currency.

Paging is by keyset, not offset: the cursor is the (txn_date, id) of the last row shown and the
next page starts strictly after it, newest first. With the index
``ix_invoice_mirror_customer_txn_date`` (company, realm, customer, txn_date, id) a page is one
backward index range scan that stops after ``limit`` rows: its cost does not grow with the
number of invoices, and rows added meanwhile never shift a page (an offset would skip or repeat).

Several customers (a deal's organization and person may be linked to different ones) are read
one index scan each and merged here: a single ``customer_id IN (…)`` scan returns each
customer's rows in turn, so the database would have to sort every row in the range to find the
newest ``limit``.

Dates are the range's own calendar dates in the company's books: ``start`` included, ``end``
excluded, as :class:`extension.invoicing.time_ranges.DateRange` gives them.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.invoice_models import MirroredInvoice

__all__ = [
    "PageCursor",
    "InvoicePage",
    "RangeTotals",
    "customer_invoice_page",
    "customer_page_query",
    "customer_range_totals",
    "mirrored_ids_in_range",
]

MAX_PAGE = 200
_TOKEN = re.compile(r"(\d{4}-\d{2}-\d{2})_(\d{1,18})")


@dataclass(frozen=True, slots=True, order=True)
class PageCursor:
    """Where the next page starts: after this (txn_date, id), going back in time."""

    txn_date: date
    row_id: int

    @property
    def token(self) -> str:
        return f"{self.txn_date.isoformat()}_{self.row_id}"

    @classmethod
    def parse(cls, token: str) -> PageCursor | None:
        """The cursor a page link carried, or None for anything malformed (it is user input)."""
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        try:
            return cls(date.fromisoformat(match[1]), int(match[2]))
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class InvoicePage:
    rows: list[MirroredInvoice]
    next_cursor: PageCursor | None  # None on the last page


@dataclass(frozen=True, slots=True)
class RangeTotals:
    """The modal's totals for one currency, with the meaning of ``summarize_invoices``:
    voided and deleted invoices are counted but add nothing; the open balance is what is
    still owed; overdue is the part of it past its due date."""

    currency: str
    count: int
    invoiced: Decimal
    open_balance: Decimal
    overdue: Decimal


def _in_range(company_id: int, realm_id: str, start: date, end: date) -> tuple[Any, ...]:
    return (
        MirroredInvoice.company_id == company_id,
        MirroredInvoice.realm_id == realm_id,
        MirroredInvoice.txn_date >= start,
        MirroredInvoice.txn_date < end,
    )


def customer_page_query(
    company_id: int,
    realm_id: str,
    customer_id: str,
    start: date,
    end: date,
    *,
    after: PageCursor | None,
    limit: int,
) -> Select[MirroredInvoice]:
    """One customer's page: the statement the index serves (exposed for EXPLAIN checks)."""
    if after is not None:
        # The cursor's day bounds the scan from above. PostgreSQL can start the scan at the row
        # comparison alone, but SQLite only starts it at a plain column bound and would
        # otherwise walk (and filter out) every row newer than the cursor: cost by page depth.
        end = min(end, after.txn_date + timedelta(days=1))
    stmt = select(MirroredInvoice).where(
        *_in_range(company_id, realm_id, start, end), MirroredInvoice.customer_id == customer_id
    )
    if after is not None:
        stmt = stmt.where(
            tuple_(MirroredInvoice.txn_date, MirroredInvoice.id)
            < tuple_(after.txn_date, after.row_id)
        )
    return stmt.order_by(MirroredInvoice.txn_date.desc(), MirroredInvoice.id.desc()).limit(limit)


def _key(row: MirroredInvoice) -> PageCursor:
    return PageCursor(row.txn_date, row.id)


async def customer_invoice_page(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    customer_ids: Iterable[str],
    start: date,
    end: date,
    *,
    after: PageCursor | None = None,
    limit: int = 50,
) -> InvoicePage:
    """A page of the customers' invoices with ``start <= TxnDate < end``, newest first."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"page size must be 1..{MAX_PAGE}")
    streams: list[list[MirroredInvoice]] = []
    for customer_id in dict.fromkeys(customer_ids):
        # One row more than a page tells whether another page follows.
        stmt = customer_page_query(
            company_id, realm_id, customer_id, start, end, after=after, limit=limit + 1
        )
        streams.append(list(await session.scalars(stmt)))
    merged = list(heapq.merge(*streams, key=_key, reverse=True))
    rows = merged[:limit]
    more = len(merged) > limit
    return InvoicePage(rows=rows, next_cursor=_key(rows[-1]) if more else None)


async def customer_range_totals(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    customer_ids: Iterable[str],
    start: date,
    end: date,
    *,
    today: date,
) -> list[RangeTotals]:
    """Totals per currency (alphabetical) of every invoice in the range, not just one page.

    ``today`` is the company's today (``company_today``): an invoice is overdue once its due
    date is before it.
    """
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        return []
    m = MirroredInvoice
    stands = and_(m.voided.is_(False), m.deleted.is_(False))
    owing = and_(stands, m.balance > 0)
    overdue = and_(owing, m.due_date < today)
    rows = await session.execute(
        select(
            m.currency,
            func.count(),
            func.sum(case((stands, m.total), else_=0)),
            func.sum(case((owing, m.balance), else_=0)),
            func.sum(case((overdue, m.balance), else_=0)),
        )
        .where(*_in_range(company_id, realm_id, start, end), m.customer_id.in_(wanted))
        .group_by(m.currency)
        .order_by(m.currency)
    )
    return [
        RangeTotals(currency, int(count), invoiced, open_balance, overdue_amount)
        for currency, count, invoiced, open_balance, overdue_amount in rows
    ]


async def mirrored_ids_in_range(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    customer_ids: Iterable[str],
    start: date,
    end: date,
) -> list[str]:
    """Ids of the customers' mirrored invoices in the range not known to be deleted: what a
    fresh read of that range from QuickBooks should return again (one index range scan per
    customer)."""
    wanted = list(dict.fromkeys(customer_ids))
    if not wanted:
        return []
    m = MirroredInvoice
    rows = await session.scalars(
        select(m.invoice_id).where(
            *_in_range(company_id, realm_id, start, end),
            m.customer_id.in_(wanted),
            m.deleted.is_(False),
        )
    )
    return list(rows)
