"""The deal panel and the all-invoices modal walked in Chromium, as a rep's admin would.

Two invoices are made in the QuickBooks stand-in through its API (an OAuth grant of our own, as
any QuickBooks client gets one) and linked to deal 101 as the create modal links what it
creates. Then: the panel shows the first Open → a partial payment on the stand-in's payment
page → Refresh → Partially paid → the rest paid → Paid → the second emailed, its link copied,
voided → the all-invoices modal shows both within a time range → one unlinked there → closing
the modal updates the panel. Every step is photographed in the light and the dark theme, and
no frame logs an error.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import ConsoleMessage, FrameLocator, Page, expect

from extension.sandbox.quickbooks import stand_in
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from extension.sandbox.seed import COMPANY_ID
from extension.store.db import create_engine, create_sessionmaker
from extension.store.deal_links import link_invoice
from extension.store.link_models import ContactKind, LinkOrigin
from extension.store.links import link_contact
from tests.browser.conftest import LiveServer, install_through_pipedrive, screenshot
from tests.conftest import run_sync

pytestmark = pytest.mark.browser

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


def _quickbooks_token(server: LiveServer) -> str:
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


def _create_invoice(server: LiveServer, token: str, body: dict[str, Any]) -> dict[str, Any]:
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


def _link(server: LiveServer, invoice_ids: list[str]) -> None:
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


def _connect_quickbooks(page: Page) -> None:
    """What the admin does on the settings page: Intuit's consent in its own window."""
    settings = page.frame_locator("iframe[data-kind=settings]")
    with page.expect_popup() as consent_window:
        settings.get_by_role("button", name="Connect to QuickBooks").click()
    consent = consent_window.value
    consent.get_by_role("button", name="Connect").click()
    expect(consent.get_by_text("You can close this window")).to_be_visible()
    consent.close()
    expect(settings.locator("#qbo-connection")).to_contain_text("Connected to", timeout=10_000)


def _shoot(page: Page, name: str) -> None:
    """The step in both themes (the host's toggle, as a person switches Pipedrive's theme)."""
    screenshot(page, f"panel-{name}-light")
    page.evaluate("() => document.querySelector('[data-theme-toggle]').click()")
    expect(page.locator("body")).to_have_attribute("data-theme", "dark")
    page.wait_for_timeout(150)
    screenshot(page, f"panel-{name}-dark")
    page.evaluate("() => document.querySelector('[data-theme-toggle]').click()")
    expect(page.locator("body")).to_have_attribute("data-theme", "light")


def _pay(page: Page, server: LiveServer, invoice_id: str, amount: str) -> None:
    """Record a payment on the stand-in's page, in a tab of its own."""
    tab = page.context.new_page()
    tab.goto(f"{server.base_url}/sandbox/quickbooks/payments/new?invoice={invoice_id}")
    tab.get_by_label("Amount").fill(amount)
    tab.get_by_role("button", name="Record payment").click()
    tab.wait_for_url("**/payments/new?realm=*")
    tab.close()


def _row(panel: FrameLocator, invoice_id: str) -> Any:
    return panel.locator(f"#invoice-{invoice_id}")


def _confirm(page: Page, question: str) -> None:
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text(question)
    page.locator("#confirm-ok").click()


