"""Stored events survive the process that was applying them: a claim runs out and another
worker applies them; two workers never take the same event; a QuickBooks outage or throttle
gives the claim back for later, and after too many tries the event is marked failed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

from extension.invoicing.event_worker import CLAIM_TTL, MAX_ATTEMPTS
from extension.sandbox.quickbooks.state import InjectedFault
from extension.store.db import create_engine, create_sessionmaker
from extension.store.models import utcnow
from extension.store.webhook_events import claim_events
from tests.live.conftest import cloud_event, events, mirrored, signed_post, worker_for
from tests.panel.conftest import Sandbox, status_of


async def _paid_with_notice(sb: Sandbox, amount: str = "40") -> str:
    """A linked invoice paid in QuickBooks, and Intuit's notifications of it stored."""
    sb.qbo.config.webhooks_enabled = False
    invoice = await sb.invoice("100.00")
    await sb.link(invoice.id)
    await sb.refresh()
    payment = sb.pay(invoice.id, amount)
    at = "2026-12-03T10:00:00Z"
    payload = [
        cloud_event("Payment", payment["Id"], "created", f"p-{payment['Id']}", time=at),
        cloud_event("Invoice", invoice.id, "updated", f"i-{invoice.id}", time=at),
    ]
    assert (await signed_post(sb.client, sb.services, payload)).status_code == 200
    return invoice.id


async def test_events_a_dead_process_claimed_are_applied_once_its_claim_runs_out(
    sandbox: Sandbox,
) -> None:
    invoice_id = await _paid_with_notice(sandbox)
    crashed_at = utcnow() - CLAIM_TTL - timedelta(seconds=1)
    async with sandbox.db() as session, session.begin():
        taken = await claim_events(
            session, holder="host:4242:dead", now=crashed_at, ttl=CLAIM_TTL, limit=100
        )
    assert len(taken) == 2  # ... and then that process died without applying them

    assert await worker_for(sandbox.services).apply_pending() == 2
    assert status_of(await sandbox.content(), invoice_id) == "partially_paid"
    stored = await events(sandbox)
    assert [(e.outcome, e.attempts, e.claimed_by) for e in stored] == [("applied", 2, None)] * 2


async def test_a_live_claim_is_left_to_its_holder(sandbox: Sandbox) -> None:
    invoice_id = await _paid_with_notice(sandbox)
    async with sandbox.db() as session, session.begin():
        taken = await claim_events(
            session, holder="host:1:busy", now=utcnow(), ttl=CLAIM_TTL, limit=100
        )
    assert len(taken) == 2
    assert await worker_for(sandbox.services).apply_pending() == 0
    assert status_of(await sandbox.content(), invoice_id) == "open"
    # Once the claim has run out, anyone may apply them.
    later = utcnow() + CLAIM_TTL + timedelta(seconds=1)
    assert await worker_for(sandbox.services).apply_pending(now=later) == 2


async def test_two_workers_claiming_at_once_never_share_an_event(sandbox: Sandbox) -> None:
    """Two engines (two processes' pools) claim at the same moment, many times over."""
    sandbox.qbo.config.webhooks_enabled = False
    at = "2026-12-03T10:00:00Z"
    payload = [cloud_event("Item", str(n), "updated", f"e-{n}", time=at) for n in range(1, 121)]
    assert (await signed_post(sandbox.client, sandbox.services, payload)).status_code == 200
    url = sandbox.services.settings.database_url
    engines = [create_engine(url), create_engine(url)]
    makers = [create_sessionmaker(engine) for engine in engines]

    async def claim(index: int) -> list[int]:
        got: list[int] = []
        while True:
            async with makers[index]() as session, session.begin():
                batch = await claim_events(
                    session, holder=f"process-{index}", now=utcnow(), ttl=CLAIM_TTL, limit=7
                )
            if not batch:
                return got
            got += [event.id for event in batch]
            await asyncio.sleep(0)

    try:
        first, second = await asyncio.gather(claim(0), claim(1))
    finally:
        for engine in engines:
            await engine.dispose()
    assert not set(first) & set(second)
    assert sorted(first + second) == [e.id for e in await events(sandbox)]
    assert {e.claimed_by for e in await events(sandbox)} <= {"process-0", "process-1"}


async def test_quickbooks_unreachable_gives_the_claim_back_for_a_later_try(
    sandbox: Sandbox,
) -> None:
    invoice_id = await _paid_with_notice(sandbox)
    sandbox.qbo.config.faults.append(InjectedFault("503", path_contains="query", times=3))
    worker = worker_for(sandbox.services)
    assert await worker.apply_pending() == 2
    stored = await events(sandbox)
    assert {(e.processed_at, e.claimed_by, e.attempts) for e in stored} == {(None, None, 1)}
    retry_at = {e.claim_expires_at for e in stored}
    assert len(retry_at) == 1 and (retry_at.pop() or utcnow()) > utcnow()
    assert await worker.apply_pending() == 0  # not before its time

    later = utcnow() + timedelta(minutes=1)
    assert await worker.apply_pending(now=later) == 2
    row = await mirrored(sandbox, invoice_id)
    assert row is not None and row.balance == Decimal("60.00")
    assert {e.outcome for e in await events(sandbox)} == {"applied"}


async def test_throttled_events_wait_for_the_window_and_give_up_after_many_tries(
    sandbox: Sandbox,
) -> None:
    await _paid_with_notice(sandbox)
    sandbox.qbo.config.faults.append(InjectedFault("throttle", path_contains="query", times=99))
    worker = worker_for(sandbox.services)
    now = utcnow()
    assert await worker.apply_pending(now=now) == 2
    waits = {(e.claim_expires_at or now) - now for e in await events(sandbox)}
    # The background rests the rest of the window and one more: the next minute is the users'.
    assert len(waits) == 1 and waits.pop() >= timedelta(seconds=60)
    for attempt in range(2, MAX_ATTEMPTS + 1):
        sandbox.services.runtime.realm_limits = type(sandbox.services.runtime.realm_limits)()
        worker = worker_for(sandbox.services)
        now += timedelta(hours=1)
        assert await worker.apply_pending(now=now) == 2, attempt
    assert {(e.outcome, e.attempts) for e in await events(sandbox)} == {("failed", MAX_ATTEMPTS)}
    assert await worker.apply_pending(now=now + timedelta(hours=1)) == 0
