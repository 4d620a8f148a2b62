"""Memory after a load: a real served app process (``python -m extension serve`` on a loopback
port, sandbox mode, its background sync on, a throw-away SQLite database) takes a few hundred
requests from a handful of concurrent users, then its resident memory is read from
``/proc/<pid>/status`` (VmRSS, and VmHWM: the most it held at any moment).

The load: the admin and a sales rep install the app, QuickBooks is connected, invoices are
created through the modal (opened, customer and lines linked, submitted), and the deal panels
are opened 100 times (each with the refresh it asks for and one question for live changes)
and refreshed.
Driven with httpx on asyncio, which lets the load reuse the test suite's helpers for the
browser's way through the consent pages and the modal's form.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import cast

import httpx
from bs4 import BeautifulSoup

from bench.report import Section
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.security.session import SESSION_HEADER, AppSession, SessionSigner
from extension.services import Services
from tests.create.conftest import Form, Modal
from tests.support import (
    ADMIN_ID,
    COMPANY_ID,
    REP_ID,
    TEST_ENV,
    ConsentFlow,
    connect_through_consent,
)

__all__ = ["run"]

CREATES = 20
PANEL_OPENS = 100
REFRESHES = 30
USERS = 6  # concurrent simulated users
DEALS = (101, 103, 105, 106)
LIMIT_MB = 200


@dataclass(frozen=True, slots=True)
class _Signing:
    """All the helpers borrowed from the tests need of the app's services: the session signer
    (the bench signs with the served process's own ``SECRET_KEY``)."""

    session_signer: SessionSigner


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_kb(pid: int) -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


async def _wait_healthy(client: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}")
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the app did not answer /healthz within 30 s")


class _Load:
    def __init__(self, client: httpx.AsyncClient, signer: SessionSigner) -> None:
        self.client = client
        self.signer = signer
        self.services = cast(Services, _Signing(signer))
        self.requests = 0
        self.statuses: dict[int, int] = {}
        self.creating = asyncio.Lock()
        client.event_hooks["response"].append(self._count)

    async def _count(self, response: httpx.Response) -> None:
        self.requests += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1

    def headers(self, user_id: int, target: str) -> dict[str, str]:
        token = self.signer.issue(AppSession(company_id=COMPANY_ID, user_id=user_id))
        return {SESSION_HEADER: token, "HX-Request": "true", "HX-Target": target}

    async def create(self, n: int) -> None:
        # One at a time: two creates for one customer at the same moment both update its
        # details in QuickBooks, and the later one is refused (Stale Object, shown in words).
        async with self.creating:
            await self._create(n)

    async def _create(self, n: int) -> None:
        modal = Modal(self.client, self.services, cast(QuickBooksStandIn, None))
        form = Form(modal, 101, await modal.open(101, f"load-{n}"))
        await form.link_customer("customer:1")
        await form.link_all_lines("1")
        response = await form.submit()
        created = BeautifulSoup(response.text, "html.parser").select_one("#created")
        assert created is not None, response.text[:3000]

    async def panel(self, user_id: int, deal_id: int) -> None:
        """The panel shows (refreshing itself when its copy is old), then asks once what
        changed since, as it does every two seconds while it is visible."""
        response = await self.client.get(
            f"/panel/deal/{deal_id}/content", headers=self.headers(user_id, "panel-content")
        )
        assert response.status_code == 200, response.text[:500]
        page = BeautifulSoup(response.text, "html.parser")
        if page.select_one("[hx-trigger=load][hx-post]") is not None:
            await self.refresh(user_id, deal_id)
        poller = page.select_one("#panel-live")
        if poller is None:
            return
        headers = {
            **self.headers(user_id, "panel-live"),
            **json.loads(str(poller["hx-headers"])),
            "If-None-Match": str(poller["data-etag"]),
        }
        live = await self.client.get(str(poller["hx-get"]), headers=headers)
        assert live.status_code in (200, 304), live.text[:500]

    async def refresh(self, user_id: int, deal_id: int) -> None:
        response = await self.client.post(
            f"/panel/deal/{deal_id}/refresh", headers=self.headers(user_id, "invoice-list")
        )
        assert response.status_code == 200, response.text[:500]


async def _drive(load: _Load) -> None:
    chance = random.Random(14)
    work: list[Callable[[], Awaitable[None]]] = [partial(load.create, n) for n in range(CREATES)]
    for _ in range(PANEL_OPENS):
        work.append(partial(load.panel, chance.choice((ADMIN_ID, REP_ID)), chance.choice(DEALS)))
    for _ in range(REFRESHES):
        work.append(partial(load.refresh, ADMIN_ID, chance.choice(DEALS)))
    chance.shuffle(work)
    queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
    for step in work:
        queue.put_nowait(step)

    async def simulated_user() -> None:
        while not queue.empty():
            await queue.get_nowait()()

    await asyncio.gather(*(simulated_user() for _ in range(USERS)))


async def run() -> Section:
    section = Section(f"Memory of a served app process after a load ({USERS} concurrent users)")
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            **TEST_ENV,
            "APP_BASE_URL": base,
            "DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'memory.db'}",
            "QBO_BACKGROUND_SYNC": "1",
            "LOG_LEVEL": "warning",
        }
        python = sys.executable
        subprocess.run([python, "-m", "extension", "migrate"], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        process = subprocess.Popen(
            [python, "-m", "extension", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                await _wait_healthy(client, process)
                started = _memory_kb(process.pid)
                load = _Load(client, SessionSigner(TEST_ENV["SECRET_KEY"]))
                for user_id in (ADMIN_ID, REP_ID):
                    await ConsentFlow(client).install(user_id=user_id)
                await connect_through_consent(
                    client, load.services, company_id=COMPANY_ID, user_id=ADMIN_ID,
                    realm_id=US_REALM_ID,
                )  # fmt: skip
                begun = time.perf_counter()
                await _drive(load)
                took = time.perf_counter() - begun
                await asyncio.sleep(1)  # webhooks of the last creates applied
                after = _memory_kb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=15)
    errors = sum(n for status, n in load.statuses.items() if status >= 500)
    section.add("requests sent", load.requests)
    section.add("load took", took, " s")
    section.add("answers 5xx", errors)
    section.add("resident memory at start (VmRSS)", started["VmRSS"] / 1024, " MB")
    section.add("resident memory after the load (VmRSS)", after["VmRSS"] / 1024, " MB",
                limit=LIMIT_MB, target="memory after the load test, per process")  # fmt: skip
    section.add("peak resident memory (VmHWM)", after["VmHWM"] / 1024, " MB")
    return section
