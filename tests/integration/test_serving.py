"""``python -m extension serve`` as an operator runs it: real processes on a loopback port.

- one worker in sandbox mode with ``LOG_FORMAT=json``: every line on standard error is one JSON
  object, and a request's own log records and its access line carry its ``X-Request-ID``;
- ``--workers 2`` refuses sandbox mode before starting anything;
- two workers on a throw-away PostgreSQL database, migrated first as the README says: both
  answer ``/healthz`` (two pids, children of the server), and both stop on SIGTERM.

Every wait is bounded; only 127.0.0.1 is bound or called.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from extension.__main__ import APP_FACTORY, _listen_as_tcp, main
from tests.conftest import _PG_ADMIN_URL, _create_pg_database, _drop_pg_database

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Everything the app reads from the environment: the servers started here see only ours.
_OWN_VARIABLES = ("APP_", "DATABASE_URL", "SANDBOX", "PIPEDRIVE_", "QBO_", "SECRET_KEY")
_OWN_VARIABLES += ("ENCRYPTION_KEY", "LOG_", "WEB_CONCURRENCY", "HOST", "PORT", "FORWARDED_")
# Outside sandbox mode the upstream URLs point at a closed loopback port: nothing leaves here.
_NOWHERE = "http://127.0.0.1:9"
REAL_MODE = {
    "SANDBOX": "0",
    "SECRET_KEY": "serving-test-secret-key-0123456789-abcdef",
    "PIPEDRIVE_CLIENT_ID": "serving-test-client",
    "PIPEDRIVE_CLIENT_SECRET": "serving-test-secret",
    "PIPEDRIVE_OAUTH_URL": _NOWHERE,
    "QBO_CLIENT_ID": "serving-test-qbo",
    "QBO_CLIENT_SECRET": "serving-test-qbo-secret",
    "QBO_WEBHOOK_VERIFIER_TOKEN": "serving-test-verifier",
    **{f"QBO_{name}_URL": _NOWHERE for name in ("API", "AUTHORIZE", "TOKEN", "REVOKE")},
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(**settings: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_VARIABLES)}
    return {**inherited, **settings}


def _python_m_extension(*args: str) -> list[str]:
    return [sys.executable, "-m", "extension", *args]


class Server:
    def __init__(self, process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
        self.process, self.base_url, self.log = process, base_url, log

    def records(self) -> list[dict[str, Any]]:
        """Every line of standard error, each of which must be one JSON object."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def stop(self) -> None:
        """SIGTERM, as a process manager stops it; returns once it has ended on its own."""
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=STOP_TIMEOUT)
        # uvicorn re-raises the signal it caught once it has shut down (or exits 0 when it
        # supervised workers): either way an ending it chose, not a crash.
        assert status in (0, -signal.SIGTERM), self.log.read_text()

    def shut_down_cleanly(self) -> set[int]:
        """The pids whose app ran its lifespan's shutdown (engine disposed, clients closed)."""
        done = "Application shutdown complete."
        return {r["pid"] for r in self.records() if r["message"] == done}


@contextmanager
def serving(tmp_path: Path, env: Mapping[str, str], *, workers: int = 1) -> Iterator[Server]:
    port = _free_port()
    log = tmp_path / f"server-{port}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            _python_m_extension(
                "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)
            ),
            env=dict(env),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group, so cleanup reaches the workers
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_answering(server)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)


def _wait_until_answering(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(base_url=server.base_url, timeout=5) as http:
        while True:
            if server.process.poll() is not None:
                raise AssertionError(f"the server exited:\n{server.log.read_text()}")
            try:
                http.get("/healthz")
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"the server did not answer:\n{server.log.read_text()}"
                    ) from None
                time.sleep(0.1)


# ---- one worker, JSON logs --------------------------------------------------------------------


def test_one_worker_writes_json_lines_that_carry_the_request_id(tmp_path: Path) -> None:
    # A database file that cannot be opened: the health check fails and logs why, so the
    # request has a record of its own besides the access line.
    (tmp_path / "unopenable.db").mkdir()
    env = _environment(
        SANDBOX="1",
        LOG_FORMAT="json",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unopenable.db'}",
    )
    with serving(tmp_path, env) as server:
        response = httpx.get(
            f"{server.base_url}/healthz?token=eyJhbGciOi.iframe.jwt",
            headers={"X-Request-ID": "probe-json-1"},
            timeout=10,
        )
        assert response.status_code == 503
        assert response.headers["X-Request-ID"] == "probe-json-1"
        server.stop()
    assert server.shut_down_cleanly() == {server.process.pid}
    records = server.records()  # each line parses, or this fails
    mine = [r for r in records if r["request_id"] == "probe-json-1"]
    assert [(r["logger"], r["level"]) for r in mine] == [
        ("extension.health", "warning"),
        ("uvicorn.access", "info"),
    ]
    assert mine[1]["path"] == "/healthz?token=[redacted]" and mine[1]["status"] == 503
    assert "eyJhbGciOi.iframe.jwt" not in server.log.read_text()
    assert {r["pid"] for r in records} == {server.process.pid}


