"""Browser tests: the real app under uvicorn on a loopback port, driven in Debian's chromium.

Playwright's own browser download cannot work here; ``/usr/bin/chromium`` is used with the
flags this workplace requires. Without chromium the tests fail in CI and skip elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.live_server import LiveServer, live_server, live_server_env

# The fixtures, shared with the contract tests.
__all__ = ["LiveServer", "live_server", "live_server_env"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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


@contextlib.contextmanager
def open_tab(browser: Browser, locale: str | None = None) -> Iterator[Page]:
    """A fresh browser profile (its languages ``locale``, e.g. ``fi-FI``, sent as
    Accept-Language); any uncaught script error fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], f"uncaught script errors: {errors}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with open_tab(browser) as tab:
        yield tab


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
