"""Shared test setup in one place: settings, the running app, acting as Pipedrive (iframe URLs,
installs, session headers, the consent flow), and watching what the app sends upstream.

Fixtures live in ``tests/conftest.py`` and use these; tests import helpers from here only.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from bs4 import BeautifulSoup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from extension.sandbox.pipedrive import PipedriveStandIn, stand_in
from extension.security.iframe_jwt import sign_iframe_token
from extension.security.session import SESSION_HEADER, AppSession
from extension.services import Services
from extension.settings import Settings
from extension.store.models import Company, Installation, utcnow
from extension.upstream_retry import RetryPolicy

BASE_URL = "http://127.0.0.1:8000"
TEST_ENV = {
    "SANDBOX": "1",
    "APP_BASE_URL": BASE_URL,
    "SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
    # Tests drive the event worker and the reconciler themselves (tests/live/); a background
    # round running at its own time would add QuickBooks requests to what others assert.
    "QBO_BACKGROUND_SYNC": "0",
}

# The sandbox's seeded Pipedrive company (extension/sandbox/seed.py) and app credentials.
CLIENT_ID = "sandbox-pipedrive-client-id"
CLIENT_SECRET = "sandbox-pipedrive-client-secret-0123456789abcdef"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
CALLBACK = "http://127.0.0.1:8000/pipedrive/callback"
COMPANY_ID, ADMIN_ID, REP_ID = 7_001_001, 9001, 9002
API = "http://127.0.0.1:8000/sandbox/pipedrive/company/northwind-sandbox"


def make_settings(database_url: str, **overrides: str) -> Settings:
    return Settings.from_env({**TEST_ENV, "DATABASE_URL": database_url, **overrides})


class RunningApp:
    """The app with its lifespan entered; requests get the lifespan state as a server gives it."""

    def __init__(self, app: Starlette, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.services: Services = state["services"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = self.state
        await self.app(scope, receive, send)


# ---- acting as Pipedrive ------------------------------------------------------------------


class PipedriveFrames:
    """Builds iframe URLs exactly as Pipedrive does, signed with the configured secret."""

    def __init__(self, settings: Settings) -> None:
        self.secret = str(settings.pipedrive_jwt_secret)

    def query(
        self, *, company_id: int, user_id: int, token: str | None = None, **extra: str
    ) -> dict[str, str]:
        signed = (
            token
            if token is not None
            else sign_iframe_token(self.secret, company_id=company_id, user_id=user_id)
        )
        return {
            "token": signed,
            "userId": str(user_id),
            "companyId": str(company_id),
            "id": secrets.token_hex(8),
            "theme": "light",
            **extra,
        }

    def url(self, path: str, **kwargs: Any) -> str:
        return f"{path}?{urlencode(self.query(**kwargs))}"


async def install_user(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    company_id: int,
    user_id: int,
    is_admin: bool = False,
    name: str = "Test User",
) -> None:
    """Insert an installation directly (the OAuth install flow has its own tests); its
    details count as just read from Pipedrive, so nothing asks Pipedrive for them again."""
    async with sessionmaker() as session, session.begin():
        if await session.get(Company, company_id) is None:
            session.add(Company(id=company_id, name="Test Company", domain="testco"))
            await session.flush()
        session.add(
            Installation(
                company_id=company_id,
                user_id=user_id,
                is_admin=is_admin,
                name=name,
                api_domain="https://testco.pipedrive.com",
                details_refreshed_at=utcnow(),
            )
        )


def session_headers(services: Services, *, company_id: int, user_id: int) -> dict[str, str]:
    """What our framed pages send on every htmx call: the session token and HX-Request."""
    token = services.session_signer.issue(AppSession(company_id=company_id, user_id=user_id))
    return {SESSION_HEADER: token, "HX-Request": "true"}


def pipedrive(services: Services) -> PipedriveStandIn:
    assert services.sandbox is not None
    return stand_in(services.sandbox)


@dataclass
class Recorder:
    """Every request the app's client of one upstream sends (method, URL, headers, body)."""

    requests: list[httpx.Request] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> None:
        await request.aread()
        self.requests.append(request)

    def to(self, path_suffix: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith(path_suffix)]


def record(services: Services, upstream: str = "pipedrive") -> Recorder:
    recorder = Recorder()
    http = services.pipedrive_http if upstream == "pipedrive" else services.quickbooks_http
    http.event_hooks["request"].append(recorder)
    return recorder


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode(), keep_blank_values=True).items()}


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


class ConsentFlow:
    """The browser's way through install → Pipedrive consent → callback."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def start(self) -> str:
        """The authorize URL the installation URL sends the browser to."""
        response = await self.client.get("/pipedrive/install")
        assert response.status_code == 303
        return response.headers["location"]

    async def consent(self, authorize_url: str, *, user_id: int, decision: str) -> str:
        """Submits Pipedrive's consent page; returns the callback URL Pipedrive redirects to."""
        page = await self.client.get(authorize_url)
        assert page.status_code == 200, page.text
        form = BeautifulSoup(page.text, "html.parser").select_one("main[data-consent] form")
        assert form is not None
        fields = {
            str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")
        }
        fields.update({"user_id": str(user_id), "decision": decision})
        response = await self.client.post(str(form["action"]), data=fields)
        assert response.status_code == 303
        return response.headers["location"]

    async def install(self, *, user_id: int = ADMIN_ID) -> httpx.Response:
        callback = await self.consent(await self.start(), user_id=user_id, decision="allow")
        return await self.client.get(callback)


# ---- QuickBooks ---------------------------------------------------------------------------


@dataclass
class SleepRecorder:
    """Injected instead of asyncio.sleep into the app's retry policy: records, never waits."""

    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    def install(self, services: Services) -> SleepRecorder:
        services.runtime.retry = RetryPolicy(sleep=self)
        return self


async def connect_ticket(
    client: httpx.AsyncClient, services: Services, *, company_id: int, user_id: int
) -> httpx.Response:
    """What the settings page does when "Connect to QuickBooks" is clicked: app.js asks for a
    ticket with fetch (the session header, and no HX-Request: it is not an htmx call)."""
    headers = session_headers(services, company_id=company_id, user_id=user_id)
    del headers["HX-Request"]
    return await client.post("/settings/connect-ticket", headers=headers)


async def connect_through_consent(
    client: httpx.AsyncClient,
    services: Services,
    *,
    company_id: int,
    user_id: int,
    realm_id: str,
) -> httpx.Response:
    """What an admin does: open the connect window, which posts its ticket; pick a company on
    Intuit's page; come back to the callback."""
    ticket = await connect_ticket(client, services, company_id=company_id, user_id=user_id)
    assert ticket.status_code == 200, ticket.text
    return await connect_with_ticket(client, ticket.json()["ticket"], realm_id)


async def connect_with_ticket(
    client: httpx.AsyncClient, ticket: str, realm_id: str
) -> httpx.Response:
    """The connect window from its ticket: Intuit's consent page, pick ``realm_id``, Connect;
    the callback's answer."""
    start = await client.post("/quickbooks/connect", data={"ticket": ticket})
    assert start.status_code == 303, start.text
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
    assert decided.status_code == 302, decided.text
    return await client.get(decided.headers["location"])
