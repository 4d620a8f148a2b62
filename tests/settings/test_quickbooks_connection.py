"""The settings page and the company's QuickBooks connection: connect, lists, disconnect."""

from __future__ import annotations

import json

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import select

from extension.invoicing.reference_lists import load_quickbooks_lists
from extension.services import Services
from extension.store.models import AuditEvent
from extension.store.quickbooks_connections import load_connection
from tests.quickbooks.conftest import connect_through_consent
from tests.support import install_user, session_headers

COMPANY, ADMIN, REP = 7001, 11, 12


def _headers(services: Services, user_id: int) -> dict[str, str]:
    return session_headers(services, company_id=COMPANY, user_id=user_id)


async def _installed(db) -> None:  # type: ignore[no-untyped-def]
    await install_user(db, company_id=COMPANY, user_id=ADMIN, is_admin=True, name="Ada Admin")
    await install_user(db, company_id=COMPANY, user_id=REP, name="Rex Rep")


async def test_only_admins_get_a_connect_link(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _installed(db)
    admin = BeautifulSoup(
        (await client.get("/settings/connection", headers=_headers(services, ADMIN))).text,
        "html.parser",
    )
    button = admin.select_one("#qbo-connect-link")
    assert button is not None
    # The control opens the connect window and names where a ticket comes from; it carries
    # no credential itself (app.js fetches a one-time ticket when the window asks).
    assert button["data-connect-window"] == "http://127.0.0.1:8000/quickbooks/connect"
    assert button["data-connect-ticket"] == "http://127.0.0.1:8000/settings/connect-ticket"
    assert "?ticket=" not in str(admin)
    rep = BeautifulSoup(
        (await client.get("/settings/connection", headers=_headers(services, REP))).text,
        "html.parser",
    )
    assert rep.select_one("#qbo-connect-link") is None
    assert "Only a Pipedrive admin can connect" in rep.get_text()


async def test_waiting_card_polls_until_connected_then_shows_the_company(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _installed(db)
    waiting = await client.get(
        "/settings/connection?waiting=9999999999", headers=_headers(services, ADMIN)
    )
    card = BeautifulSoup(waiting.text, "html.parser").select_one("#qbo-connection")
    # A start time in the future is not a wait in progress; a current one is.
    assert card["hx-trigger"] == "app:connect-started"
    now = BeautifulSoup(
        (
            await client.get(
                f"/settings/connection?waiting={card['hx-get'].split('=')[-1]}",
                headers=_headers(services, ADMIN),
            )
        ).text,
        "html.parser",
    ).select_one("#qbo-connection")
    assert now["hx-trigger"] == "every 2s"
    assert "Waiting for QuickBooks" in now.get_text()

    assert (
        await connect_through_consent(client, services, company_id=COMPANY, user_id=ADMIN)
    ).status_code == 200
    done = await client.get(
        f"/settings/connection?waiting={card['hx-get'].split('=')[-1]}",
        headers=_headers(services, ADMIN),
    )
    soup = BeautifulSoup(done.text, "html.parser").select_one("#qbo-connection")
    assert soup["hx-trigger"] == "app:connect-started"  # polling stopped
    text = soup.get_text(" ", strip=True)
    assert "Connected to" in text and "Ada Admin" in text and "Home currency USD" in text
    assert soup.select_one("button[hx-confirm]") is not None
    assert json.loads(done.headers["HX-Trigger-After-Settle"]) == {"app:quickbooks-connected": {}}


async def test_quickbooks_lists_feed_the_defaults(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _installed(db)
    await connect_through_consent(client, services, company_id=COMPANY, user_id=ADMIN)
    response = await client.post(
        "/settings/refresh-lists", data={}, headers=_headers(services, ADMIN)
    )
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    async with db() as session:
        lists = await load_quickbooks_lists(session, COMPANY)
    assert lists.us_tax_model and lists.income_accounts and lists.terms
    assert all(c.value not in {"TAX", "NON"} for c in lists.tax_codes)
    options = {o["value"] for o in soup.select("#default_income_account_id option") if o["value"]}
    assert options == {c.value for c in lists.income_accounts}
    assert soup.select_one("input[name=default_taxable]") is not None  # the US model


async def test_disconnect_is_admin_only_and_revokes(
    client: httpx.AsyncClient, services: Services, db
) -> None:
    await _installed(db)
    await connect_through_consent(client, services, company_id=COMPANY, user_id=ADMIN)
    refused = await client.post("/settings/disconnect", headers=_headers(services, REP))
    assert refused.status_code == 403
    assert 'data-error="forbidden"' in refused.text
    async with db() as session:
        assert await load_connection(session, COMPANY) is not None
    response = await client.post("/settings/disconnect", headers=_headers(services, ADMIN))
    assert response.status_code == 200
    assert "Not connected" in BeautifulSoup(response.text, "html.parser").get_text()
    async with db() as session:
        assert await load_connection(session, COMPANY) is None
        actions = list(await session.scalars(select(AuditEvent.action)))
    assert "quickbooks.disconnected" in actions
