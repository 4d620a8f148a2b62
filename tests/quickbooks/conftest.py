"""Fixtures for the QuickBooks tests: the stand-in's state, a connected company, a fake sleep."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from extension.accounts.quickbooks_connection import client_for_company
from extension.quickbooks.client import QuickBooksClient
from extension.sandbox.quickbooks import QuickBooksStandIn, stand_in, webhook_sender
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.webhooks_out import WebhookSender
from extension.services import Services
from tests.support import SleepRecorder, install_user
from tests.support import connect_through_consent as _connect

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


@pytest.fixture
def sleeps(services: Services) -> SleepRecorder:
    return SleepRecorder().install(services)


async def connect_through_consent(
    client: httpx.AsyncClient,
    services: Services,
    *,
    company_id: int = COMPANY_ID,
    user_id: int = ADMIN_ID,
    realm_id: str = US_REALM_ID,
) -> httpx.Response:
    return await _connect(
        client, services, company_id=company_id, user_id=user_id, realm_id=realm_id
    )


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
    return await client_for_company(services, connected)


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
