"""The all-invoices modal's reads at 100 and at 100,000 mirrored invoices, on SQLite and
PostgreSQL: page times, totals times, one view of the modal (its first page and the range's
totals, which every modal request reads), their ratios, and the plans.

Part of ``python -m bench``; alone, with the query plans: ``python -m bench.mirror_paging``.
PostgreSQL is used when 127.0.0.1:5432 answers (or ``TEST_DATABASE_URL`` is set); a throw-away
database is created and dropped. Every invoice belongs to one customer, spread over five years
(the worst case for one customer's page: nothing else narrows the scan).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.report import Section
from extension.store.db import create_engine, create_sessionmaker
from extension.store.invoice_mirror import InvoiceVersion
from extension.store.invoice_models import MirroredInvoice
from extension.store.invoice_pages import (
    PageCursor,
    customer_invoice_page,
    customer_page_query,
    customer_range_totals,
)
from extension.store.migrate import upgrade_async
from extension.store.models import Company
from tests.store.explain import explain

COMPANY, REALM, CUSTOMER = 1, "9130350000000001", "58"
FIRST_DAY = date(2022, 1, 1)
TODAY = date(2026, 12, 31)
NOW = datetime(2026, 12, 31, 12, tzinfo=UTC)
REPEAT = 20
VIEW_THIS_YEAR = "modal view, this year (first page + totals)"
VIEW_5_YEARS = "modal view, 5 years (first page + totals)"
TOTALS_NOTE = "the totals add up every invoice of the range, so they grow with it"
TARGET_RATIO = 1.5  # issue 14: the all-invoices modal at 100,000 invoices vs 100


def _versions(count: int) -> list[InvoiceVersion]:
    span = (TODAY - FIRST_DAY).days + 1
    return [
        InvoiceVersion(
            invoice_id=str(n),
            customer_id=CUSTOMER,
            txn_date=FIRST_DAY + timedelta(days=(n * span) // count),
            due_date=FIRST_DAY + timedelta(days=(n * span) // count + 30),
            currency=("EUR", "USD")[n % 2],
            total=Decimal("120.00"),
            balance=Decimal("120.00") if n % 3 else Decimal("0"),
            updated_at=NOW,
            doc_number=str(1000 + n),
        )
        for n in range(1, count + 1)
    ]


async def _fill(sessions: async_sessionmaker[AsyncSession], versions: list[InvoiceVersion]) -> None:
    """The rows ``upsert_invoices`` would store, in one plain multi-row insert: the same table
    to read, set up several times faster than invoice by invoice upserts."""
    read_at = NOW
    rows = []
    for version in versions:
        values = asdict(version)
        values.pop("payment_ids")
        values["qbo_updated_at"] = values.pop("updated_at")
        rows.append({"company_id": COMPANY, "realm_id": REALM, **values,
                     "deleted": False, "read_at": read_at})  # fmt: skip
    for start in range(0, len(rows), 20_000):
        async with sessions() as session, session.begin():
            await session.execute(insert(MirroredInvoice), rows[start : start + 20_000])


async def _modal_view(session: AsyncSession, start: date, end: date) -> None:
    """What the modal reads from the mirror for one view: the first page and the range's
    totals (every request of the modal shows both)."""
    await customer_invoice_page(session, COMPANY, REALM, [CUSTOMER], start, end, limit=50)
    await customer_range_totals(session, COMPANY, REALM, [CUSTOMER], start, end, today=TODAY)


async def _median_ms(session: AsyncSession, act: Callable[[], Awaitable[object]]) -> float:
    await act()  # warm
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        await act()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def _measure(url: str, count: int, show_plans: bool) -> dict[str, float]:
    await upgrade_async(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            session.add(Company(id=COMPANY, name="Bench", domain="bench"))
        await _fill(sessions, _versions(count))
        # Fresh statistics, and on PostgreSQL a visibility map, as a table in service has.
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            postgres = engine.dialect.name == "postgresql"
            refresh = "VACUUM ANALYZE invoice_mirror" if postgres else "ANALYZE"
            await autocommit.execute(text(refresh))
        year = (date(2026, 1, 1), date(2027, 1, 1))
        middle = FIRST_DAY + (TODAY - FIRST_DAY) / 2
        async with sessions() as session:
            deep = await customer_invoice_page(
                session, COMPANY, REALM, [CUSTOMER], FIRST_DAY, middle, limit=1
            )
            cursor = deep.rows[0] if deep.rows else None
            after = PageCursor(cursor.txn_date, cursor.id) if cursor else None
            figures = {
                "first page (50), 5 years": await _median_ms(
                    session,
                    lambda: customer_invoice_page(
                        session, COMPANY, REALM, [CUSTOMER], FIRST_DAY, TODAY, limit=50
                    ),
                ),
                "page half-way down (50)": await _median_ms(
                    session,
                    lambda: customer_invoice_page(
                        session, COMPANY, REALM, [CUSTOMER], FIRST_DAY, TODAY, after=after
                    ),
                ),
                "totals, this year": await _median_ms(
                    session,
                    lambda: customer_range_totals(
                        session, COMPANY, REALM, [CUSTOMER], *year, today=TODAY
                    ),
                ),
                "totals, 5 years": await _median_ms(
                    session,
                    lambda: customer_range_totals(
                        session, COMPANY, REALM, [CUSTOMER], FIRST_DAY, TODAY, today=TODAY
                    ),
                ),
                VIEW_THIS_YEAR: await _median_ms(session, lambda: _modal_view(session, *year)),
                VIEW_5_YEARS: await _median_ms(
                    session, lambda: _modal_view(session, FIRST_DAY, TODAY)
                ),
            }
            if show_plans:
                page = customer_page_query(
                    COMPANY, REALM, CUSTOMER, FIRST_DAY, TODAY, after=after, limit=51
                )
                analyze = engine.dialect.name == "postgresql"
                print(f"\n  plan, page half-way down at {count:,} rows:")
                plan = await explain(session, page, analyze=analyze)
                print("   ", plan.replace("\n", "\n    "))
        return figures
    finally:
        await engine.dispose()


async def _postgres(admin: str, count: int, show_plans: bool) -> dict[str, float]:
    name = f"bench_{secrets.token_hex(4)}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        return await _measure(url, count, show_plans)
    finally:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()


def _postgres_url() -> str | None:
    if url := os.environ.get("TEST_DATABASE_URL"):
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    except OSError:
        return None


async def run(rows: int, *, show_plans: bool = False) -> Section:
    """Both backends (PostgreSQL when it answers), 100 rows against ``rows``."""
    section = Section(f"All-invoices modal reads, 100 vs {rows:,} mirrored invoices")
    backends: list[tuple[str, Callable[[int, bool], Awaitable[dict[str, float]]]]] = []
    with tempfile.TemporaryDirectory() as tmp:

        def sqlite(count: int, plans: bool) -> Awaitable[dict[str, float]]:
            path = Path(tmp) / f"bench_{count}.db"
            return _measure(f"sqlite+aiosqlite:///{path}", count, plans)

        backends.append(("SQLite", sqlite))
        if admin := _postgres_url():
            backends.append(("PostgreSQL", lambda c, p: _postgres(admin, c, p)))
        for name, measure in backends:
            small = await measure(100, False)
            large = await measure(rows, show_plans)
            for label, ms in small.items():
                section.add(f"{name}, {label}: 100 rows, median", ms, " ms")
                section.add(f"{name}, {label}: {rows:,} rows, median", large[label], " ms")
                ratio = large[label] / ms
                if label in (VIEW_THIS_YEAR, VIEW_5_YEARS):
                    target = f"all-invoices {label}, {name}, {rows:,} vs 100"
                    section.add(f"{name}, {label}: ratio", ratio, "x", limit=TARGET_RATIO,
                                target=target, note=TOTALS_NOTE)  # fmt: skip
                else:
                    section.add(f"{name}, {label}: ratio", ratio, "x")
    section.notes.append(TOTALS_NOTE)
    section.notes.append(
        "not measured here: opening the modal or choosing a range first reads that range from "
        "QuickBooks (1,000 invoices a query), which at this size is most of the wait"
    )
    return section


if __name__ == "__main__":
    from bench.report import print_section

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    print_section(asyncio.run(run(parser.parse_args().rows, show_plans=True)))
