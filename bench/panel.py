"""The deal panel, in-process against the stand-ins with an injected upstream latency L:

- its content for a deal with 50 invoices, from the mirror: upstream calls per open, and its
  median time against a trivial response of the same server (``/healthz``) in the same run;
- "Refresh" of that deal: QuickBooks calls and wall time, against L;
- 100 panel opens for one company (two users, four deals, the mirror five minutes old at the
  start, as after a night) within a minute, each followed by the refresh the page asks for when
  it does: QuickBooks calls and 429s.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import timedelta
from decimal import Decimal

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import update

from bench.harness import Bench, in_process, median_seconds
from bench.report import Section
from extension.invoicing.panel import STALE_AFTER, deal_rows
from extension.invoicing.status import load_company_status
from extension.quickbooks.invoice_models import InvoiceDraft, InvoiceLineDraft
from extension.sandbox.quickbooks import rules
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.store.deal_links import link_invoice
from extension.store.invoice_models import MirroredInvoice
from extension.store.link_models import LinkOrigin
from extension.store.models import utcnow
from tests.support import ADMIN_ID, COMPANY_ID, REP_ID, ConsentFlow

__all__ = ["run"]

DEAL = 101
INVOICES = 50
OPENS = 100
# Deals both users see, with their invoice counts (the first is the one measured above).
LOAD_DEALS = {101: INVOICES, 103: 5, 105: 5, 106: 5}
ROUNDS = 30


async def _invoices(bench: Bench, deal_id: int, count: int) -> None:
    """``count`` invoices made in the QuickBooks stand-in directly (its API would throttle a
    setup this size) and linked to the deal, as creating them from the deal does."""
    company = bench.qbo.companies[US_REALM_ID]
    body = InvoiceDraft(
        customer_id="1", lines=(InvoiceLineDraft(item_id="1", amount=Decimal("100")),)
    ).to_api()
    async with bench.services.sessionmaker() as session, session.begin():
        for _ in range(count):
            invoice = rules.create_invoice(company, dict(body))
            await link_invoice(
                session,
                COMPANY_ID,
                realm_id=US_REALM_ID,
                invoice_id=invoice["Id"],
                deal_id=deal_id,
                deal_title="Bench",
                origin=LinkOrigin.CREATED,
                user_id=ADMIN_ID,
            )


def _content(bench: Bench, user_id: int, deal_id: int) -> httpx.Request:
    return bench.client.build_request(
        "GET",
        f"/panel/deal/{deal_id}/content",
        headers=bench.headers(user_id, **{"HX-Target": "panel-content"}),
    )


async def _refresh(bench: Bench, user_id: int, deal_id: int) -> httpx.Response:
    response = await bench.client.post(
        f"/panel/deal/{deal_id}/refresh",
        headers=bench.headers(user_id, **{"HX-Target": "invoice-list"}),
    )
    assert response.status_code == 200, response.text
    return response


async def _open(bench: Bench, user_id: int, deal_id: int) -> bool:
    """What the panel does when it shows: its content, then the refresh it asks for by itself
    when the mirror is old (``hx-trigger="load"``). True when it refreshed."""
    response = await bench.client.send(_content(bench, user_id, deal_id))
    assert response.status_code == 200, response.text
    refresh = BeautifulSoup(response.text, "html.parser").select_one("[hx-trigger=load][hx-post]")
    if refresh is None:
        return False
    await _refresh(bench, user_id, deal_id)
    return True


async def _from_mirror(bench: Bench, latency: float, section: Section) -> None:
    async def trivial() -> None:
        assert (await bench.client.get("/healthz")).status_code == 200

    async def content() -> None:
        response = await bench.client.send(_content(bench, ADMIN_ID, DEAL))
        assert response.status_code == 200, response.text

    # What is timed is the request alone: parsing 50 rows' HTML here takes longer than the
    # server does to make it, so the content is checked once, outside the timing.
    first = await bench.client.send(_content(bench, ADMIN_ID, DEAL))
    rows = BeautifulSoup(first.text, "html.parser").select("[id^=invoice-][data-status]")
    assert len(rows) == INVOICES, len(rows)

    bench.set_latency(latency)
    healthz = await median_seconds(trivial, ROUNDS)
    bench.mark()
    panel = await median_seconds(content, ROUNDS)
    calls = bench.calls()
    opens = ROUNDS + 1
    bench.pipedrive.latency = 0.0  # the mirror's own share: only Pipedrive answers at once
    mirror_only = await median_seconds(content, ROUNDS)
    bench.set_latency(latency)
    section.add("trivial response (/healthz), median", healthz * 1000, " ms")
    section.add(f"panel content, {INVOICES} invoices, median", panel * 1000, " ms")
    section.add(
        "panel / trivial",
        panel / healthz,
        "x",
        limit=2.0,
        target="panel from mirror",
        note="the deal is read from Pipedrive as the viewing user on every open (trust rule)",
    )
    section.add(
        "QuickBooks calls per open",
        calls.quickbooks / opens,
        limit=0,
        target="panel from mirror, QuickBooks calls",
    )
    section.add(
        "Pipedrive calls per open (the deal)",
        calls.pipedrive / opens,
        limit=0,
        target="panel from mirror, Pipedrive calls",
        note="the deal, fetched with the user's own token: what Pipedrive hides is not shown",
    )
    section.add("panel / trivial, Pipedrive answering at once", mirror_only / healthz, "x")
    section.add(
        f"of which the mirror's {INVOICES} rows from the database", await _rows_ms(bench), " ms"
    )


async def _rows_ms(bench: Bench) -> float:
    """The database half of an open: the deal's rows, totals and last read time."""
    async with bench.services.sessionmaker() as session:
        status = await load_company_status(session, COMPANY_ID)

    async def rows() -> None:
        found = await deal_rows(bench.services, COMPANY_ID, status, DEAL)
        assert len(found.rows) == INVOICES

    return await median_seconds(rows, ROUNDS) * 1000


