"""The sandbox host frames the panel as Pipedrive does and answers the real SDK."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, install_through_pipedrive, screenshot

pytestmark = pytest.mark.browser


def _commands(page: Page, kind: str) -> list[str]:
    return page.evaluate(
        "kind => window.__sandboxHost.calls.filter(c => c.kind === kind).map(c => c.command)", kind
    )


def test_panel_initializes_resizes_and_round_trips_a_custom_modal(
    live_server: LiveServer, page: Page
) -> None:
    install_through_pipedrive(page, live_server.base_url, "admin")
    page.goto(f"{live_server.base_url}/sandbox/deals/101?user=admin")

    panel_frame = page.locator("iframe[data-kind=panel]")
    expect(panel_frame).to_have_attribute("data-initialized", "true")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.locator("body")).to_have_attribute("data-sdk-state", "initialized")
    create = panel.get_by_role("button", name="+ Invoice")
    expect(create).to_be_visible()

    # The panel asked to be as tall as its content, within Pipedrive's 100-750 px.
    page.wait_for_function(
        "() => window.__sandboxHost.calls.some(c => c.kind === 'panel' && c.command === 'resize')"
    )
    height = panel_frame.evaluate("el => el.getBoundingClientRect().height")
    assert 100 <= height <= 750 and height != 100
    screenshot(page, "host-deal-panel")

    create.click()
    modal_frame = page.locator("iframe[data-kind=modal]")
    expect(modal_frame).to_have_attribute("data-initialized", "true")
    modal = page.frame_locator("iframe[data-kind=modal]")
    expect(modal.get_by_role("heading", name="Create invoice")).to_be_visible()
    modal_src = modal_frame.get_attribute("src") or ""
    assert "data=%7B%22deal_id%22%3A%22101%22%7D" in modal_src  # open_modal's data, as JSON
    screenshot(page, "host-create-modal")

    modal.get_by_role("button", name="Close").click()
    expect(page.locator("#modal-layer")).to_be_hidden()
    expect(panel.locator("body")).to_have_attribute("data-modal-closed-count", "1")
    expect(panel.locator("body")).to_have_attribute("data-last-modal-status", "closed")
    assert "close_modal" in _commands(page, "modal")
    assert "open_modal" in _commands(page, "panel")


def test_theme_toggle_reaches_the_panel_and_rep_without_install_sees_prompt(
    live_server: LiveServer, page: Page
) -> None:
    page.goto(f"{live_server.base_url}/sandbox/deals/102?user=rep")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.get_by_role("link", name="Authorize app")).to_be_visible()
    expect(panel.locator("html")).to_have_attribute("data-theme", "light")

    page.get_by_role("button", name="Dark theme").click()
    expect(panel.locator("html")).to_have_attribute("data-theme", "dark")
    screenshot(page, "host-rep-not-installed-dark")


def test_collapsing_the_panel_sends_visibility(live_server: LiveServer, page: Page) -> None:
    install_through_pipedrive(page, live_server.base_url, "admin")
    page.goto(f"{live_server.base_url}/sandbox/deals/101?user=admin")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.locator("body")).to_have_attribute("data-sdk-state", "initialized")
    page.get_by_role("button", name="Collapse").click()
    expect(panel.locator("body")).to_have_attribute("data-visible", "false")
    page.get_by_role("button", name="Expand").click()
    expect(panel.locator("body")).to_have_attribute("data-visible", "true")


def test_an_iframe_that_does_not_initialize_in_time_is_removed(
    live_server: LiveServer, page: Page
) -> None:
    # The host's 10-second rule, shortened so that no app could initialize in time.
    page.goto(f"{live_server.base_url}/sandbox/deals/101?user=admin&init_timeout_ms=1")
    expect(page.locator("iframe[data-kind=panel]")).to_have_count(0)
    expect(page.locator("#host-errors")).to_contain_text("did not initialize within 10 seconds")


def test_session_renews_through_get_signed_token(live_server: LiveServer, page: Page) -> None:
    install_through_pipedrive(page, live_server.base_url, "admin")
    page.goto(f"{live_server.base_url}/sandbox/deals/101?user=admin")
    expect(page.locator("iframe[data-kind=panel]")).to_have_attribute("data-initialized", "true")
    frame = page.frame(url=lambda url: "/panel/deal" in url)
    assert frame is not None
    with page.expect_response(lambda r: r.url.endswith("/session/renew")) as renewal:
        frame.evaluate("() => window.appExtension.renewSession()")
    assert renewal.value.status == 200
    renewed = renewal.value.json()["session"]
    assert renewed in frame.evaluate("() => document.body.getAttribute('hx-headers')")
    assert "get_signed_token" in _commands(page, "panel")
    # The renewed session works for the next fragment call.
    frame.evaluate("() => htmx.trigger(document.body, 'app:refresh')")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.get_by_role("button", name="+ Invoice")).to_be_visible()


def test_panel_sends_the_user_to_app_settings(live_server: LiveServer, page: Page) -> None:
    install_through_pipedrive(page, live_server.base_url, "admin")
    page.goto(f"{live_server.base_url}/sandbox/deals/101?user=admin")
    panel = page.frame_locator("iframe[data-kind=panel]")
    panel.get_by_role("button", name="Open app settings").click()
    page.wait_for_url("**/sandbox/settings?**")
    settings = page.frame_locator("iframe[data-kind=settings]")
    expect(settings.get_by_role("heading", name="QuickBooks connection")).to_be_visible()


def test_a_deal_hidden_from_the_rep_shows_nothing_but_why(
    live_server: LiveServer, page: Page
) -> None:
    install_through_pipedrive(page, live_server.base_url, "rep")
    page.goto(f"{live_server.base_url}/sandbox/deals/104?user=rep")
    panel = page.frame_locator("iframe[data-kind=panel]")
    expect(panel.get_by_text("This deal is not available to you in Pipedrive.")).to_be_visible()
    expect(panel.get_by_role("button", name="+ Invoice")).to_have_count(0)
