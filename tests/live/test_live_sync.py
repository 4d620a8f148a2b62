"""The background work as the app runs it: started by the lifespan, woken by a webhook the
moment it is stored (the answer to Intuit never waits for QuickBooks), reconciling at start-up,
and stopped with the app, leases given back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select

from extension.app import create_app
from extension.sandbox.quickbooks import webhook_sender
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.settings import Settings
from extension.store.db import create_engine, create_sessionmaker
from extension.store.invoice_models import InvoiceSyncState
from tests.live.conftest import deliver, events, mirrored, pay_on_page
from tests.panel.conftest import Sandbox, status_of
from tests.support import (
    ADMIN_ID,
    COMPANY_ID,
    ConsentFlow,
    RunningApp,
    connect_through_consent,
    make_settings,
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, QBO_BACKGROUND_SYNC="1", QBO_RECONCILE_SECONDS="1")


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


async def test_a_payment_reaches_the_mirror_by_itself(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("1000.00")
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    assert sandbox.services.sandbox is not None
    sender = webhook_sender(sandbox.services.sandbox)
    delivered = len(sender.delivered)
    await deliver(sandbox)
    seen = max((e.id for e in await events(sandbox)), default=0)
    # QuickBooks stops answering: the webhook is still answered at once (stored, worker woken).
    held = asyncio.Event()
    sandbox.qbo.config.hold = held
    await pay_on_page(sandbox, invoice.id, "1000")
    await deliver(sandbox)
    assert [status for status, _ in sender.delivered[delivered:]] == [200]
    assert {(e.entity_name, e.processed_at) for e in await events(sandbox) if e.id > seen} == {
        ("Payment", None),
        ("Invoice", None),
    }

    async def asking() -> bool:
        return any(r.path.endswith("/query") for r in sandbox.qbo.requests)

    await _eventually(asking)  # the worker woke by itself and now waits on QuickBooks
    held.set()
    sandbox.qbo.config.hold = None

    async def applied() -> bool:
        return {e.outcome for e in await events(sandbox) if e.id > seen} == {"applied"}

    await _eventually(applied)
    row = await mirrored(sandbox, invoice.id)
    assert row is not None and row.balance == 0
    assert status_of(await sandbox.content(), invoice.id) == "paid"


async def test_the_reconciler_runs_and_stops_with_the_app(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        running = RunningApp(app, dict(state or {}))
        services = running.services
        transport = httpx.ASGITransport(app=running)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            await ConsentFlow(http).install(user_id=ADMIN_ID)
            await connect_through_consent(
                http, services, company_id=COMPANY_ID, user_id=ADMIN_ID, realm_id=US_REALM_ID
            )

        async def reconciled() -> bool:
            async with services.sessionmaker() as session:
                row = await session.scalar(select(InvoiceSyncState))
            return row is not None and row.reconciled_at is not None and bool(row.lease_holder)

        await _eventually(reconciled)
    # Stopped with the app: the lease is given up for the next process.
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            row = await session.scalar(select(InvoiceSyncState))
    finally:
        await engine.dispose()
    assert row is not None and row.lease_holder is None and row.lease_expires_at is None