async def _refreshes(bench: Bench, latency: float, section: Section) -> None:
    bench.set_latency(latency)
    await _refresh(bench, ADMIN_ID, DEAL)  # warm
    times, qbo, rounds = [], [], []
    for _ in range(5):
        bench.mark()
        start = time.perf_counter()
        await _refresh(bench, ADMIN_ID, DEAL)
        times.append(time.perf_counter() - start)
        calls = bench.calls()
        qbo.append(calls.quickbooks)
        rounds.append(calls.rounds())
    wall = sorted(times)[len(times) // 2]
    section.add(f"refresh, {INVOICES} invoices: QuickBooks calls", max(qbo), limit=1,
                target="refresh, QuickBooks calls")  # fmt: skip
    section.add("refresh: upstream round trips, one after another", max(rounds))
    section.add("refresh: wall time, median", wall * 1000, " ms", limit=1.5 * latency * 1000,
                target="refresh wall time")  # fmt: skip
    section.add("refresh: wall time / L", wall / latency, " L")


async def _load(bench: Bench, latency: float, minute: float, section: Section) -> None:
    bench.set_latency(latency)
    for deal_id, count in LOAD_DEALS.items():
        if deal_id != DEAL:
            await _invoices(bench, deal_id, count)
    # As after a night: every deal's copy older than the panel's freshness window.
    old = utcnow() - STALE_AFTER - timedelta(minutes=1)
    async with bench.services.sessionmaker() as session, session.begin():
        await session.execute(update(MirroredInvoice).values(read_at=old))
    chance = random.Random(14)
    users, deals = (ADMIN_ID, REP_ID), list(LOAD_DEALS)
    plan = [
        (chance.uniform(0, minute), chance.choice(users), chance.choice(deals))
        for _ in range(OPENS)
    ]
    bench.mark()
    start = time.perf_counter()

    async def at(moment: float, user_id: int, deal_id: int) -> bool:
        await asyncio.sleep(max(0.0, moment - (time.perf_counter() - start)))
        return await _open(bench, user_id, deal_id)

    refreshed = await asyncio.gather(*(at(*step) for step in sorted(plan)))
    took = time.perf_counter() - start
    calls = bench.calls()
    section.add(f"{OPENS} opens took", took, " s")
    section.add("opens that refreshed by themselves", sum(refreshed))
    section.add(f"{OPENS} opens: QuickBooks calls", calls.quickbooks, limit=10,
                target=f"{OPENS} panel opens, QuickBooks calls")  # fmt: skip
    section.add(f"{OPENS} opens: 429 answers", calls.throttled, limit=0,
                target=f"{OPENS} panel opens, 429 answers")  # fmt: skip
    section.add(f"{OPENS} opens: Pipedrive calls", calls.pipedrive)


async def run(latency: float, minute: float) -> Section:
    section = Section(
        f"Deal panel, {INVOICES} invoices, L = {latency * 1000:.0f} ms; "
        f"{OPENS} opens spread over {minute:.0f} s"
    )
    async with in_process() as bench:
        await ConsentFlow(bench.client).install(user_id=REP_ID)
        await _invoices(bench, DEAL, INVOICES)
        await _refresh(bench, ADMIN_ID, DEAL)  # the mirror as a first look leaves it
        await _from_mirror(bench, latency, section)
        await _refreshes(bench, latency, section)
        await _load(bench, latency, minute, section)
    return section
