"""The reconciler: a lost webhook reaches the mirror by change data capture; a checkpoint
QuickBooks no longer reaches back to reads every linked invoice instead; one process holds a
company's lease at a time and the lease moves when its holder stops."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from extension.invoicing.reconciler import OVERLAP, reconcile_company
from extension.quickbooks.limits import BackgroundShare
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services
from extension.store.db import create_engine, create_sessionmaker
from extension.store.invoice_models import InvoiceSyncState
from extension.store.models import utcnow
from extension.store.sync_state import acquire_reconciler_lease, advance_cdc_checkpoint
from tests.live.conftest import api_requests, events, mirrored, pay_on_page, reconciler_for
from tests.panel.conftest import Sandbox, status_of
from tests.support import COMPANY_ID

PAGE = "STARTPOSITION 1 MAXRESULTS 1000"


async def _state(sb: Sandbox) -> InvoiceSyncState | None:
    async with sb.db() as session:
        return await session.scalar(select(InvoiceSyncState))


async def _checkpoint_at(sb: Sandbox, holder: str, age: timedelta) -> None:
    now = utcnow()
    async with sb.db() as session, session.begin():
        assert await acquire_reconciler_lease(
            session, COMPANY_ID, US_REALM_ID, holder=holder, ttl=timedelta(minutes=5), now=now
        )
        assert await advance_cdc_checkpoint(
            session, COMPANY_ID, US_REALM_ID, holder=holder, to=now - age, now=now
        )


async def test_a_lost_webhook_is_recovered_by_change_data_capture(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("500.00")
    await sandbox.link(invoice.id)
    reconciler = reconciler_for(sandbox.services)
    # Its first round has no checkpoint: it reads every linked invoice, then keeps its place.
    assert await reconciler.round() == [(COMPANY_ID, US_REALM_ID)]
    assert api_requests(sandbox)[-1] == (
        f"GET query SELECT * FROM Invoice WHERE Id IN ('{invoice.id}') {PAGE}"
    )
    first = await _state(sandbox)
    assert first is not None and first.cdc_checkpoint is not None

    # The sandbox's switch drops webhooks; a payment is recorded; the app hears nothing.
    switched = await sandbox.client.post(
        "/sandbox/quickbooks/app/webhooks",
        data={"enabled": "0", "next": "/sandbox/quickbooks/payments/new"},
    )
    assert switched.status_code == 303 and not sandbox.qbo.config.webhooks_enabled
    before = len(await events(sandbox))
    await pay_on_page(sandbox, invoice.id, "200")
    assert len(await events(sandbox)) == before
    assert status_of(await sandbox.content(), invoice.id) == "open"

    sandbox.qbo.requests.clear()
    due = utcnow() + reconciler.interval
    assert await reconciler.round(now=due) == [(COMPANY_ID, US_REALM_ID)]
    assert status_of(await sandbox.content(), invoice.id) == "partially_paid"
    # One request: CDC's answer holds the changed invoice and the payment themselves.
    requests = api_requests(sandbox)
    assert len(requests) == 1 and requests[0].startswith("GET cdc Invoice,Payment")
    changed_since = sandbox.qbo.requests[0].query["changedSince"]
    assert changed_since.startswith(first.cdc_checkpoint.isoformat(timespec="seconds")[:19])
    state = await _state(sandbox)
    assert state is not None and state.cdc_checkpoint == due - OVERLAP
    assert state.reconciled_at == due


async def test_a_checkpoint_older_than_thirty_days_reads_every_linked_invoice(
    sandbox: Sandbox,
) -> None:
    sandbox.qbo.config.webhooks_enabled = False
    first, second = await sandbox.invoice("100.00"), await sandbox.invoice("100.00")
    await sandbox.link(first.id)
    await sandbox.link(second.id)
    await sandbox.refresh()
    sandbox.pay(first.id, "100")
    await _checkpoint_at(sandbox, "reconciler-a", timedelta(days=31))
    sandbox.qbo.requests.clear()

    limits = BackgroundShare(sandbox.services.runtime.realm_limits)
    done = await reconcile_company(
        sandbox.services, COMPANY_ID, US_REALM_ID, holder="reconciler-a", limits=limits
    )
    assert done is not None and done.how == "full"
    # No CDC call it would refuse: one query for every linked invoice.
    assert api_requests(sandbox) == [
        f"GET query SELECT * FROM Invoice WHERE Id IN ('{first.id}', '{second.id}') {PAGE}"
    ]
    row = await mirrored(sandbox, first.id)
    assert row is not None and row.balance == Decimal("0")
    state = await _state(sandbox)
    assert state is not None and state.cdc_checkpoint is not None
    assert utcnow() - state.cdc_checkpoint < OVERLAP + timedelta(minutes=1)


async def test_a_cdc_call_refused_as_too_far_back_falls_back_to_reading_everything(
    sandbox: Sandbox,
) -> None:
    """Our clock says 29 days; QuickBooks' says more: it refuses, and nothing is lost."""
    sandbox.qbo.config.webhooks_enabled = False
    invoice = await sandbox.invoice("100.00")
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    sandbox.pay(invoice.id, "25")
    await _checkpoint_at(sandbox, "reconciler-a", timedelta(days=29))
    sandbox.qbo.clock.advance(2 * 86400)
    sandbox.qbo.requests.clear()

    limits = BackgroundShare(sandbox.services.runtime.realm_limits)
    done = await reconcile_company(
        sandbox.services, COMPANY_ID, US_REALM_ID, holder="reconciler-a", limits=limits
    )
    assert done is not None and done.how == "full"
    # (The stand-in's clock moved past the access token's hour: the first CDC call is
    # refused for that and repeated after a refresh; the second for reaching too far back.)
    requests = api_requests(sandbox)
    assert requests[-2].startswith("GET cdc Invoice,Payment")
    assert requests[-1] == f"GET query SELECT * FROM Invoice WHERE Id IN ('{invoice.id}') {PAGE}"
    row = await mirrored(sandbox, invoice.id)
    assert row is not None and row.balance == Decimal("75.00")


