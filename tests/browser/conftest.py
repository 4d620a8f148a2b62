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
from extension.store.migrate import upgrade
from tests.support import TEST_ENV

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


def install_through_pipedrive(page: Page, base_url: str, user: str) -> None:
    """What a user does: Install app in the host, Allow on Pipedrive's consent page."""
    page.goto(f"{base_url}/sandbox/deals/101?user={user}")
    page.get_by_role("button", name="Install app").click()
    page.get_by_role("button", name="Allow and install").click()
    page.wait_for_url("**/sandbox/settings?**")


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
