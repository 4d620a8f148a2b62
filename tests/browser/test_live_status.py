"""Live status walked in Chromium: a payment recorded on the QuickBooks stand-in's payment
page turns the open deal panel's invoice to Paid with no click; voiding and deleting on the
stand-in's invoice page do the same; the panel stops asking while it is hidden and catches
up when shown; with webhooks dropped the reconciler finds the change by itself; an open menu
on another row stays open. The delay from the payment to the panel is measured and printed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Page, Request, expect

from tests.browser.conftest import ARTIFACTS, LiveServer, install_through_pipedrive, screenshot
from tests.browser.walk import (
    DEAL,
    connect_quickbooks,
    console_errors,
    create_invoice,
    link,
    quickbooks_token,
)

pytestmark = pytest.mark.browser

__all__ = ["console_errors"]  # the fixture, used here

RECONCILE_SECONDS = 3


@pytest.fixture
def live_server_env() -> dict[str, str]:
    # The app as it runs: the event worker and the reconciler in the background (the
    # reconciler every few seconds, so the walk need not wait minutes for it).
    return {"QBO_BACKGROUND_SYNC": "1", "QBO_RECONCILE_SECONDS": str(RECONCILE_SECONDS)}


def _row(panel: FrameLocator, invoice_id: str) -> object:
    return panel.locator(f"#invoice-{invoice_id}")


def _stand_in_tab(page: Page, url: str) -> Page:
    tab = page.context.new_page()
    tab.goto(url)
    return tab


def _record_payment(tab: Page, invoice_id: str, amount: str) -> None:
    tab.goto(
        tab.url.split("/sandbox/")[0] + f"/sandbox/quickbooks/payments/new?invoice={invoice_id}"
    )
    tab.get_by_label("Amount").fill(amount)


def test_the_open_panel_follows_quickbooks_without_a_click(
    live_server: LiveServer, page: Page, console_errors: list[str]
) -> None:
    base = live_server.base_url
    install_through_pipedrive(page, base, "admin")
    connect_quickbooks(page)
    token = quickbooks_token(live_server)
    line = {"DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    made = [
        create_invoice(live_server, token, {"CustomerRef": {"value": "1"},
                                            "Line": [{**line, "Amount": amount}]})
        for amount in (1000, 250, 400, 90)
    ]  # fmt: skip
    paid, voided, hidden, deleted = (invoice["Id"] for invoice in made)
    link(live_server, [paid, voided, hidden, deleted])

    page.goto(f"{base}/sandbox/deals/{DEAL}?user=admin")
    panel = page.frame_locator("iframe[data-kind=panel]")
    for invoice_id in (paid, voided, hidden, deleted):
        expect(_row(panel, invoice_id)).to_have_attribute("data-status", "open", timeout=15_000)
    frame = page.frame(url=lambda url: "/panel/deal" in url)
    assert frame is not None
    polls: list[float] = []

    def seen(request: Request) -> None:
        if "/live" in request.url:
            polls.append(time.monotonic())

    page.on("request", seen)

    # Another row's "…" menu is open, and that row is marked, to see it is left alone.
    _row(panel, voided).get_by_label("More actions for invoice 1002").click()
    frame.evaluate(
        f"() => {{ document.getElementById('invoice-{voided}').dataset.untouched = 'yes'; }}"
    )

    # 1. A payment on the stand-in's payment page: the panel says Paid by itself.
    tab = _stand_in_tab(page, f"{base}/sandbox/quickbooks/payments/new")
    _record_payment(tab, paid, "1000")
    started = time.monotonic()
    tab.get_by_role("button", name="Record payment").click()
    expect(_row(panel, paid)).to_have_attribute("data-status", "paid", timeout=15_000)
    delay = time.monotonic() - started
    expect(panel.locator("#panel-summary")).to_contain_text("Open $740.00")
    expect(_row(panel, voided).locator("details[data-menu]")).to_have_attribute("open", "")
    assert (
        frame.evaluate(f"() => document.getElementById('invoice-{voided}').dataset.untouched")
        == "yes"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "live-status-delay.txt").write_text(f"payment to panel: {delay:.2f} s\n")
    print(f"\npayment recorded → panel shows Paid: {delay:.2f} s")
    screenshot(page, "live-1-paid-by-itself")

    # 2. Voided and deleted on the stand-in's invoice page. The voided row itself is swapped,
    # and its menu, open with the focus on its button, is open and focused again after.
    tab.goto(f"{base}/sandbox/quickbooks/app/invoice?txnId={voided}")
    tab.get_by_role("button", name="Void").click()
    expect(_row(panel, voided)).to_have_attribute("data-status", "voided", timeout=15_000)
    expect(_row(panel, voided).locator("details[data-menu]")).to_have_attribute("open", "")
    assert (
        frame.evaluate(f"() => document.getElementById('invoice-{voided}').dataset.untouched")
        is None
    )
    focused = "() => document.activeElement && document.activeElement.closest('li.invoice')?.id"
    assert frame.evaluate(focused) == f"invoice-{voided}"
    _row(panel, voided).locator("summary").click()  # closed again
    tab.goto(f"{base}/sandbox/quickbooks/app/invoice?txnId={deleted}")
    tab.get_by_role("button", name="Delete").click()
    expect(tab.get_by_role("heading", name=f"Invoice {deleted} was deleted")).to_be_visible()
    expect(_row(panel, deleted)).to_have_attribute("data-status", "deleted", timeout=15_000)
    screenshot(tab, "live-2-stand-in-invoice-deleted")
    screenshot(page, "live-2-voided-and-deleted")

    # 3. Collapsed (the SDK's visibility event): no more questions; shown: caught up at once.
    page.get_by_role("button", name="Collapse").click()
    panel_body = panel.locator("body")
    expect(panel_body).to_have_attribute("data-visible", "false")
    page.wait_for_timeout(500)
    asked_before = len(polls)
    _record_payment(tab, hidden, "100")
    tab.get_by_role("button", name="Record payment").click()
    page.wait_for_timeout(4_000)
    assert len(polls) == asked_before  # nothing asked while hidden
    page.get_by_role("button", name="Expand").click()
    expect(_row(panel, hidden)).to_have_attribute("data-status", "partially_paid", timeout=5_000)
    screenshot(page, "live-3-caught-up-when-shown")

    # 4. Webhooks dropped in the sandbox: the reconciler finds the payment by itself.
    _record_payment(tab, hidden, "300")
    tab.get_by_role("button", name="Drop webhooks").click()
    expect(tab.locator("[data-webhooks=off]")).to_be_visible()
    screenshot(tab, "live-4-stand-in-webhooks-dropped")
    tab.get_by_label("Amount").fill("300")
    tab.get_by_role("button", name="Record payment").click()
    expect(_row(panel, hidden)).to_have_attribute(
        "data-status", "paid", timeout=(RECONCILE_SECONDS * 4 + 10) * 1000
    )
    screenshot(page, "live-4-recovered-by-the-reconciler")
    tab.get_by_role("button", name="Send webhooks again").click()
    tab.close()
    assert Path(ARTIFACTS / "live-status-delay.txt").exists()
