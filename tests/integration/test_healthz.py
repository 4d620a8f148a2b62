"""``/healthz``: 200 when this process reaches its database, 503 when it does not or when the
database does not answer in time; never a call to Pipedrive or QuickBooks."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from extension.app import create_app
from extension.health import DATABASE_TIMEOUT
from extension.services import Services
from tests.support import BASE_URL, RunningApp, make_settings, record


async def test_healthz_reports_a_reachable_database_and_asks_no_upstream(
    client: httpx.AsyncClient, services: Services
) -> None:
    pipedrive, quickbooks = record(services, "pipedrive"), record(services, "quickbooks")
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["reachable"] is True
    assert 0 <= body["database"]["elapsed_ms"] < DATABASE_TIMEOUT * 1000
    assert body["pid"] == os.getpid()
    assert pipedrive.requests == [] and quickbooks.requests == []


async def _healthz(database_url: str) -> httpx.Response:
    application = create_app(make_settings(database_url))
    async with application.router.lifespan_context(application) as state:
        transport = httpx.ASGITransport(app=RunningApp(application, dict(state or {})))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            # Bounded whatever the driver does: a hang here is a failure, not a stuck suite.
            async with asyncio.timeout(DATABASE_TIMEOUT + 20):
                return await http.get("/healthz")


def _closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def silent_database() -> AsyncIterator[int]:
    """A loopback port that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def accept(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["reachable"] is False
    assert body["pid"] == os.getpid()


async def test_healthz_is_503_when_postgresql_refuses_connections() -> None:
    port = _closed_loopback_port()
    _unavailable(await _healthz(f"postgresql://postgres@127.0.0.1:{port}/nowhere"))


async def test_healthz_is_503_when_the_sqlite_file_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "a-directory.db").mkdir()
    before = set(threading.enumerate())
    _unavailable(await _healthz(f"sqlite+aiosqlite:///{tmp_path / 'a-directory.db'}"))
    # aiosqlite stops the thread of a connection that failed to open by answering a future on
    # this loop; were the loop closed first, that thread would die with "Event loop is closed".
    async with asyncio.timeout(10):
        while any(
            t.is_alive() and t.name.endswith("(_connection_worker_thread)")
            for t in set(threading.enumerate()) - before
        ):
            await asyncio.sleep(0.01)


async def test_healthz_gives_up_on_a_database_that_never_answers(
    silent_database: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="extension.health")
    response = await _healthz(f"postgresql://postgres@127.0.0.1:{silent_database}/silent")
    _unavailable(response)
    # The reason is logged for whoever investigates, under the request's id.
    [warning] = [r for r in caplog.records if r.name == "extension.health"]
    assert "did not answer within" in warning.getMessage()
    assert warning.request_id == response.headers["X-Request-ID"]  # type: ignore[attr-defined]