def _process(services: Services, url: str) -> tuple[Services, object]:
    """Another process's view of the same database: its own engine and pool."""
    engine = create_engine(url)
    return dataclasses.replace(
        services, engine=engine, sessionmaker=create_sessionmaker(engine)
    ), engine


async def test_one_reconciler_per_company_and_the_lease_moves_when_its_holder_stops(
    sandbox: Sandbox,
) -> None:
    invoice = await sandbox.invoice("100.00")
    await sandbox.link(invoice.id)
    url = sandbox.services.settings.database_url
    (first_services, first_engine), (second_services, second_engine) = (
        _process(sandbox.services, url),
        _process(sandbox.services, url),
    )
    first = reconciler_for(first_services, "host-a:101:aa")
    second = reconciler_for(second_services, "host-b:202:bb")
    try:
        now = utcnow()
        rounds = await asyncio.gather(first.round(now=now), second.round(now=now))
        assert sorted(len(done) for done in rounds) == [0, 1]  # exactly one reconciled
        holder, idle = (first, second) if rounds[0] else (second, first)
        state = await _state(sandbox)
        assert state is not None and state.lease_holder == holder.holder
        assert holder.held == {(COMPANY_ID, US_REALM_ID)} and idle.held == set()

        # Rounds go on: the holder renews, the other never gets in.
        for tick in range(1, 4):
            at = now + timedelta(seconds=tick * holder.tick)
            await asyncio.gather(holder.round(now=at), idle.round(now=at))
            assert idle.held == set()
        # The holder stops (a crash: no release). Once its lease has run out, the other
        # takes it over and reconciles at once.
        after = at + holder.lease_ttl + timedelta(seconds=1)
        assert await idle.round(now=after) == [(COMPANY_ID, US_REALM_ID)]
        state = await _state(sandbox)
        assert state is not None and state.lease_holder == idle.holder
        assert await holder.round(now=after + timedelta(seconds=1)) == []
        assert holder.held == set()

        # A holder that stops cleanly gives the lease up: the other takes it on its next tick.
        await idle.release_all()
        state = await _state(sandbox)
        assert state is not None and state.lease_holder is None
        assert await holder.round(now=after + timedelta(seconds=2)) == [(COMPANY_ID, US_REALM_ID)]
    finally:
        for engine in (first_engine, second_engine):
            await engine.dispose()  # type: ignore[attr-defined]


async def test_a_company_whose_deals_show_no_invoice_costs_no_request(sandbox: Sandbox) -> None:
    reconciler = reconciler_for(sandbox.services)
    sandbox.qbo.requests.clear()
    assert await reconciler.round() == [(COMPANY_ID, US_REALM_ID)]
    assert sandbox.qbo.requests == []
    state = await _state(sandbox)
    assert state is not None and state.reconciled_at is not None
