"""Connecting a company: ticket, consent, callback, stored tokens, status, disconnect."""

from __future__ import annotations

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from extension.accounts.quickbooks_connection import disconnect
from extension.invoicing.status import load_company_status
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import GLOBAL_REALM_ID, US_REALM_ID
from extension.services import Services
from extension.store.models import AuditEvent
from extension.store.quickbooks_models import QuickBooksConnection
from tests.quickbooks.conftest import ADMIN_ID, COMPANY_ID, REP_ID, connect_through_consent
from tests.support import connect_ticket, install_user, session_headers


async def test_admin_connects_and_tokens_are_stored_encrypted(
    client: httpx.AsyncClient,
    services: Services,
    db: async_sessionmaker[AsyncSession],
    qbo: QuickBooksStandIn,
) -> None:
    await install_user(db, company_id=COMPANY_ID, user_id=ADMIN_ID, is_admin=True)
    page = await connect_through_consent(client, services)
    assert page.status_code == 200
    heading = BeautifulSoup(page.text, "html.parser").find("h1")
    assert heading is not None and heading.text == "Connected to Sandbox Company_US_1."
    assert "<script>" not in page.text  # CSP: script comes from a file
    assert qbo.token_requests == ["authorization_code"]
    async with db() as session:
        row = await session.scalar(select(QuickBooksConnection))
        status = await load_company_status(session, COMPANY_ID)
        audit = await session.scalar(select(AuditEvent.action))
    assert row is not None and row.realm_id == US_REALM_ID
    assert row.connected_by_user_id == ADMIN_ID
    assert row.home_currency == "USD" and row.multicurrency_enabled and row.tax_model == "us"
    assert row.refresh_token_expires_at is not None and row.refresh_token_hard_expires_at
    access = services.cipher.decrypt(row.access_token_enc or "")
    assert access.startswith("eyJ") and access not in (row.access_token_enc or "")
    assert qbo.realm_for_access_token(access) == US_REALM_ID
    assert status.quickbooks == "connected"
    assert status.quickbooks_company_name == "Sandbox Company_US_1"
    assert audit == "quickbooks.connected"


async def test_connecting_the_uk_company_records_the_global_tax_model(
    client: httpx.AsyncClient, services: Services, db: async_sessionmaker[AsyncSession]
) -> None:
    await install_user(db, company_id=COMPANY_ID, user_id=ADMIN_ID, is_admin=True)
    await connect_through_consent(client, services, realm_id=GLOBAL_REALM_ID)
    async with db() as session:
        row = await session.scalar(select(QuickBooksConnection))
    assert row is not None and row.tax_model == "global" and row.home_currency == "GBP"


async def test_a_non_admin_ticket_is_refused(
    client: httpx.AsyncClient, services: Services, db: async_sessionmaker[AsyncSession]
) -> None:
    await install_user(db, company_id=COMPANY_ID, user_id=REP_ID, is_admin=False)
    response = await connect_ticket(client, services, company_id=COMPANY_ID, user_id=REP_ID)
    assert response.status_code == 403
    fragment = BeautifulSoup(response.text, "html.parser")
    assert fragment.select_one("[data-error=forbidden]") is not None
    assert "Only a Pipedrive admin" in fragment.get_text()


async def test_a_forged_ticket_or_state_is_refused(
    client: httpx.AsyncClient, services: Services, db: async_sessionmaker[AsyncSession]
) -> None:
    forged = await client.post("/quickbooks/connect", data={"ticket": "abc.def"})
    assert forged.status_code == 400
    callback = await client.get(
        "/quickbooks/callback", params={"code": "x", "state": "bad", "realmId": US_REALM_ID}
    )
    assert callback.status_code == 400
    async with db() as session:
        assert await session.scalar(select(QuickBooksConnection)) is None


async def test_cancelled_consent_stores_nothing(
    client: httpx.AsyncClient, services: Services, db: async_sessionmaker[AsyncSession]
) -> None:
    await install_user(db, company_id=COMPANY_ID, user_id=ADMIN_ID, is_admin=True)
    ticket = await connect_ticket(client, services, company_id=COMPANY_ID, user_id=ADMIN_ID)
    start = await client.post("/quickbooks/connect", data={"ticket": ticket.json()["ticket"]})
    consent = await client.get(start.headers["location"])
    form = BeautifulSoup(consent.text, "html.parser").find("form")
    assert form is not None
    data = {str(i["name"]): str(i.get("value", "")) for i in form.find_all("input")}
    data["decision"] = "cancel"
    decided = await client.post(str(form["action"]), data=data)
    page = await client.get(decided.headers["location"])
    assert "was not connected" in page.text
    async with db() as session:
        assert await session.scalar(select(QuickBooksConnection)) is None