def test_statuses_actions_and_the_all_invoices_modal(
    live_server: LiveServer, page: Page, console_errors: list[str]
) -> None:
    assert live_server.app is not None
    quickbooks = stand_in(live_server.app.state.sandbox)
    # The company takes payments online, so QuickBooks gives invoices a payment link.
    quickbooks.companies[US_REALM_ID].set_pref(
        "SalesFormsPrefs", "ETransactionPaymentEnabled", True
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    install_through_pipedrive(page, live_server.base_url, "admin")
    _connect_quickbooks(page)

    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    token = _quickbooks_token(live_server)
    line = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    first = _create_invoice(live_server, token, {
        "CustomerRef": {"value": "1"}, "TxnDate": str(today - timedelta(days=3)),
        "DueDate": str(today + timedelta(days=27)), "Line": [{**line, "Amount": 1000}],
    })  # fmt: skip
    second = _create_invoice(live_server, token, {
        "CustomerRef": {"value": "1"}, "TxnDate": str(today), "Line": [{**line, "Amount": 250}],
        "BillEmail": {"Address": "ap@birds.example"}, "AllowOnlineCreditCardPayment": True,
    })  # fmt: skip
    _link(live_server, [first["Id"]])

    # 1. The panel shows the first invoice, Open, read from QuickBooks as the panel opened.
    page.goto(f"{live_server.base_url}/sandbox/deals/{DEAL}?user=admin")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(_row(panel, first["Id"])).to_have_attribute("data-status", "open", timeout=10_000)
    expect(panel.locator("#panel-summary")).to_contain_text("Open $1,000.00")
    _shoot(page, "1-open")

    # 2. A partial payment recorded in QuickBooks; Refresh shows it.
    _pay(page, live_server, first["Id"], "400")
    panel.get_by_role("button", name="Refresh from QuickBooks").click()
    expect(_row(panel, first["Id"])).to_have_attribute("data-status", "partially_paid")
    expect(_row(panel, first["Id"])).to_contain_text("$600.00")
    _shoot(page, "2-partially-paid")

    # 3. The rest paid: Paid.
    _pay(page, live_server, first["Id"], "600")
    panel.get_by_role("button", name="Refresh from QuickBooks").click()
    expect(_row(panel, first["Id"])).to_have_attribute("data-status", "paid")
    expect(panel.locator("#panel-summary")).to_contain_text("Open $0.00")
    _shoot(page, "3-paid")

    # 4. A second invoice: emailed (Pipedrive's confirmation names the address) …
    _link(live_server, [second["Id"]])
    page.reload()
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(_row(panel, second["Id"])).to_have_attribute("data-status", "open", timeout=10_000)
    _row(panel, second["Id"]).get_by_role("button", name="Send invoice 1002 by email").click()
    _confirm(page, "Email invoice 1002 to ap@birds.example?")
    expect(_row(panel, second["Id"]).locator("[data-emailed]")).to_contain_text("ap@birds.example")
    expect(page.locator(".host__snackbar").filter(has_text="was emailed")).to_be_visible()
    _shoot(page, "4-emailed")

    # … its payment link copied …
    _row(panel, second["Id"]).get_by_role(
        "button", name="Copy the payment link of invoice 1002"
    ).click()
    expect(page.locator(".host__snackbar").filter(has_text="is copied")).to_be_visible()
    frame = page.frame(url=lambda url: "/panel/deal" in url)
    assert frame is not None
    copied = frame.evaluate("() => navigator.clipboard.readText()")
    assert copied == f"https://connect.intuit.example/t/scs-v1-{second['Id']}"
    _shoot(page, "5-link-copied")

    # … and voided, after Pipedrive's confirmation.
    _row(panel, second["Id"]).get_by_label("More actions for invoice 1002").click()
    _shoot(page, "6-menu")
    _row(panel, second["Id"]).get_by_role("menuitem", name="Void").click()
    _confirm(page, "Void invoice 1002?")
    expect(_row(panel, second["Id"])).to_have_attribute("data-status", "voided")
    stored = quickbooks.companies[US_REALM_ID].get("Invoice", second["Id"])
    assert stored is not None and stored["TotalAmt"] == Decimal("0")
    _shoot(page, "7-voided")

    # 5. View all invoices: both, within "Last 30 days".
    panel.get_by_role("button", name="View all invoices").click()
    modal = page.frame_locator("iframe[data-kind=modal]")
    expect(modal.locator("tr.invoice-row")).to_have_count(2, timeout=10_000)
    modal.get_by_label("Time range").select_option("last_30_days")
    expect(modal.locator("[data-range-start]")).to_have_attribute(
        "data-range-start", str(today - timedelta(days=29))
    )
    expect(modal.locator("tr.invoice-row")).to_have_count(2)
    expect(modal.locator("#all-totals")).to_contain_text("2 invoices")
    _shoot(page, "8-all-invoices")

    # 6. Unlink the paid one there; closing the modal updates the panel.
    modal.locator(f"#invoice-{first['Id']}").get_by_label("More actions for invoice 1001").click()
    _shoot(page, "9-modal-menu")
    modal.locator(f"#invoice-{first['Id']}").get_by_role(
        "menuitem", name="Unlink from deal"
    ).click()
    _confirm(page, "Unlink invoice 1001 from this deal?")
    expect(modal.locator(f"#invoice-{first['Id']} [data-deal-link]")).to_have_text("Not linked")
    _shoot(page, "10-unlinked-in-modal")
    modal.get_by_role("button", name="Close").click()
    expect(page.locator("#modal-layer")).to_be_hidden()
    expect(_row(panel, first["Id"])).to_have_count(0)
    expect(panel.locator("li.invoice")).to_have_count(1)
    expect(panel.locator("#panel-summary")).to_contain_text("1 invoice")
    _shoot(page, "11-panel-after-modal")


def test_states_say_what_happened_and_what_to_do(
    live_server: LiveServer, page: Page, console_errors: list[str]
) -> None:
    assert live_server.app is not None
    quickbooks = stand_in(live_server.app.state.sandbox)
    install_through_pipedrive(page, live_server.base_url, "rep")

    # QuickBooks not connected: the rep is told whom to ask.
    page.goto(f"{live_server.base_url}/sandbox/deals/{DEAL}?user=rep")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.locator("[data-state=not_connected]")).to_contain_text("Ask an admin")
    _shoot(page, "state-not-connected-rep")

    # The admin connects; the deal's contact is not linked yet: the modal says so.
    install_through_pipedrive(page, live_server.base_url, "admin")
    _connect_quickbooks(page)
    page.goto(f"{live_server.base_url}/sandbox/deals/{DEAL}?user=admin")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.locator("[data-empty]")).to_contain_text("No invoices are linked")
    _shoot(page, "state-no-invoices")
    panel.get_by_role("button", name="View all invoices").click()
    modal = page.frame_locator("iframe[data-kind=modal]")
    expect(modal.locator("[data-state=contact-not-linked]")).to_be_visible(timeout=10_000)
    _shoot(page, "state-contact-not-linked")
    # Linking it from here: the popover finds customers, Confirm links, the modal reloads.
    modal.get_by_role("button", name="Link to a QuickBooks customer").click()
    popover = modal.locator("dialog#contact-link-popover")
    expect(popover).to_be_visible()
    expect(popover.locator("input[name=choice][value=new]")).to_have_count(0)
    popover.locator("label.choice", has_text="Amy's Bird Sanctuary").click()
    _shoot(page, "state-contact-link-popover")
    popover.get_by_role("button", name="Confirm").click()
    expect(modal.locator("#all-filter")).to_be_visible(timeout=10_000)
    expect(modal.locator(".filter__customer")).to_contain_text("Amy's Bird Sanctuary")
    _shoot(page, "state-contact-linked-in-modal")
    modal.get_by_role("button", name="Close").click()

    # QuickBooks unreachable: the list stays, marked as possibly out of date.
    token = _quickbooks_token(live_server)
    line = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    invoice = _create_invoice(live_server, token, {"CustomerRef": {"value": "1"},
                                                   "Line": [{**line, "Amount": 80}]})  # fmt: skip
    _link(live_server, [invoice["Id"]])
    page.reload()
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(_row(panel, invoice["Id"])).to_have_attribute("data-status", "open", timeout=10_000)
    quickbooks.config.faults.append(InjectedFault("503", path_contains="query", times=3))
    panel.get_by_role("button", name="Refresh from QuickBooks").click()
    expect(panel.locator("[data-stale=unavailable]")).to_contain_text("may be out of date")
    expect(_row(panel, invoice["Id"])).to_have_attribute("data-status", "open")
    _shoot(page, "state-stale")
