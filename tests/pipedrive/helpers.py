"""Acting as a Pipedrive user in a browser, and watching what the app sends to Pipedrive."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import httpx
from bs4 import BeautifulSoup

from extension.sandbox.pipedrive import PipedriveStandIn, stand_in
from extension.services import Services

CLIENT_ID = "sandbox-pipedrive-client-id"
CLIENT_SECRET = "sandbox-pipedrive-client-secret-0123456789abcdef"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
CALLBACK = "http://127.0.0.1:8000/pipedrive/callback"
COMPANY_ID, ADMIN_ID, REP_ID = 7_001_001, 9001, 9002
API = "http://127.0.0.1:8000/sandbox/pipedrive/company/northwind-sandbox"


def pipedrive(services: Services) -> PipedriveStandIn:
    assert services.sandbox is not None
    return stand_in(services.sandbox)


@dataclass
class Recorder:
    """Every request the app's Pipedrive client sends (method, URL, headers, body)."""

    requests: list[httpx.Request] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> None:
        await request.aread()
        self.requests.append(request)

    def to(self, path_suffix: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith(path_suffix)]


def record(services: Services) -> Recorder:
    recorder = Recorder()
    services.pipedrive_http.event_hooks["request"].append(recorder)
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
