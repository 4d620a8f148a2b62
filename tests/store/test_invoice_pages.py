"""The all-invoices modal's reads: keyset pages over a TxnDate range, totals per currency that
agree with the domain's summary, and the index that serves a page on both backends."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import cycle

import pytest
from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncSession

from extension.invoicing.invoice_status import invoice_status
from extension.invoicing.summaries import summarize_invoices
from extension.quickbooks.invoice_models import Invoice
from extension.quickbooks.models import Ref
from extension.store.invoice_mirror import InvoiceVersion, mirrored_invoices, upsert_invoices
from extension.store.invoice_models import MirroredInvoice
from extension.store.invoice_pages import (
    PageCursor,
    customer_invoice_page,
    customer_page_query,
    customer_range_totals,
)
from tests.store.conftest import COMPANY, NOW, REALM, Sessions, is_postgres
from tests.store.explain import explain

JAN_1 = date(2026, 1, 1)


def _invoice(n: int, customer: str, day: date, **kw: object) -> InvoiceVersion:
    values: dict[str, object] = {
        "invoice_id": str(n),
        "customer_id": customer,
        "txn_date": day,
        "currency": "EUR",
        "total": Decimal("100.00"),
        "balance": Decimal("100.00"),
        "updated_at": NOW,
        **kw,
    }
    return InvoiceVersion(**values)  # type: ignore[arg-type]


async def _store(db: Sessions, versions: list[InvoiceVersion]) -> None:
    async with db() as session, session.begin():
        await upsert_invoices(session, COMPANY, REALM, versions)


async def _all_pages(
    db: Sessions, customers: list[str], start: date, end: date, size: int
) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: PageCursor | None = None
    async with db() as session:
        while True:
            page = await customer_invoice_page(
                session, COMPANY, REALM, customers, start, end, after=cursor, limit=size
            )
            pages.append([row.invoice_id for row in page.rows])
            if page.next_cursor is None:
                return pages
            cursor = PageCursor.parse(page.next_cursor.token)  # as a page link carries it


async def test_pages_cover_the_range_once_newest_first_across_customers(db: Sessions) -> None:
    # Two linked customers interleaved, several invoices per day, and rows outside the range
    # or of another customer that must never show.
    days = [JAN_1 + timedelta(days=d) for d in range(-3, 34)]
    versions = [
        _invoice(n, customer, day)
        for n, (customer, day) in enumerate(zip(cycle(["58", "61", "58", "77"]), days * 3), 1)
    ]
    await _store(db, versions)
    start, end = JAN_1, date(2026, 2, 1)
    expected = sorted(
        (v for v in versions if v.customer_id in ("58", "61") and start <= v.txn_date < end),
        key=lambda v: (v.txn_date, int(v.invoice_id)),  # ids here follow insertion order
        reverse=True,
    )
    pages = await _all_pages(db, ["58", "61"], start, end, size=7)
    assert [len(p) for p in pages[:-1]] == [7] * (len(pages) - 1) and 1 <= len(pages[-1]) <= 7
    assert [i for page in pages for i in page] == [v.invoice_id for v in expected]


async def test_range_bounds_start_included_end_excluded(db: Sessions) -> None:
    days = [date(2026, 1, 31), date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 1)]
    await _store(db, [_invoice(n, "58", d) for n, d in enumerate(days, 1)])
    pages = await _all_pages(db, ["58"], date(2026, 2, 1), date(2026, 3, 1), size=50)
    assert pages == [["3", "2"]]
    assert await _all_pages(db, [], date(2026, 2, 1), date(2026, 3, 1), size=50) == [[]]


async def test_page_size_and_cursor_tokens_are_checked(db: Sessions) -> None:
    async with db() as session:
        for size in (0, 201):
            with pytest.raises(ValueError):
                await customer_invoice_page(
                    session, COMPANY, REALM, ["58"], JAN_1, JAN_1, limit=size
                )
    assert PageCursor.parse("2026-02-03_41") == PageCursor(date(2026, 2, 3), 41)
    for forged in ("", "2026-02-30_4", "2026-02-03_", "2026-02-03_4;drop", "x_1", "2026-02-03_1 "):
        assert PageCursor.parse(forged) is None


async def test_totals_per_currency_agree_with_the_domains_summary(db: Sessions) -> None:
    today = date(2026, 3, 2)
    versions = [
        _invoice(
            1,
            "58",
            date(2026, 2, 1),
            total=Decimal("100.00"),
            balance=Decimal("100.00"),
            due_date=date(2026, 3, 1),
        ),  # overdue
        _invoice(
            2,
            "58",
            date(2026, 2, 2),
            total=Decimal("80.10"),
            balance=Decimal("30.05"),
            due_date=date(2026, 3, 2),
        ),  # partly paid, due today: not overdue
        _invoice(3, "58", date(2026, 2, 3), total=Decimal("50.00"), balance=Decimal("0")),  # paid
        _invoice(4, "58", date(2026, 2, 4), total=Decimal("0"), balance=Decimal("0"), voided=True),
        _invoice(
            5,
            "61",
            date(2026, 2, 5),
            total=Decimal("70.00"),
            balance=Decimal("70.00"),
            due_date=date(2026, 2, 10),
        ),  # deleted below
        _invoice(
            6,
            "61",
            date(2026, 2, 6),
            currency="USD",
            total=Decimal("0.30"),
            balance=Decimal("0.30"),
            due_date=date(2026, 1, 1),
        ),
        _invoice(
            7,
            "61",
            date(2026, 2, 7),
            currency="USD",
            total=Decimal("0.10"),
            balance=Decimal("0.10"),
        ),
        _invoice(8, "58", date(2026, 3, 5), total=Decimal("999")),  # outside the range
    ]
    await _store(db, versions)
    from extension.store.invoice_mirror import mark_deleted

    async with db() as session, session.begin():
        await mark_deleted(session, COMPANY, REALM, "5", deleted_at=NOW)
    start, end = date(2026, 2, 1), date(2026, 3, 1)
    async with db() as session:
        totals = await customer_range_totals(
            session, COMPANY, REALM, ["58", "61"], start, end, today=today
        )
        rows = (await customer_invoice_page(session, COMPANY, REALM, ["58", "61"], start, end)).rows

    def as_invoice(row: MirroredInvoice) -> Invoice:
        return Invoice(
            id=row.invoice_id,
            sync_token=row.sync_token,
            customer=Ref(row.customer_id, row.customer_name),
            lines=(),
            total=row.total,
            balance=row.balance,
            doc_number=row.doc_number,
            txn_date=row.txn_date,
            due_date=row.due_date,
            currency=Ref(row.currency),
            email_status=row.email_status,
            bill_email=row.bill_email,
            delivered_at=row.delivered_at,
        )

    statuses = [
        invoice_status(
            None if row.deleted else as_invoice(row),
            today,
            voided=row.voided,
            deleted=row.deleted,
            last_known=as_invoice(row),
        )
        for row in sorted(rows, key=lambda r: r.currency)
    ]
    summary = summarize_invoices(statuses)
    assert [(t.currency, t.count, t.invoiced, t.open_balance, t.overdue) for t in totals] == [
        (s.currency, s.count, s.invoiced, s.open_balance, s.overdue) for s in summary
    ]
    assert [(t.currency, t.invoiced, t.open_balance, t.overdue) for t in totals] == [
        ("EUR", Decimal("230.10"), Decimal("130.05"), Decimal("100.00")),
        ("USD", Decimal("0.40"), Decimal("0.40"), Decimal("0.30")),
    ]
    async with db() as session:
        assert (
            await customer_range_totals(session, COMPANY, REALM, [], start, end, today=today) == []
        )


async def test_a_page_is_an_index_range_scan_in_order_on_both_backends(db: Sessions) -> None:
    """With enough rows for the planner to care, a page (first and later) reads the paging
    index backwards with no sort: its cost follows the page size, not the table size."""
    versions = [
        _invoice(n, f"{n % 6}", date(2025, 1, 1) + timedelta(days=n % 700)) for n in range(1, 3001)
    ]
    await _store(db, versions)
    async with db() as session:
        if is_postgres(db):
            await session.execute(text("ANALYZE invoice_mirror"))
        for cursor in (None, PageCursor(date(2025, 6, 1), 2000)):
            stmt = customer_page_query(
                COMPANY, REALM, "3", date(2025, 1, 1), date(2026, 12, 1), after=cursor, limit=51
            )
            plan = await explain(session, stmt)
            if is_postgres(db):
                assert "Index Scan Backward using ix_invoice_mirror_customer_txn_date" in plan, plan
                assert "Sort" not in plan and "Seq Scan" not in plan, plan
            else:
                assert "USING INDEX ix_invoice_mirror_customer_txn_date" in plan, plan
                assert "TEMP B-TREE" not in plan, plan


async def _sqlite_steps(session: AsyncSession, stmt: Select[MirroredInvoice]) -> int:
    """SQLite virtual-machine steps the statement takes (a progress handler counts them)."""
    raw = await (await session.connection()).get_raw_connection()
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # carry on

    driver = raw.driver_connection
    assert driver is not None
    await driver.set_progress_handler(count, 10)
    try:
        await session.execute(stmt)
    finally:
        await driver.set_progress_handler(None, 10)
    return steps


async def test_a_deep_page_reads_about_one_page_of_rows(db: Sessions) -> None:
    """Far down the list the scan starts at the cursor, not at the top of the range: a page
    1,500 rows deep costs about what the first page costs."""
    versions = [
        _invoice(n, "58", date(2025, 1, 1) + timedelta(days=n // 4)) for n in range(1, 2001)
    ]
    await _store(db, versions)
    async with db() as session:
        if is_postgres(db):
            await session.execute(text("ANALYZE invoice_mirror"))
        mark = (await mirrored_invoices(session, COMPANY, REALM, ["501"]))["501"]
        cursor = PageCursor(mark.txn_date, mark.id)
        first, deep = (
            customer_page_query(
                COMPANY, REALM, "58", date(2024, 1, 1), date(2027, 1, 1), after=after, limit=51
            )
            for after in (None, cursor)
        )
        rows = list(await session.scalars(deep))
        assert [int(r.invoice_id) for r in rows] == list(range(500, 449, -1))
        if is_postgres(db):
            plan = await explain(session, deep, analyze=True)
            scan = next(line for line in plan.splitlines() if "Index Scan Backward" in line)
            produced = int(scan.split("rows=")[-1].split()[0].rstrip(")"))
            assert produced <= 51 + 4, plan  # the page, and the cursor's own day at most
        else:
            first_steps, deep_steps = [await _sqlite_steps(session, s) for s in (first, deep)]
            assert deep_steps < 2 * first_steps, (first_steps, deep_steps)
