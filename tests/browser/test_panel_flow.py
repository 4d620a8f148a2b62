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

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from extension.sandbox.quickbooks import stand_in
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from tests.browser.conftest import LiveServer, install_through_pipedrive
from tests.browser.walk import (
    DEAL,
    connect_quickbooks,
    console_errors,
    create_invoice,
    link,
    quickbooks_token,
    shoot,
)

pytestmark = pytest.mark.browser

__all__ = ["console_errors"]  # the fixture, used here


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
    connect_quickbooks(page)

    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    token = quickbooks_token(live_server)
    line = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    first = create_invoice(live_server, token, {
        "CustomerRef": {"value": "1"}, "TxnDate": str(today - timedelta(days=3)),
        "DueDate": str(today + timedelta(days=27)), "Line": [{**line, "Amount": 1000}],
    })  # fmt: skip
    second = create_invoice(live_server, token, {
        "CustomerRef": {"value": "1"}, "TxnDate": str(today), "Line": [{**line, "Amount": 250}],
        "BillEmail": {"Address": "ap@birds.example"}, "AllowOnlineCreditCardPayment": True,
    })  # fmt: skip
    link(live_server, [first["Id"]])

    # 1. The panel shows the first invoice, Open, read from QuickBooks as the panel opened.
    page.goto(f"{live_server.base_url}/sandbox/deals/{DEAL}?user=admin")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(_row(panel, first["Id"])).to_have_attribute("data-status", "open", timeout=10_000)
    expect(panel.locator("#panel-summary")).to_contain_text("Open $1,000.00")
    shoot(page, "1-open")

    # 2. A partial payment recorded in QuickBooks; Refresh shows it.
    _pay(page, live_server, first["Id"], "400")
    panel.get_by_role("button", name="Refresh from QuickBooks").click()
    expect(_row(panel, first["Id"])).to_have_attribute("data-status", "partially_paid")
    expect(_row(panel, first["Id"])).to_contain_text("$600.00")
    shoot(page, "2-partially-paid")

    # 3. The rest paid: Paid.
    _pay(page, live_server, first["Id"], "600")
    panel.get_by_role("button", name="Refresh from QuickBooks").click()
    expect(_row(panel, first["Id"])).to_have_attribute("data-status", "paid")
    expect(panel.locator("#panel-summary")).to_contain_text("Open $0.00")
    shoot(page, "3-paid")

    # 4. A second invoice: emailed (Pipedrive's confirmation names the address) …
    link(live_server, [second["Id"]])
    page.reload()
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(_row(panel, second["Id"])).to_have_attribute("data-status", "open", timeout=10_000)
    _row(panel, second["Id"]).get_by_role("button", name="Send invoice 1002 by email").click()
    _confirm(page, "Email invoice 1002 to ap@birds.example?")
    expect(_row(panel, second["Id"]).locator("[data-emailed]")).to_contain_text("ap@birds.example")
    expect(page.locator(".host__snackbar").filter(has_text="was emailed")).to_be_visible()
    shoot(page, "4-emailed")

    # … its payment link copied …
    _row(panel, second["Id"]).get_by_role(
        "button", name="Copy the payment link of invoice 1002"
    ).click()
    expect(page.locator(".host__snackbar").filter(has_text="is copied")).to_be_visible()
    frame = page.frame(url=lambda url: "/panel/deal" in url)
    assert frame is not None
    copied = frame.evaluate("() => navigator.clipboard.readText()")
    assert copied == f"https://connect.intuit.example/t/scs-v1-{second['Id']}"
    shoot(page, "5-link-copied")

    # … and voided, after Pipedrive's confirmation.
    _row(panel, second["Id"]).get_by_label("More actions for invoice 1002").click()
    shoot(page, "6-menu")
    _row(panel, second["Id"]).get_by_role("menuitem", name="Void").click()
    _confirm(page, "Void invoice 1002?")
    expect(_row(panel, second["Id"])).to_have_attribute("data-status", "voided")
    stored = quickbooks.companies[US_REALM_ID].get("Invoice", second["Id"])
    assert stored is not None and stored["TotalAmt"] == Decimal("0")
    shoot(page, "7-voided")

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
    shoot(page, "8-all-invoices")

    # 6. Unlink the paid one there; closing the modal updates the panel.
    modal.locator(f"#invoice-{first['Id']}").get_by_label("More actions for invoice 1001").click()
    shoot(page, "9-modal-menu")
    modal.locator(f"#invoice-{first['Id']}").get_by_role(
        "menuitem", name="Unlink from deal"
    ).click()
    _confirm(page, "Unlink invoice 1001 from this deal?")
    expect(modal.locator(f"#invoice-{first['Id']} [data-deal-link]")).to_have_text("Not linked")
    shoot(page, "10-unlinked-in-modal")
    modal.get_by_role("button", name="Close").click()
    expect(page.locator("#modal-layer")).to_be_hidden()
    expect(_row(panel, first["Id"])).to_have_count(0)
    expect(panel.locator("li.invoice")).to_have_count(1)
    expect(panel.locator("#panel-summary")).to_contain_text("1 invoice")
    shoot(page, "11-panel-after-modal")


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
    shoot(page, "state-not-connected-rep")

    # The admin connects; the deal's contact is not linked yet: the modal says so.
    install_through_pipedrive(page, live_server.base_url, "admin")
    connect_quickbooks(page)
    page.goto(f"{live_server.base_url}/sandbox/deals/{DEAL}?user=admin")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.locator("[data-empty]")).to_contain_text("No invoices are linked")
    shoot(page, "state-no-invoices")
    panel.get_by_role("button", name="View all invoices").click()
    modal = page.frame_locator("iframe[data-kind=modal]")
    expect(modal.locator("[data-state=contact-not-linked]")).to_be_visible(timeout=10_000)
    shoot(page, "state-contact-not-linked")
    # Linking it from here: the popover finds customers, Confirm links, the modal reloads.
    modal.get_by_role("button", name="Link to a QuickBooks customer").click()
    popover = modal.locator("dialog#contact-link-popover")
    expect(popover).to_be_visible()
    expect(popover.locator("input[name=choice][value=new]")).to_have_count(0)
    popover.locator("label.choice", has_text="Amy's Bird Sanctuary").click()
    shoot(page, "state-contact-link-popover")
    popover.get_by_role("button", name="Confirm").click()
    expect(modal.locator("#all-filter")).to_be_visible(timeout=10_000)
    expect(modal.locator(".filter__customer")).to_contain_text("Amy's Bird Sanctuary")
    shoot(page, "state-contact-linked-in-modal")
    modal.get_by_role("button", name="Close").click()

    # QuickBooks unreachable: the list stays, marked as possibly out of date.
    token = quickbooks_token(live_server)
    line = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    invoice = create_invoice(live_server, token, {"CustomerRef": {"value": "1"},
                                                   "Line": [{**line, "Amount": 80}]})  # fmt: skip
    link(live_server, [invoice["Id"]])
    page.reload()
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(_row(panel, invoice["Id"])).to_have_attribute("data-status", "open", timeout=10_000)
    quickbooks.config.faults.append(InjectedFault("503", path_contains="query", times=3))
    panel.get_by_role("button", name="Refresh from QuickBooks").click()
    expect(panel.locator("[data-stale=unavailable]")).to_contain_text("may be out of date")
    expect(_row(panel, invoice["Id"])).to_have_attribute("data-status", "open")
    shoot(page, "state-stale")
