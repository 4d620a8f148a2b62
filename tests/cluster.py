"""Several real app processes on one database against the stand-ins in a process of their own.

The stand-ins (``python -m extension.sandbox.standalone``) listen on one loopback port; each
app process is ``python -m extension serve`` outside sandbox mode, on a loopback port of its
own, pointed at them through the settings an operator would set (``PIPEDRIVE_OAUTH_URL``,
``QBO_*_URL``). All app processes share one ``APP_BASE_URL`` (the first one's origin), as
workers behind one proxy do: OAuth callbacks and QuickBooks webhooks go there.

Used by the multi-process tests (tests/live/test_cluster.py) and by ``make soak``
(bench/soak.py). Every wait is bounded; only processes started here are signalled.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from bs4 import BeautifulSoup

from extension.security.iframe_jwt import sign_iframe_token
from tests.integration.test_serving import REAL_MODE, _environment, _free_port
from tests.support import connect_with_ticket

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
COMPANY_ID, ADMIN_ID, REP_ID = 7_001_001, 9001, 9002  # the stand-in's seeded company
US_REALM = "9341453050071001"
# The custom UI extensions' JWT secret, as long as Pipedrive's (PyJWT warns below 32 bytes).
JWT_SECRET = "cluster-test-jwt-secret-0123456789-abcdefgh"


def _spawn(args: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as stderr:
        return subprocess.Popen(
            [sys.executable, *args],
            env=env,
            cwd=cwd,
            stdout=stderr,
            stderr=stderr,
            start_new_session=True,  # its own process group: a kill reaches nothing else
        )


async def _until_answering(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{url}: the process exited:\n{log.read_text()[-4000:]}")
            try:
                await http.get(url)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{url} did not answer:\n{log.read_text()[-4000:]}"
                    ) from None
                await asyncio.sleep(0.1)


def _end(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    process.wait(timeout=STOP_TIMEOUT)


@dataclass
class Upstreams:
    """The stand-ins' process and its ``/control`` endpoints."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path
    http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=10)

    async def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        if body is None:
            response = await self.http.get(f"/control/{path}")
        else:
            response = await self.http.post(f"/control/{path}", json=body)
        response.raise_for_status()
        return response.json()

    async def state(self) -> dict[str, Any]:
        state: dict[str, Any] = await self.control("state")
        return state

    def app_settings(self) -> dict[str, str]:
        """What an operator sets to point the app at these stand-ins instead of the real ones."""
        qbo = self.base_url + "/sandbox/quickbooks"
        return {
            "PIPEDRIVE_OAUTH_URL": self.base_url + "/sandbox/pipedrive",
            "QBO_API_URL": qbo,
            "QBO_AUTHORIZE_URL": qbo + "/connect/oauth2",
            "QBO_TOKEN_URL": qbo + "/oauth2/v1/tokens/bearer",
            "QBO_REVOKE_URL": qbo + "/v2/oauth2/tokens/revoke",
        }


