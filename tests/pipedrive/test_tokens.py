"""Token refresh: on expiry, once on a 401, one at a time per user; a dead refresh token."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from extension.accounts.pipedrive_access import client_for_user
from extension.pipedrive.errors import ReauthorizationNeeded
from extension.services import Services
from extension.store.models import AuditEvent, Installation
from tests.support import (
    ADMIN_ID,
    BASIC,
    COMPANY_ID,
    REP_ID,
    ConsentFlow,
    PipedriveFrames,
    form_of,
    pipedrive,
    query_of,
    record,
)


async def _installation(db, user_id: int = ADMIN_ID) -> Installation:
    async with db() as session:
        row = await session.scalar(select(Installation).where(Installation.user_id == user_id))
    assert row is not None
    return row


async def _expire_locally(db, user_id: int = ADMIN_ID) -> None:
    async with db() as session, session.begin():
        row = await session.scalar(select(Installation).where(Installation.user_id == user_id))
        assert row is not None
        row.token_expires_at = datetime.now(UTC) - timedelta(minutes=1)


@pytest.fixture
async def installed(client: httpx.AsyncClient) -> None:
    await ConsentFlow(client).install(user_id=ADMIN_ID)


async def test_expired_token_is_refreshed_before_the_call(
    services: Services, db, installed: None
) -> None:
    before = await _installation(db)
    old_refresh = services.cipher.decrypt(before.refresh_token_enc or "")
    await _expire_locally(db)
    sent = record(services)

    client = await client_for_user(services, COMPANY_ID, ADMIN_ID)
    deal = await client.deal(101)
    assert deal.id == 101

    refresh, deal_request = sent.requests
    assert refresh.url.path == "/sandbox/pipedrive/oauth/token"
    assert refresh.headers["authorization"] == BASIC
    assert form_of(refresh) == {"grant_type": "refresh_token", "refresh_token": old_refresh}
    after = await _installation(db)
    new_access = services.cipher.decrypt(after.access_token_enc or "")
    assert deal_request.headers["authorization"] == f"Bearer {new_access}"
    assert new_access != services.cipher.decrypt(before.access_token_enc or "")
    assert after.token_expires_at is not None and after.token_expires_at > datetime.now(UTC)


async def test_401_refreshes_once_and_repeats_the_request(
    services: Services, db, installed: None
) -> None:
    pipedrive(services).expire_access_tokens(ADMIN_ID)  # Pipedrive says no; our DB says fine
    sent = record(services)
    client = await client_for_user(services, COMPANY_ID, ADMIN_ID)
    person = await client.person(301)
    assert person.name == "Alice Buyer"
    assert [r.url.path.rsplit("/", 1)[-1] for r in sent.requests] == ["301", "token", "301"]
    assert sent.requests[0].headers["authorization"] != sent.requests[2].headers["authorization"]


async def test_concurrent_calls_share_one_refresh(services: Services, db, installed: None) -> None:
    await _expire_locally(db)
    sent = record(services)
    clients = [await client_for_user(services, COMPANY_ID, ADMIN_ID) for _ in range(3)]
    results = await asyncio.gather(*(c.deal(101) for c in clients for _ in range(2)))
    assert {d.id for d in results} == {101}
    assert len(sent.to("/oauth/token")) == 1


async def test_dead_refresh_token_marks_needs_reauth_and_the_panel_says_so(
    client: httpx.AsyncClient, services: Services, db, frames: PipedriveFrames, installed: None
) -> None:
    stand_in = pipedrive(services)
    stand_in.kill_refresh_tokens(ADMIN_ID)
    stand_in.expire_access_tokens(ADMIN_ID)
    pd_client = await client_for_user(services, COMPANY_ID, ADMIN_ID)
    with pytest.raises(ReauthorizationNeeded):
        await pd_client.deal(101)

    row = await _installation(db)
    assert row.needs_reauth is True
    assert row.access_token_enc is None and row.refresh_token_enc is None
    async with db() as session:
        actions = list(await session.scalars(select(AuditEvent.action)))
    assert "pipedrive.needs_reauth" in actions
    with pytest.raises(ReauthorizationNeeded):
        await client_for_user(services, COMPANY_ID, ADMIN_ID)

    panel = await client.get(
        frames.url("/panel/deal", company_id=COMPANY_ID, user_id=ADMIN_ID, selectedIds="101")
    )
    assert "Authorize again" in panel.text
    assert 'href="http://127.0.0.1:8000/pipedrive/install"' in panel.text

    # Authorizing again clears the flag.
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    assert (await _installation(db)).needs_reauth is False


async def test_not_installed_user_needs_authorization(services: Services, installed: None) -> None:
    with pytest.raises(ReauthorizationNeeded):
        await client_for_user(services, COMPANY_ID, REP_ID)


async def test_tokens_never_reach_logs_or_reprs(
    client: httpx.AsyncClient, services: Services, db, caplog: pytest.LogCaptureFixture
) -> None:
    """Every token Pipedrive hands out, from the install on, and every code and state on the
    way, stays out of every log line and every repr."""
    issued: list[str] = []

    async def keep_tokens(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/oauth/token"):
            body = json.loads(await response.aread())
            issued.extend(str(body[k]) for k in ("access_token", "refresh_token") if k in body)

    services.pipedrive_http.event_hooks["response"].append(keep_tokens)
    caplog.set_level(logging.DEBUG)
    flow = ConsentFlow(client)
    await flow.install(user_id=ADMIN_ID)
    authorize = await flow.start()
    callback = await flow.consent(authorize, user_id=ADMIN_ID, decision="allow")
    await client.get(callback)
    await client.get(callback)  # a refused replay logs the refusal
    await _expire_locally(db)
    pd_client = await client_for_user(services, COMPANY_ID, ADMIN_ID)
    await pd_client.deal(101)

    codes_and_states = [query_of(callback)["code"], query_of(callback)["state"]]
    assert len(issued) >= 6  # two installs and one refresh, each an access and a refresh token
    text = caplog.text + repr(pd_client) + repr(pd_client._tokens) + repr(services)
    for secret in [*issued, *codes_and_states]:
        assert secret not in text
