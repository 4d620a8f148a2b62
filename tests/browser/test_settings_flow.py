"""The admin's first session: install, configure, and the rep's read-only view (issue 5)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from extension.sandbox.pipedrive.data import VAT_NUMBER_KEY
from tests.browser.conftest import LiveServer, install_through_pipedrive, screenshot

pytestmark = pytest.mark.browser


def test_admin_installs_maps_a_custom_field_and_rep_reads_it(
    live_server: LiveServer, page: Page
) -> None:
    install_through_pipedrive(page, live_server.base_url, "admin")
    settings = page.frame_locator("iframe[data-kind=settings]")
    expect(settings.get_by_role("heading", name="QuickBooks connection")).to_be_visible()

    # Connect QuickBooks: Intuit's consent opens in its own window; the page updates by itself.
    with page.expect_popup() as consent_window:
        settings.get_by_role("button", name="Connect to QuickBooks").click()
    consent = consent_window.value
    expect(consent.get_by_role("button", name="Connect")).to_be_visible()
    screenshot(consent, "quickbooks-consent")
    consent.get_by_role("button", name="Connect").click()
    expect(consent.get_by_text("You can close this window")).to_be_visible()
    consent.close()
    connection = settings.locator("#qbo-connection")
    expect(connection).to_contain_text("Connected to", timeout=10_000)
    expect(connection).to_contain_text("Ada Admin")
    expect(connection).to_contain_text("Home currency")
    # ... and the QuickBooks lists arrive without a click.
    expect(settings.get_by_label("Default income account")).to_be_visible()

    # Refreshing the lists keeps what was typed; the form is locked while it runs.
    settings.get_by_label("Due date: days after the invoice date").fill("12")
    settings.get_by_role("button", name="Refresh lists").click()
    expect(settings.get_by_label("Customer tax ID")).to_be_enabled()
    expect(settings.get_by_label("Due date: days after the invoice date")).to_have_value("12")
    tax_id = settings.get_by_label("Customer tax ID")
    expect(tax_id.locator(f'option[value="organization:{VAT_NUMBER_KEY}"]')).to_have_count(1)
    tax_id.select_option(label="Organization – VAT number")
    settings.get_by_label("Due date: days after the invoice date").fill("7")
    expect(settings.locator("#due-example")).to_contain_text(" is due 7 days later, on ")
    settings.get_by_role("button", name="Save").click()
    expect(settings.get_by_role("status").filter(has_text="Settings saved.")).to_be_visible()
    expect(page.locator(".host__snackbar").filter(has_text="Settings saved.")).to_be_visible()
    expect(settings.locator("#settings-audit")).to_contain_text(
        "Customer tax ID: — → Organization – VAT number"
    )
    screenshot(page, "settings-saved")

    # Disconnect asks through Pipedrive's confirmation dialog first.
    settings.get_by_role("button", name="Disconnect").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Disconnect QuickBooks?")
    page.locator("#confirm-cancel").click()
    expect(connection).to_contain_text("Connected to")

    page.reload()
    settings = page.frame_locator("iframe[data-kind=settings]")
    expect(settings.get_by_label("Customer tax ID")).to_have_value(f"organization:{VAT_NUMBER_KEY}")
    expect(settings.get_by_label("Due date: days after the invoice date")).to_have_value("7")

    # The sales rep installs too, and sees the same settings without being able to change them.
    page.goto(f"{live_server.base_url}/sandbox/deals/101?user=rep")
    install_through_pipedrive(page, live_server.base_url, "rep")
    settings = page.frame_locator("iframe[data-kind=settings]")
    expect(settings.get_by_label("Customer tax ID")).to_have_value(f"organization:{VAT_NUMBER_KEY}")
    expect(settings.get_by_label("Customer tax ID")).to_be_disabled()
    expect(settings.get_by_role("button", name="Save")).to_have_count(0)
    expect(
        settings.get_by_text("Only a Pipedrive admin can change these settings.")
    ).to_be_visible()
    screenshot(page, "settings-rep-read-only")