def test_several_workers_refuse_sandbox_mode(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith(_OWN_VARIABLES):
            monkeypatch.delenv(name)
    port = _free_port()
    monkeypatch.setenv("SANDBOX", "1")
    # serve() fills in APP_BASE_URL when unset; set here, monkeypatch takes it away again.
    monkeypatch.setenv("APP_BASE_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--port", str(port), "--workers", "2"])
    message = str(refused.value.code)
    assert "--workers 2 cannot run in sandbox mode" in message
    assert "stand-ins live in each process's memory" in message
    assert "Sandbox mode: open" not in capsys.readouterr().out  # refused before serving


async def test_the_workers_listening_socket_lets_asyncio_turn_nagle_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Restored after the test: _listen_as_tcp() replaces uvicorn's bind for the whole process.
    monkeypatch.setattr(uvicorn.Config, "bind_socket", uvicorn.Config.bind_socket)
    _listen_as_tcp()
    listener = uvicorn.Config(APP_FACTORY, host="127.0.0.1", port=0, log_config=None).bind_socket()
    nodelay: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Accepted(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    # What a worker does with the socket it is handed (its protocol travels with it).
    server = await asyncio.get_running_loop().create_server(Accepted, sock=listener)
    async with server, asyncio.timeout(10):
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        accepted_nodelay = await nodelay
        writer.close()
        await writer.wait_closed()
    assert accepted_nodelay != 0
    assert listener.proto == socket.IPPROTO_TCP


# ---- two workers on PostgreSQL ----------------------------------------------------------------


@pytest.fixture
async def throwaway_postgres() -> AsyncIterator[str]:
    if _PG_ADMIN_URL is None:
        if os.environ.get("CI"):
            pytest.fail("CI must reach PostgreSQL on 127.0.0.1:5432 (or TEST_DATABASE_URL)")
        pytest.skip("PostgreSQL is not reachable here")
    name = "serve_" + secrets.token_hex(4)
    url = await _create_pg_database(_PG_ADMIN_URL, name)
    try:
        yield url
    finally:
        await _drop_pg_database(_PG_ADMIN_URL, name)


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


async def _healthz_until_two_workers_answer(base_url: str) -> list[httpx.Response]:
    """Rounds of concurrent requests, each on a new connection, until two pids have answered:
    which worker accepts a connection is the kernel's choice, so ask until both have."""
    responses: list[httpx.Response] = []
    limits = httpx.Limits(max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10) as http,
        asyncio.timeout(START_TIMEOUT),
    ):
        while len({r.json()["pid"] for r in responses}) < 2 and len(responses) < 400:
            start = len(responses)
            responses += await asyncio.gather(
                *(
                    http.get("/healthz", headers={"X-Request-ID": f"probe-{start + n}"})
                    for n in range(8)
                )
            )
    return responses


@pytest.mark.postgres
async def test_two_workers_on_postgresql_both_answer_and_stop(
    tmp_path: Path, throwaway_postgres: str
) -> None:
    env = _environment(**REAL_MODE, DATABASE_URL=throwaway_postgres, LOG_FORMAT="json")
    migrate = await asyncio.to_thread(
        subprocess.run,
        _python_m_extension("migrate"),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stderr
    with serving(tmp_path, env, workers=2) as server:
        responses = await _healthz_until_two_workers_answer(server.base_url)
        assert all(r.status_code == 200 and r.json()["status"] == "ok" for r in responses)
        assert all(r.headers["X-Request-ID"] == f"probe-{n}" for n, r in enumerate(responses))
        workers = {r.json()["pid"] for r in responses}
        assert len(workers) == 2 and server.process.pid not in workers
        if Path("/proc").is_dir():
            assert {_parent_of(pid) for pid in workers} == {server.process.pid}
        await asyncio.to_thread(server.stop)
    assert server.shut_down_cleanly() == workers
    for pid in workers:  # stopped with the server, not left behind
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    access = {
        r["request_id"]: r["pid"] for r in server.records() if r["logger"] == "uvicorn.access"
    }
    assert {access[f"probe-{n}"] for n in range(len(responses))} == workers
    assert all(access[f"probe-{n}"] == r.json()["pid"] for n, r in enumerate(responses))
