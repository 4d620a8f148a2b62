"""Pipedrive's uninstall ``DELETE`` and sharing ``POST`` on the callback URL."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks import stand_in as quickbooks_stand_in
from extension.sandbox.quickbooks.standin import OAuthFailure
from extension.services import Services
from extension.store.models import AuditEvent, Base, Company, Installation
from extension.store.quickbooks_connections import load_connection
from tests.quickbooks.conftest import connect_through_consent
from tests.support import ADMIN_ID, BASIC, CLIENT_ID, COMPANY_ID, REP_ID, ConsentFlow, install_user

OTHER_COMPANY = 5_550_001


def _notice(user_id: int, company_id: int = COMPANY_ID) -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "company_id": company_id,
        "user_id": user_id,
        "timestamp": "2025-09-01T10:00:00.000Z",
    }


async def _snapshot(db) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a refused request changed nothing."""
    async with db() as session:
        return {
            table.name: [tuple(r) for r in (await session.execute(table.select())).all()]
            for table in Base.metadata.sorted_tables
        }


async def _company_rows(db, company_id: int) -> dict[str, int]:
    """Rows per table that belong to the company (every table is scoped by company)."""
    counts = {}
    async with db() as session:
        for table in Base.metadata.sorted_tables:
            column = table.c.id if table.name == "companies" else table.c.get("company_id")
            assert column is not None, f"{table.name} is not scoped by company"
            counts[table.name] = int(
                await session.scalar(
                    select(func.count()).select_from(table).where(column == company_id)
                )
                or 0
            )
    return counts


@pytest.fixture
async def both_installed(client: httpx.AsyncClient) -> None:
    flow = ConsentFlow(client)
    await flow.install(user_id=ADMIN_ID)
    await flow.install(user_id=REP_ID)


@pytest.fixture
async def quickbooks_connected(
    client: httpx.AsyncClient, services: Services, both_installed: None
) -> str:
    """The company has connected QuickBooks; returns the refresh token Intuit issued."""
    response = await connect_through_consent(
        client, services, company_id=COMPANY_ID, user_id=ADMIN_ID
    )
    assert response.status_code == 200
    async with services.sessionmaker() as session:
        row = await load_connection(session, COMPANY_ID)
    assert row is not None and row.refresh_token_enc
    return services.cipher.decrypt(row.refresh_token_enc)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic " + base64.b64encode(f"{CLIENT_ID}:wrong-secret".encode()).decode(),
        "Basic " + base64.b64encode(b"other-client:sandbox-pipedrive-client-secret").decode(),
        BASIC.replace("Basic", "Bearer"),
        "Basic not-base64!",
        BASIC + "x",
    ],
)
async def test_uninstall_with_bad_credentials_is_401_and_changes_nothing(
    client: httpx.AsyncClient, db, both_installed: None, authorization: str | None
) -> None:
    before = await _snapshot(db)
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.request(
        "DELETE", "/pipedrive/callback", json=_notice(ADMIN_ID), headers=headers
    )
    assert response.status_code == 401
    assert await _snapshot(db) == before


async def test_malformed_notice_is_refused(
    client: httpx.AsyncClient, db, both_installed: None
) -> None:
    before = await _snapshot(db)
    for body in ({"client_id": CLIENT_ID}, {**_notice(ADMIN_ID), "client_id": "another-app"}):
        response = await client.request(
            "DELETE", "/pipedrive/callback", json=body, headers={"Authorization": BASIC}
        )
        assert response.status_code == 400
    assert await _snapshot(db) == before


async def test_non_last_user_uninstall_deletes_only_their_tokens(
    client: httpx.AsyncClient, db, services: Services, quickbooks_connected: str
) -> None:
    response = await client.request(
        "DELETE", "/pipedrive/callback", json=_notice(REP_ID), headers={"Authorization": BASIC}
    )
    assert response.status_code == 200
    async with db() as session:
        rows = list(await session.scalars(select(Installation)))
        assert [r.user_id for r in rows] == [ADMIN_ID]
        assert rows[0].access_token_enc and rows[0].refresh_token_enc
        assert await session.get(Company, COMPANY_ID) is not None
        actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-1] == "pipedrive.uninstalled"
    # The company keeps QuickBooks: the grant still works at Intuit.
    assert _quickbooks(services).refresh(quickbooks_connected)["access_token"]


