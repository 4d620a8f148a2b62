"""Fixtures for the QuickBooks tests: the stand-in's state, a connected company, a fake sleep."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.connection import client_for_company
from extension.sandbox.quickbooks import QuickBooksStandIn, stand_in, webhook_sender
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.webhooks_out import WebhookSender
from extension.services import Services
from extension.web.quickbooks import connect_url
from tests.conftest import install_user

COMPANY_ID = 7001
ADMIN_ID = 11
REP_ID = 12


@pytest.fixture
def qbo(services: Services) -> QuickBooksStandIn:
    assert services.sandbox is not None
    return stand_in(services.sandbox)


@pytest.fixture
def qbo_webhooks(services: Services) -> WebhookSender:
    assert services.sandbox is not None
    return webhook_sender(services.sandbox)


@dataclass
class SleepRecorder:
    """Injected instead of asyncio.sleep: records the waits, never waits."""

    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


async def connect_through_consent(
    client: httpx.AsyncClient,
    services: Services,
    *,
    company_id: int = COMPANY_ID,
    user_id: int = ADMIN_ID,
    realm_id: str = US_REALM_ID,
) -> httpx.Response:
    """What an admin does: open the connect link, pick a company on Intuit's page, come back."""
    start = await client.get(connect_url(services, company_id, user_id))
    assert start.status_code == 302, start.text
    consent = await client.get(start.headers["location"])
    assert consent.status_code == 200, consent.text
    form = BeautifulSoup(consent.text, "html.parser").find("form")
    assert form is not None
    data = {
        str(i["name"]): str(i.get("value", ""))
        for i in form.find_all("input")
        if i.get("type") != "radio"
    }
    data.update(realm_id=realm_id, decision="connect")
    decided = await client.post(str(form["action"]), data=data)
    assert decided.status_code == 302
    return await client.get(decided.headers["location"])


@pytest.fixture
async def connected(
    client: httpx.AsyncClient, services: Services, db: async_sessionmaker[AsyncSession]
) -> int:
    await install_user(db, company_id=COMPANY_ID, user_id=ADMIN_ID, is_admin=True)
    await install_user(db, company_id=COMPANY_ID, user_id=REP_ID, is_admin=False)
    response = await connect_through_consent(client, services)
    assert response.status_code == 200, response.text
    return COMPANY_ID


@pytest.fixture
async def qb(
    services: Services, connected: int, sleeps: SleepRecorder, qbo: QuickBooksStandIn
) -> QuickBooksClient:
    qbo.requests.clear()  # the connect flow's own reads are not the test's
    return await client_for_company(services, connected, sleep=sleeps)


@dataclass
class Wire:
    """Raw HTTP on the stand-in's accounting API, as any client would send it."""

    http: httpx.AsyncClient
    base: str
    token: str

    async def get(self, path: str, **params: str) -> httpx.Response:
        return await self.http.get(
            f"{self.base}/{path}",
            params={"minorversion": "75", **params},
            headers={"Authorization": self.token, "Accept": "application/json"},
        )

    async def post(self, path: str, body: object, **params: str) -> httpx.Response:
        return await self.http.post(
            f"{self.base}/{path}",
            params={"minorversion": "75", **params},
            json=body,
            headers={"Authorization": self.token, "Accept": "application/json"},
        )

    async def query(self, sql: str) -> httpx.Response:
        return await self.get("query", query=sql)


@pytest.fixture
async def wire(services: Services, qb: QuickBooksClient, qbo: QuickBooksStandIn) -> Wire:
    await qb.get_preferences()  # any call: its bearer token is the connected company's
    token = qbo.requests[-1].authorization
    base = f"{services.settings.qbo_api_url}/v3/company/{US_REALM_ID}"
    return Wire(services.quickbooks_http, base, token)