async def test_disconnect_revokes_at_intuit_and_forgets_tokens(
    services: Services,
    db: async_sessionmaker[AsyncSession],
    qbo: QuickBooksStandIn,
    connected: int,
) -> None:
    async with db() as session:
        row = await session.scalar(select(QuickBooksConnection))
    assert row is not None
    access = services.cipher.decrypt(row.access_token_enc or "")
    await disconnect(services, connected, ADMIN_ID)
    assert qbo.realm_for_access_token(access) is None  # the whole grant is revoked
    async with db() as session:
        assert await session.scalar(select(QuickBooksConnection)) is None
        status = await load_company_status(session, connected)
    assert status.quickbooks == "not_connected"


async def test_a_connect_ticket_opens_intuit_once_and_never_travels_in_a_url(
    client: httpx.AsyncClient, services: Services, db: async_sessionmaker[AsyncSession]
) -> None:
    await install_user(db, company_id=COMPANY_ID, user_id=ADMIN_ID, is_admin=True)
    issued = await connect_ticket(client, services, company_id=COMPANY_ID, user_id=ADMIN_ID)
    assert issued.headers["Cache-Control"] == "no-store"
    ticket = issued.json()["ticket"]

    window = await client.get("/quickbooks/connect")  # what the settings page opens
    assert window.status_code == 200 and ticket not in window.text
    form = BeautifulSoup(window.text, "html.parser").select_one("#connect-form")
    assert form is not None and form["method"] == "post"

    first = await client.post("/quickbooks/connect", data={"ticket": ticket})
    assert first.status_code == 303
    assert ticket not in first.headers["location"]
    # CSP form-action must let the form's redirect reach Intuit's consent page.
    assert "form-action 'self' http://127.0.0.1:8000" in first.headers["Content-Security-Policy"]

    replay = await client.post("/quickbooks/connect", data={"ticket": ticket})
    assert replay.status_code == 400
    assert "already used" in replay.text

    # The old shape, a ticket in the query string, opens nothing.
    old_style = await client.get("/quickbooks/connect", params={"ticket": ticket})
    assert old_style.status_code == 200 and "location" not in old_style.headers


async def test_connecting_another_quickbooks_company_revokes_the_old_grant(
    client: httpx.AsyncClient,
    services: Services,
    db: async_sessionmaker[AsyncSession],
    qbo: QuickBooksStandIn,
    connected: int,
) -> None:
    async with db() as session:
        old = await session.scalar(select(QuickBooksConnection))
    assert old is not None and old.realm_id == US_REALM_ID
    old_access = services.cipher.decrypt(old.access_token_enc or "")
    page = await connect_through_consent(client, services, realm_id=GLOBAL_REALM_ID)
    assert page.status_code == 200
    assert qbo.realm_for_access_token(old_access) is None  # the US grant is revoked at Intuit
    async with db() as session:
        rows = list(await session.scalars(select(QuickBooksConnection)))
        actions = list(await session.scalars(select(AuditEvent.action)))
    assert [r.realm_id for r in rows] == [GLOBAL_REALM_ID]
    assert actions[-1] == "quickbooks.reconnected"


async def test_reconnecting_the_same_company_keeps_its_new_grant(
    client: httpx.AsyncClient,
    services: Services,
    db: async_sessionmaker[AsyncSession],
    qbo: QuickBooksStandIn,
    connected: int,
) -> None:
    await connect_through_consent(client, services, realm_id=US_REALM_ID)
    async with db() as session:
        row = await session.scalar(select(QuickBooksConnection))
    assert row is not None
    access = services.cipher.decrypt(row.access_token_enc or "")
    assert qbo.realm_for_access_token(access) == US_REALM_ID


async def test_a_token_no_key_can_read_asks_for_a_reconnect_not_a_500(
    client: httpx.AsyncClient,
    services: Services,
    db: async_sessionmaker[AsyncSession],
    connected: int,
) -> None:
    from cryptography.fernet import Fernet

    from extension.security.crypto import TokenCipher

    foreign = TokenCipher(secret_key="x" * 40, encryption_key=Fernet.generate_key().decode())
    async with db() as session, session.begin():
        row = await session.scalar(select(QuickBooksConnection))
        assert row is not None
        row.access_token_enc = foreign.encrypt("an access token from another key")
        row.refresh_token_enc = foreign.encrypt("a refresh token from another key")
    response = await client.post(
        "/settings/refresh-lists",
        headers=session_headers(services, company_id=COMPANY_ID, user_id=ADMIN_ID),
    )
    assert response.status_code == 200
    notice = BeautifulSoup(response.text, "html.parser").select_one("#settings-form-notice")
    assert notice is not None and "QuickBooks needs to be reconnected" in notice.get_text()
    async with db() as session:
        status = await load_company_status(session, COMPANY_ID)
    assert status.quickbooks == "needs_reconnect"
    card = await client.get(
        "/settings/connection",
        headers=session_headers(services, company_id=COMPANY_ID, user_id=ADMIN_ID),
    )
    assert "Reconnect" in card.text
