"""The real app under uvicorn on a loopback port, for clients that cannot run in-process.

Browser tests drive it with Chromium; the QuickBooks contract test drives its stand-in with a
synchronous third-party client (requests). Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette

from extension.app import create_app
from extension.settings import Settings
from extension.store.migrate import upgrade
from tests.support import TEST_ENV

__all__ = ["LiveServer", "live_server", "live_server_env"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    settings: Settings
    # The running app; ``app.state.sandbox`` reaches its stand-ins (their state, their knobs).
    app: Starlette | None = None


@pytest.fixture
def live_server_env() -> dict[str, str]:
    """Settings of the live server beyond the tests' own (a test module may override it)."""
    return {}


@pytest.fixture
def live_server(tmp_path: Path, live_server_env: dict[str, str]) -> Iterator[LiveServer]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    settings = Settings.from_env(
        {**TEST_ENV, "APP_BASE_URL": base_url, "DATABASE_URL": database_url, **live_server_env}
    )
    upgrade(database_url)  # the live server runs on the migrated schema, as `make run` does
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(base_url=base_url, settings=settings, app=app)
    server.should_exit = True
    thread.join(timeout=10)