@dataclass
class AppProcess:
    """``python -m extension serve`` on a fixed loopback port: killed and started again there."""

    name: str
    port: int
    env: dict[str, str]
    cwd: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.cwd / f"app-{self.name}.log"

    async def start(self) -> None:
        args = ["-m", "extension", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = _spawn(args, self.env, self.cwd, self.log)
        await _until_answering(self.base_url + "/healthz", self.process, self.log)

    def kill(self) -> None:
        """SIGKILL, without a word: no shutdown, no lease given up, requests cut off."""
        assert self.process is not None
        _end(self.process, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is not None:
            _end(self.process, signal.SIGTERM)

    def records(self) -> list[dict[str, Any]]:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return [json.loads(line) for line in lines if line.startswith("{")]


@dataclass
class Cluster:
    upstreams: Upstreams
    apps: list[AppProcess]
    database_url: str

    @property
    def entry(self) -> AppProcess:
        """Where ``APP_BASE_URL`` points: OAuth callbacks and webhooks arrive here."""
        return self.apps[0]


async def _migrate(env: dict[str, str], cwd: Path) -> None:
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "extension", "migrate"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)


@asynccontextmanager
async def cluster(
    tmp_path: Path,
    database_url: str,
    *,
    apps: int = 2,
    stall_seconds: float = 60.0,
    **settings: str,
) -> AsyncIterator[Cluster]:
    """The stand-ins and ``apps`` app processes on a migrated ``database_url``."""
    ports = [_free_port() for _ in range(apps)]
    app_base_url = f"http://127.0.0.1:{ports[0]}"
    upstream_port = _free_port()
    upstream_url = f"http://127.0.0.1:{upstream_port}"
    common = _environment(
        **REAL_MODE, PIPEDRIVE_JWT_SECRET=JWT_SECRET, APP_BASE_URL=app_base_url, LOG_FORMAT="json"
    )
    log = tmp_path / "upstreams.log"
    process = _spawn(
        ["-m", "extension.sandbox.standalone", "--port", str(upstream_port),
         "--app-base-url", app_base_url, "--stall-seconds", str(stall_seconds)],
        common, tmp_path, log,
    )  # fmt: skip
    upstreams = Upstreams(upstream_url, process, log)
    started: list[AppProcess] = []
    try:
        await _until_answering(upstream_url + "/control/state", process, log)
        # The processes share Intuit's 10 requests in flight per company, as the README says
        # an operator running several of them sets it.
        share = {"QBO_MAX_IN_FLIGHT": str(max(1, 10 // apps))}
        env = {
            **common,
            **upstreams.app_settings(),
            "DATABASE_URL": database_url,
            **share,
            **settings,
        }
        await _migrate(env, tmp_path)
        for n, port in enumerate(ports):
            app = AppProcess(chr(ord("a") + n), port, env, tmp_path)
            started.append(app)
        await asyncio.gather(*(app.start() for app in started))
        yield Cluster(upstreams, started, database_url)
    finally:
        for app in started:
            if app.process is not None:
                _end(app.process, signal.SIGKILL)
        await upstreams.http.aclose()
        _end(process, signal.SIGKILL)


# ---- acting as Pipedrive and its users --------------------------------------------------------


def iframe_query(user_id: int, runtime: str | None = None, **extra: str) -> str:
    """The query Pipedrive puts on a custom UI iframe URL, signed with the JWT secret;
    ``runtime`` is the iframe's own id (``id``)."""
    token = sign_iframe_token(JWT_SECRET, company_id=COMPANY_ID, user_id=user_id)
    query = {"token": token, "userId": str(user_id), "companyId": str(COMPANY_ID), **extra}
    return urlencode({**query, "id": runtime or os.urandom(8).hex(), "theme": "light"})


def session_token(page: str) -> str:
    """The session token a framed page hands its htmx calls (``hx-headers`` on ``<body>``)."""
    body = BeautifulSoup(page, "html.parser").body
    assert body is not None and body.has_attr("hx-headers"), page[:2000]
    return str(json.loads(str(body["hx-headers"]))["X-App-Session"])


async def install(http: httpx.AsyncClient, user_id: int) -> None:
    """The user installs the app: install URL → Pipedrive's consent → the app's callback."""
    start = await http.get("/pipedrive/install")
    assert start.status_code == 303, start.text
    page = await http.get(start.headers["location"])
    assert page.status_code == 200, page.text
    form = BeautifulSoup(page.text, "html.parser").select_one("main[data-consent] form")
    assert form is not None
    fields = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
    fields.update(user_id=str(user_id), decision="allow")
    decided = await http.post(str(form["action"]), data=fields)
    assert decided.status_code == 303, decided.text
    callback = await http.get(decided.headers["location"])
    assert callback.status_code < 400, callback.text


async def connect_quickbooks(http: httpx.AsyncClient, admin_id: int, realm_id: str) -> None:
    """An admin connects QuickBooks from the settings page: ticket → Intuit's consent → back."""
    settings = await http.get(f"/settings/?{iframe_query(admin_id)}")
    assert settings.status_code == 200, settings.text
    headers = {"X-App-Session": session_token(settings.text)}
    ticket = await http.post("/settings/connect-ticket", headers=headers)
    assert ticket.status_code == 200, ticket.text
    back = await connect_with_ticket(http, ticket.json()["ticket"], realm_id)
    assert back.status_code == 200, back.text


async def set_up_company(app: AppProcess, users: tuple[int, ...] = (ADMIN_ID,)) -> None:
    """Every user installed, QuickBooks connected by the first (an admin)."""
    async with httpx.AsyncClient(base_url=app.base_url, timeout=30) as http:
        for user_id in users:
            await install(http, user_id)
        await connect_quickbooks(http, users[0], US_REALM)
