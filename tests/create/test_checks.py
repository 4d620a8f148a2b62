"""Pre-flight in the modal: every problem at once, each next to its field, nothing sent, and
what was typed kept; entities re-read, not trusted from the form or a cache."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from extension.invoicing import create_post
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services
from extension.store.invoice_models import CreateAttempt
from tests.create.conftest import Modal, open_form


def _errors(response: Any) -> dict[str, str]:
    page = BeautifulSoup(response.text, "html.parser")
    return {
        str(div["id"]).removesuffix("-error"): div.get_text(" ", strip=True)
        for div in page.select(".field__error[id]")
    }


def _invoice_posts(modal: Modal) -> list[Any]:
    return [r for r in modal.qbo.requests if r.method == "POST" and r.path.endswith("/invoice")]


async def _attempt(services: Services) -> CreateAttempt:
    async with services.sessionmaker() as session:
        attempt = await session.scalar(select(CreateAttempt))
    assert attempt is not None
    return attempt


async def test_every_problem_is_listed_at_once_next_to_its_field_and_nothing_is_sent(
    modal: Modal, services: Services
) -> None:
    form = await open_form(modal, 101)
    linked = await form.link_customer("customer:3")  # Maple Leaf Imports, billed in CAD
    assert linked.status_code == 200
    response = await form.submit(
        **{
            "lines-0-quantity": "abc",
            "lines-1-unit_price": "-5",
            "lines-2-discount": "120",
            "lines-2-discount_type": "percentage",
            "details-due_date": "2020-01-01",
        }
    )
    assert response.status_code == 422
    errors = _errors(response)
    assert errors["lines-0-quantity"] == "“abc” is not a number."
    assert errors["lines-1-unit_price"] == "Cannot be negative."
    assert errors["lines-2-discount"] == "A discount cannot be more than 100%."
    assert errors["details-due_date"].startswith("The due date is before the invoice date")
    assert errors["details-currency"].startswith("Maple Leaf Imports is billed in CAD")
    assert "or link a customer billed in USD" in errors["details-currency"]
    for index in range(3):
        assert "Link this line to a QuickBooks product" in errors[f"lines-{index}-item_id"]
    page = BeautifulSoup(response.text, "html.parser")
    quantity = page.select_one("#lines-0-quantity")
    assert quantity is not None and quantity["value"] == "abc"  # kept exactly as typed
    assert quantity["aria-invalid"] == "true"
    assert quantity["aria-describedby"] == "lines-0-quantity-error"
    notice = page.select_one("#form-notice")
    assert notice is not None and "Nothing was sent to QuickBooks" in notice.get_text()
    assert _invoice_posts(modal) == []
    attempt = await _attempt(services)
    assert attempt.state == "open" and attempt.request_body is None


async def test_an_unlinked_customer_is_a_problem_beside_to(modal: Modal) -> None:
    form = await open_form(modal, 101)
    await form.link_all_lines()
    response = await form.submit()
    assert response.status_code == 422
    assert _errors(response)["customer-customer_id"].startswith("Link this contact")
    assert _invoice_posts(modal) == []


async def test_items_and_customers_are_read_again_before_posting(modal: Modal) -> None:
    form = await open_form(modal, 101)
    await form.link_customer("customer:2")
    await form.link_all_lines("2")
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    company.get("Item", "2")["Active"] = False  # deactivated in QuickBooks meanwhile
    company.get("Customer", "2")["Active"] = False
    response = await form.submit()
    assert response.status_code == 422
    errors = _errors(response)
    assert errors["customer-customer_id"].startswith("“Cool Cars” is inactive in QuickBooks")
    assert errors["lines-0-item_id"].startswith("“Design” is inactive in QuickBooks")
    item_reads = [r.query.get("query", "") for r in modal.qbo.requests if r.method == "GET"]
    assert any("FROM Item WHERE Id IN ('2') AND Active IN (true, false)" in q for q in item_reads)
    assert _invoice_posts(modal) == []


async def test_custom_numbers_show_the_number_checked_free_before_posting(
    modal: Modal,
) -> None:
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    company.set_pref("SalesFormsPrefs", "CustomTxnNumbers", True)
    company.add("Invoice", {"DocNumber": "INV-7", "CustomerRef": {"value": "1"}, "Line": []})
    form = await open_form(modal, 101)
    assert form.page.select_one("#details-number") is not None
    hint = await modal.client.get(
        "/modals/create-invoice/101/number",
        params={"details-number": "INV-7"},
        headers=modal.headers,
    )
    assert "Number INV-7 is already used in QuickBooks." in hint.text
    await form.link_customer("customer:2")
    await form.link_all_lines()
    taken = await form.submit(**{"details-number": "INV-7"})
    assert _errors(taken)["details-number"].startswith("Invoice number INV-7 is already used")
    too_long = await form.submit(**{"details-number": "N" * 22})
    assert _errors(too_long)["details-number"] == "At most 21 characters; this has 22."
    free = await form.submit(**{"details-number": "INV-8"})
    assert free.status_code == 200, free.text
    [invoice] = _invoice_posts(modal)
    assert b'"DocNumber":"INV-8"' in invoice.body


async def test_without_custom_numbers_quickbooks_numbers_the_invoice(modal: Modal) -> None:
    form = await open_form(modal, 101)
    assert form.page.select_one("#details-number") is None
    await form.link_customer("customer:2")
    await form.link_all_lines()
    response = await form.submit(**{"details-number": "MINE-1"})
    assert response.status_code == 200
    [invoice] = _invoice_posts(modal)
    assert b"DocNumber" not in invoice.body


async def test_with_multicurrency_off_another_currency_is_explained_in_plain_words(
    modal: Modal,
) -> None:
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    company.set_pref("CurrencyPrefs", "MultiCurrencyEnabled", False)
    form = await open_form(modal, 102)  # a EUR deal
    hint = form.page.select_one("#currency-hint")
    assert hint is not None and "Multicurrency is off in QuickBooks" in hint.get_text()
    options = [o["value"] for o in form.page.select("#details-currency option")]
    assert options == ["USD", "EUR"]
    await form.link_customer("customer:2")
    await form.link_all_lines()
    response = await form.submit()
    assert response.status_code == 422
    assert "invoices can only be in USD" in _errors(response)["details-currency"]
    assert _invoice_posts(modal) == []


async def test_a_refusal_quickbooks_still_gives_is_shown_on_its_field_with_a_fresh_requestid(
    modal: Modal, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = await open_form(modal, 101)
    await form.link_customer("customer:2")
    await form.link_all_lines("2")
    first_id = (await _attempt(services)).request_id
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    company.get("Item", "2")["Active"] = False
    # Pre-flight would catch it; here the item goes inactive as if between check and post.
    monkeypatch.setattr(create_post, "preflight", lambda *args: ())
    response = await form.submit(**{"details-message": "Thank you!"})
    assert response.status_code == 422
    errors = _errors(response)
    assert errors["lines-0-item_id"] == (
        "QuickBooks refused this: Invalid Reference Id : ItemRef element id 2 not found "
        "(error 2500)."
    )
    page = BeautifulSoup(response.text, "html.parser")
    assert "QuickBooks refused the invoice" in page.select_one("#form-notice").get_text()
    message = page.select_one("#details-message")
    assert message is not None and message.get_text() == "Thank you!"  # nothing typed is lost
    attempt = await _attempt(services)
    assert attempt.state == "failed" and attempt.last_error == "2500"
    assert attempt.request_id != first_id and attempt.request_body is None  # rotated
    assert company.table("Invoice") == {}


async def test_a_viewer_may_not_create_link_or_post(modal: Modal, services: Services) -> None:
    from extension.invoicing.company_settings import SettingsValues, save_settings
    from tests.support import REP_ID, ConsentFlow

    form = await open_form(modal, 101)
    await ConsentFlow(modal.client).install(user_id=REP_ID)
    async with services.sessionmaker() as session, session.begin():
        viewer = SettingsValues(default_role="viewer")
        await save_settings(session, 7_001_001, 9001, SettingsValues(), viewer)
    rep = Modal(modal.client, services, modal.qbo, user_id=REP_ID)
    content = await rep.client.get("/modals/create-invoice/101/content", headers=rep.headers)
    assert content.status_code == 403
    assert "Your role does not allow this" in content.text
    for path in ("/contact-link/101/popover", "/product-link/101/popover"):
        assert (await rep.post(path, form.fields)).status_code == 403
    assert (await rep.submit(101, form.fields)).status_code == 403
    assert _invoice_posts(modal) == []