async def test_last_user_uninstall_deletes_everything_of_the_company(
    client: httpx.AsyncClient, db, services: Services, quickbooks_connected: str
) -> None:
    # Another company's data must survive.
    await install_user(db, company_id=OTHER_COMPANY, user_id=1, is_admin=True)
    async with db() as session, session.begin():
        session.add(AuditEvent(company_id=OTHER_COMPANY, user_id=1, action="kept", detail={}))
    other_before = await _company_rows(db, OTHER_COMPANY)
    assert (await _company_rows(db, COMPANY_ID))["installations"] == 2
    assert (await _company_rows(db, COMPANY_ID))["quickbooks_connections"] == 1

    for user_id in (REP_ID, ADMIN_ID):
        response = await client.request(
            "DELETE",
            "/pipedrive/callback",
            json=_notice(user_id),
            headers={"Authorization": BASIC},
        )
        assert response.status_code == 200

    left = await _company_rows(db, COMPANY_ID)
    assert all(count == 0 for count in left.values()), left
    assert await _company_rows(db, OTHER_COMPANY) == other_before
    # The QuickBooks grant was revoked at Intuit: its refresh token no longer works there.
    with pytest.raises(OAuthFailure, match="invalid_grant"):
        _quickbooks(services).refresh(quickbooks_connected)


def _quickbooks(services: Services) -> QuickBooksStandIn:
    assert services.sandbox is not None
    return quickbooks_stand_in(services.sandbox)


async def test_ids_as_strings_are_accepted(
    client: httpx.AsyncClient, db, both_installed: None
) -> None:
    body = {**_notice(REP_ID), "company_id": str(COMPANY_ID), "user_id": str(REP_ID)}
    response = await client.request(
        "DELETE", "/pipedrive/callback", json=body, headers={"Authorization": BASIC}
    )
    assert response.status_code == 200
    async with db() as session:
        assert list(await session.scalars(select(Installation.user_id))) == [ADMIN_ID]


async def test_host_page_uninstall_sends_pipedrives_delete(
    client: httpx.AsyncClient, db, both_installed: None
) -> None:
    page = await client.get("/sandbox/deals/101?user=rep")
    controls = BeautifulSoup(page.text, "html.parser").select_one(".host__controls")
    assert controls is not None
    assert controls.select_one("[data-installed]") is not None  # "Installed" badge
    button = controls.select_one("button[data-pipedrive-uninstall]")
    assert button is not None

    response = await client.post(
        str(button["formaction"]), data={"user": "rep", "next": "/sandbox/deals/101"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/sandbox/deals/101?user=rep"
    async with db() as session:
        assert list(await session.scalars(select(Installation.user_id))) == [ADMIN_ID]
    page = await client.get("/sandbox/deals/101?user=rep")
    controls = BeautifulSoup(page.text, "html.parser").select_one(".host__controls")
    assert controls is not None
    assert controls.select_one("[data-installed]") is None
    assert controls.select_one("button[data-pipedrive-install]") is not None


async def test_host_page_install_runs_the_real_oauth_flow(client: httpx.AsyncClient, db) -> None:
    page = await client.get("/sandbox/deals/101?user=rep")
    button = BeautifulSoup(page.text, "html.parser").select_one("button[data-pipedrive-install]")
    assert button is not None
    start = await client.get(str(button["formaction"]), params={"user": "rep"})
    assert start.headers["location"] == "http://127.0.0.1:8000/pipedrive/install"
    client.cookies.update(start.cookies)
    authorize = (await client.get(start.headers["location"])).headers["location"]
    consent = BeautifulSoup((await client.get(authorize)).text, "html.parser")
    selected = consent.select_one("select[name=user_id] option[selected]")
    assert selected is not None and selected["value"] == str(REP_ID)
    callback = await ConsentFlow(client).consent(authorize, user_id=REP_ID, decision="allow")
    done = await client.get(callback)
    assert done.status_code == 303
    async with db() as session:
        assert list(await session.scalars(select(Installation.user_id))) == [REP_ID]


async def test_sharing_notice_is_recorded_for_a_known_company(
    client: httpx.AsyncClient, db, both_installed: None
) -> None:
    body = {"company_id": COMPANY_ID, "user_id": ADMIN_ID, "isShared": True}
    response = await client.post("/pipedrive/callback", json=body)
    assert response.status_code == 200
    unknown = await client.post(
        "/pipedrive/callback", json={"company_id": 42, "user_id": 1, "isShared": False}
    )
    assert unknown.status_code == 200
    async with db() as session:
        events = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "pipedrive.sharing_changed")
            )
        )
        assert await session.get(Company, 42) is None
    assert [(e.company_id, e.user_id, e.detail) for e in events] == [
        (COMPANY_ID, ADMIN_ID, {"is_shared": True})
    ]
