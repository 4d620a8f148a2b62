"""The single-refresh rule: one refresh per company across coroutines and engines ("processes")."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from extension.accounts.quickbooks_connection import client_for_company
from extension.invoicing.status import load_company_status
from extension.quickbooks.errors import QuickBooksReconnectRequired
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.services import Services
from extension.store.db import create_engine, create_sessionmaker
from extension.store.quickbooks_models import QuickBooksConnection
from tests.support import SleepRecorder


async def _row(db: async_sessionmaker[AsyncSession]) -> QuickBooksConnection:
    async with db() as session:
        row = await session.scalar(select(QuickBooksConnection))
    assert row is not None
    return row


def _expire_with_strict_rotation(qbo: QuickBooksStandIn) -> None:
    qbo.config.rotation_period = 0  # every refresh rotates: a lost token would show
    qbo.config.stale_grace = 0
    qbo.clock.advance(3601)  # Intuit now refuses the stored access token (401)


async def test_twenty_calls_on_an_expired_token_refresh_once(
    services: Services,
    db: async_sessionmaker[AsyncSession],
    qbo: QuickBooksStandIn,
    connected: int,
    sleeps: SleepRecorder,
) -> None:
    _expire_with_strict_rotation(qbo)
    before = await _row(db)
    client = await client_for_company(services, connected)
    results = await asyncio.gather(*(client.get_preferences() for _ in range(20)))
    assert all(r.home_currency == "USD" for r in results)
    assert qbo.token_requests == ["authorization_code", "refresh_token"]
    after = await _row(db)
    assert after.token_version == before.token_version + 1
    assert after.refresh_token_enc != before.refresh_token_enc
    new_access = services.cipher.decrypt(after.access_token_enc or "")
    assert {r.authorization for r in qbo.requests[-20:]} == {f"Bearer {new_access}"}


async def test_a_token_known_to_be_expired_is_refreshed_before_the_call(
    services: Services, qbo: QuickBooksStandIn, connected: int, sleeps: SleepRecorder
) -> None:
    later = datetime.now(UTC) + timedelta(hours=2)
    client = await client_for_company(services, connected, now=lambda: later)
    await asyncio.gather(*(client.list_terms() for _ in range(5)))
    assert qbo.token_requests.count("refresh_token") == 1
    assert all(r.path.endswith("/query") for r in qbo.requests[-5:])


async def test_two_engines_refresh_once(
    services: Services,
    db: async_sessionmaker[AsyncSession],
    qbo: QuickBooksStandIn,
    connected: int,
    sleeps: SleepRecorder,
) -> None:
    """Two engines stand for two app processes: only the database lock keeps them apart."""
    _expire_with_strict_rotation(qbo)
    other_engine = create_engine(services.settings.database_url)
    other = dataclasses.replace(
        services, engine=other_engine, sessionmaker=create_sessionmaker(other_engine)
    )
    try:
        first = await client_for_company(services, connected)
        second = await client_for_company(other, connected)
        calls = [c.get_company_info() for _ in range(5) for c in (first, second)]
        results = await asyncio.gather(*calls)
    finally:
        await other_engine.dispose()
    assert {r.company_name for r in results} == {"Sandbox Company_US_1"}
    assert qbo.token_requests.count("refresh_token") == 1
    assert (await _row(db)).needs_reconnect is False


async def test_a_lost_grant_marks_the_connection_for_reconnect(
    services: Services,
    db: async_sessionmaker[AsyncSession],
    qbo: QuickBooksStandIn,
    connected: int,
    sleeps: SleepRecorder,
) -> None:
    row = await _row(db)
    qbo.revoke(services.cipher.decrypt(row.refresh_token_enc or ""))  # e.g. revoked at Intuit
    client = await client_for_company(services, connected)
    with pytest.raises(QuickBooksReconnectRequired):
        await client.get_preferences()
    assert qbo.token_requests.count("refresh_token") == 1  # re-read once, no second try
    async with db() as session:
        status = await load_company_status(session, connected)
    assert status.quickbooks == "needs_reconnect"
    with pytest.raises(QuickBooksReconnectRequired):
        await client_for_company(services, connected)


async def test_a_superseded_refresh_token_is_refused_after_the_grace_period(
    services: Services, db: async_sessionmaker[AsyncSession], qbo: QuickBooksStandIn, connected: int
) -> None:
    qbo.config.rotation_period = 0
    qbo.config.stale_grace = 60
    first = services.cipher.decrypt((await _row(db)).refresh_token_enc or "")
    rotated = qbo.refresh(first)
    assert rotated["refresh_token"] != first
    latest = qbo.refresh(first)["refresh_token"]  # still inside the grace period
    qbo.clock.advance(61)
    with pytest.raises(Exception, match="invalid_grant"):
        qbo.refresh(first)
    assert latest != rotated["refresh_token"]
    assert qbo.refresh(latest)["access_token"]
