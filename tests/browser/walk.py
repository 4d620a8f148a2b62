"""What the browser walks of the panel share: watching the console, making invoices in the
QuickBooks stand-in and linking them to deal 101 as the create modal does, connecting
QuickBooks on the settings page, and photographing a step in both themes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import ConsoleMessage, Page, expect

from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.seed import COMPANY_ID
from extension.store.db import create_engine, create_sessionmaker
from extension.store.deal_links import link_invoice
from extension.store.link_models import ContactKind, LinkOrigin
from extension.store.links import link_contact
from tests.browser.conftest import LiveServer, screenshot
from tests.conftest import run_sync

__all__ = [
    "ADMIN",
    "DEAL",
    "console_errors",
    "quickbooks_token",
    "create_invoice",
    "link",
    "connect_quickbooks",
    "shoot",
]

ADMIN = 9001
DEAL = 101


@pytest.fixture
def console_errors(page: Page) -> Iterator[list[str]]:
    errors: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} @ {message.location.get('url', '')}")

    page.on("console", seen)
    yield errors
    assert errors == [], errors


def quickbooks_token(server: LiveServer) -> str:
    """An access token for the US company, from the stand-in's own consent and token endpoint."""
    settings = server.settings
    base = server.base_url + "/sandbox/quickbooks"
    # The registered redirect; the code is taken from the answer, never handed to the app.
    redirect = settings.app_base_url + "/quickbooks/callback"
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        query = {"client_id": settings.qbo_client_id, "response_type": "code", "state": "s1",
                 "scope": "com.intuit.quickbooks.accounting", "redirect_uri": redirect}  # fmt: skip
        consent = http.get(f"{base}/connect/oauth2?{urlencode(query)}")
        form = BeautifulSoup(consent.text, "html.parser").find("form")
        assert form is not None, consent.text
        data = {str(i["name"]): str(i.get("value", "")) for i in form.select("input[type=hidden]")}
        data.update(realm_id=US_REALM_ID, decision="connect")
        decided = http.post(str(form["action"]), data=data)
        code = parse_qs(urlsplit(decided.headers["location"]).query)["code"][0]
        basic = base64.b64encode(
            f"{settings.qbo_client_id}:{settings.qbo_client_secret}".encode()
        ).decode()
        tokens = http.post(
            f"{base}/oauth2/v1/tokens/bearer",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )
        return str(tokens.json()["access_token"])


def create_invoice(server: LiveServer, token: str, body: dict[str, Any]) -> dict[str, Any]:
    url = f"{server.base_url}/sandbox/quickbooks/v3/company/{US_REALM_ID}/invoice"
    response = httpx.post(
        url,
        params={"minorversion": "75"},
        json=body,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["Invoice"])


def link(server: LiveServer, invoice_ids: list[str]) -> None:
    """What the create modal does after posting: link each invoice to the deal, and the deal's
    organization to the customer."""

    async def link() -> None:
        engine = create_engine(server.settings.database_url)
        async with create_sessionmaker(engine)() as session, session.begin():
            for invoice_id in invoice_ids:
                await link_invoice(session, COMPANY_ID, realm_id=US_REALM_ID,
                                   invoice_id=invoice_id, deal_id=DEAL,
                                   deal_title="Website redesign", origin=LinkOrigin.CREATED,
                                   user_id=ADMIN)  # fmt: skip
            await link_contact(session, COMPANY_ID, kind=ContactKind.ORGANIZATION,
                               contact_id=201, realm_id=US_REALM_ID, customer_id="1",
                               customer_name="Amy's Bird Sanctuary",
                               customer_currency="USD", user_id=ADMIN)  # fmt: skip
        await engine.dispose()

    run_sync(link())


def connect_quickbooks(page: Page) -> None:
    """What the admin does on the settings page: Intuit's consent in its own window."""
    settings = page.frame_locator("iframe[data-kind=settings]")
    with page.expect_popup() as consent_window:
        settings.get_by_role("button", name="Connect to QuickBooks").click()
    consent = consent_window.value
    consent.get_by_role("button", name="Connect").click()
    expect(consent.get_by_text("You can close this window")).to_be_visible()
    consent.close()
    expect(settings.locator("#qbo-connection")).to_contain_text("Connected to", timeout=10_000)


def shoot(page: Page, name: str) -> None:
    """The step in both themes (the host's toggle, as a person switches Pipedrive's theme)."""
    screenshot(page, f"panel-{name}-light")
    page.evaluate("() => document.querySelector('[data-theme-toggle]').click()")
    expect(page.locator("body")).to_have_attribute("data-theme", "dark")
    page.wait_for_timeout(150)
    screenshot(page, f"panel-{name}-dark")
    page.evaluate("() => document.querySelector('[data-theme-toggle]').click()")
    expect(page.locator("body")).to_have_attribute("data-theme", "light")
