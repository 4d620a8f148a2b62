"""Browser tests: the real app under uvicorn on a loopback port, driven in Debian's chromium.

Playwright's own browser download cannot work here; ``/usr/bin/chromium`` is used with the
flags this workplace requires. Without chromium the tests fail in CI and skip elsewhere.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from extension.app import create_app
from extension.settings import Settings
from extension.store.db import create_engine, create_sessionmaker
from extension.store.migrate import upgrade
from tests.conftest import TEST_ENV, install_user, run_sync

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    settings: Settings

    def install(self, *, company_id: int, user_id: int, is_admin: bool, name: str = "") -> None:
        """Insert an installation straight into the database (install flows have own tests)."""

        async def run() -> None:
            engine = create_engine(self.settings.database_url)
            try:
                await install_user(
                    create_sessionmaker(engine),
                    company_id=company_id,
                    user_id=user_id,
                    is_admin=is_admin,
                    name=name or f"User {user_id}",
                )
            finally:
                await engine.dispose()

        run_sync(run())


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'live.db'}"
    settings = Settings.from_env(
        {**TEST_ENV, "APP_BASE_URL": base_url, "DATABASE_URL": database_url}
    )
    upgrade(database_url)  # the live server runs on the migrated schema, as `make run` does
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(base_url=base_url, settings=settings)
    server.should_exit = True
    thread.join(timeout=10)


# Module scope: Playwright's sync API keeps an event loop running in the main thread while it
# is open, which async tests cannot share; it is closed before any other module runs.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], f"uncaught script errors: {errors}"


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
