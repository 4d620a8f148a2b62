"""Creating an invoice from a deal in the sandbox, as a rep would, in light and dark: open the
deal, "+ Invoice", create the customer from the popover, link one line to an existing item and
one to a new item, create, and the result view; closing tells the panel to refresh."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, install_through_pipedrive, screenshot

pytestmark = pytest.mark.browser


def _connect(page: Page, company: str) -> None:
    settings = page.frame_locator("iframe[data-kind=settings]")
    with page.expect_popup() as consent_window:
        settings.get_by_role("button", name="Connect to QuickBooks").click()
    consent = consent_window.value
    consent.get_by_label(company).check()
    consent.get_by_role("button", name="Connect").click()
    expect(consent.get_by_text("You can close this window")).to_be_visible()
    consent.close()
    expect(settings.locator("#qbo-connection")).to_contain_text("Connected to", timeout=10_000)


@pytest.mark.parametrize(
    ("theme", "company", "deal", "customer", "total"),
    [
        ("light", "Sandbox Company_GB_1 (GB)", 108, "Brightwell Ltd", "£10,440.00"),
        ("dark", "Sandbox Company_US_1 (US)", 101, "Acme Corporation", "$13,800.00"),
    ],
)
def test_a_rep_creates_an_invoice_from_a_deal(
    live_server: LiveServer,
    page: Page,
    theme: str,
    company: str,
    deal: int,
    customer: str,
    total: str,
) -> None:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    base = live_server.base_url
    install_through_pipedrive(page, base, "admin")
    _connect(page, company)
    page.goto(f"{base}/sandbox/deals/{deal}?user=admin&theme={theme}")
    products = page.locator("[data-host-card=products]")
    expect(products).to_contain_text(total)  # the deal view shows what the invoice comes from
    screenshot(page, f"create-{theme}-1-deal")

    panel = page.frame_locator("iframe[data-kind=panel]")
    panel.get_by_role("button", name="+ Invoice").click()
    modal = page.frame_locator("iframe[data-kind=modal]")
    expect(modal.locator("#invoice-form")).to_be_visible(timeout=15_000)
    expect(modal.locator("#summary [data-total]")).to_have_text(total)
    screenshot(page, f"create-{theme}-2-form")

    # The warning sign beside "To" opens the contact-linking popover: create the customer.
    modal.get_by_role("button", name="Not linked to a QuickBooks customer. Link it").click()
    popover = modal.locator("#contact-link-popover")
    expect(popover).to_be_visible()
    expect(popover.get_by_label("Display name")).to_have_value(customer)
    screenshot(page, f"create-{theme}-3-contact-popover")
    popover.get_by_label("Create new customer").check()
    popover.get_by_role("button", name="Confirm").click()
    expect(popover).to_have_count(0)
    expect(modal.locator("#customer-link .linked__name")).to_have_text(customer)

    # Line 1: an existing item, found by typing in the popover's search.
    lines = modal.locator("#lines li.line")
    lines.nth(0).locator(".warning-sign").click()
    items = modal.locator("#product-link-popover")
    expect(items).to_be_visible()
    items.get_by_label("Search QuickBooks products and services by name or SKU").fill("Desi")
    expect(items.locator("#item-candidates .choice")).to_have_count(1)
    screenshot(page, f"create-{theme}-4-product-popover")
    items.get_by_label("Design", exact=False).first.check()
    items.get_by_role("button", name="Confirm").click()
    expect(items).to_have_count(0)
    expect(lines.nth(0).locator(".linked__name")).to_have_text("Design")

    # Line 2: a new service item, prefilled from the Pipedrive product.
    lines.nth(1).locator(".warning-sign").click()
    expect(items).to_be_visible()
    items.get_by_label("Create a service item").check()
    items.get_by_label("Income account").select_option(label="Services")
    items.get_by_role("button", name="Confirm").click()
    expect(items).to_have_count(0)
    expect(lines.nth(1).locator(".linked__name")).not_to_have_text("")
    for extra in range(2, lines.count()):  # deal 101's third line: an existing item too
        lines.nth(extra).locator(".warning-sign").click()
        expect(items).to_be_visible()
        items.locator("#item-candidates input[type=radio]").first.check()
        items.get_by_role("button", name="Confirm").click()
        expect(items).to_have_count(0)

    # The live summary follows what is typed, without taking the focus away.
    quantity = lines.nth(0).get_by_label("Quantity of", exact=False)
    typed = quantity.input_value()
    line_total = modal.locator(f"#line-total-{lines.nth(0).get_attribute('data-line-key')}")
    before = line_total.inner_text()
    quantity.fill("2")
    expect(line_total).not_to_have_text(before)
    expect(quantity).to_be_focused()
    quantity.fill(typed)
    expect(modal.locator("#summary [data-total]")).to_have_text(total)
    modal.locator("#summary").scroll_into_view_if_needed()
    screenshot(page, f"create-{theme}-5-linked")

    modal.get_by_role("button", name="Create invoice").click()
    created = modal.locator("#created")
    expect(created).to_be_visible(timeout=15_000)
    expect(created.locator("[data-total]")).to_have_text(total)
    expect(created.get_by_role("button", name="Send now")).to_be_enabled()
    expect(
        page.locator(".host__snackbar").filter(has_text="was created in QuickBooks")
    ).to_be_visible()
    screenshot(page, f"create-{theme}-6-created")
    with page.expect_download() as download:
        created.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename.startswith("invoice-")

    # Closing the modal is what makes the panel refresh (close_custom_modal): it lists the
    # new invoice, Open.
    invoice_id = created.get_attribute("data-invoice-id")
    created.get_by_role("button", name="Close").click()
    expect(page.locator("iframe[data-kind=modal]")).to_have_count(0)
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.locator("body")).to_have_attribute("data-modal-closed-count", "1")
    row = panel.locator(f"[data-invoice-id='{invoice_id}']")
    expect(row).to_have_attribute("data-status", "open", timeout=10_000)
    expect(row).to_contain_text(total)
    screenshot(page, f"create-{theme}-7-closed")
    assert console == [], console


def test_the_form_works_from_the_keyboard(live_server: LiveServer, page: Page) -> None:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    base = live_server.base_url
    install_through_pipedrive(page, base, "admin")
    _connect(page, "Sandbox Company_US_1 (US)")
    page.goto(f"{base}/sandbox/deals/101?user=admin")
    page.frame_locator("iframe[data-kind=panel]").get_by_role("button", name="+ Invoice").click()
    modal = page.frame_locator("iframe[data-kind=modal]")
    expect(modal.locator("#invoice-form")).to_be_visible(timeout=15_000)
    lines = modal.locator("#lines li.line")
    first = lines.nth(0).get_attribute("data-line-key")

    # Moving a line keeps the focus on the same button of the moved line.
    down = lines.nth(0).get_by_role("button", name="Move Website design down")
    down.focus()
    page.keyboard.press("Enter")
    expect(lines.nth(1)).to_have_attribute("data-line-key", str(first))
    expect(lines.nth(1).get_by_role("button", name="Move Website design down")).to_be_focused()

    # Enter in a field does not post the invoice.
    name = lines.nth(0).get_by_label("Name of line 1")
    name.focus()
    page.keyboard.press("Enter")
    expect(modal.locator("#invoice-form")).to_be_visible()
    expect(modal.locator("#form-notice")).to_have_count(0)

    # Adding a line puts the cursor in its name; removing it leaves three lines.
    modal.get_by_role("button", name="+ Add line").click()
    expect(lines).to_have_count(4)
    new_name = lines.nth(3).get_by_label("Name of line 4")
    expect(new_name).to_be_focused()
    page.keyboard.type("Travel")
    lines.nth(3).get_by_role("button", name="Remove Line 4").click()
    expect(lines).to_have_count(3)

    # A popover takes the focus, Escape closes it, and the focus goes back to its button.
    sign = modal.get_by_role("button", name="Not linked to a QuickBooks customer. Link it")
    sign.focus()
    page.keyboard.press("Enter")
    search = modal.get_by_label("Search QuickBooks customers by name or email")
    expect(search).to_be_focused()
    page.keyboard.press("Escape")
    expect(modal.locator("#contact-link-popover")).to_have_count(0)
    expect(sign).to_be_focused()
    screenshot(page, "create-keyboard")
    assert console == [], console
