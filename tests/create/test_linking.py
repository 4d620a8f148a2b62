"""The contact- and product-linking popovers: search, create, confirm, remember, change."""

from __future__ import annotations

import asyncio
from typing import Any

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from extension.quickbooks.wire import decode_json
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services
from extension.store.link_models import ContactLink, ProductLink
from tests.create.conftest import Modal, form_fields, open_form


def _posts(modal: Modal, entity: str) -> list[Any]:
    return [r for r in modal.qbo.requests if r.method == "POST" and r.path.endswith(f"/{entity}")]


async def _search(modal: Modal, path: str, q: str, **extra: str) -> BeautifulSoup:
    response = await modal.client.get(path, params={"q": q, **extra}, headers=modal.headers)
    assert response.status_code == 200, response.text
    return BeautifulSoup(response.text, "html.parser")


def _names(page: BeautifulSoup) -> list[str]:
    return [n.get_text(" ", strip=True) for n in page.select(".choice__name")]


async def test_customer_search_is_safe_with_quotes_percent_and_accents(modal: Modal) -> None:
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    company.add("Customer", {"DisplayName": "Bäckerei Müller", "Active": True,
                             "PrimaryEmailAddr": {"Address": "info@mueller.example"},
                             "CurrencyRef": {"value": "EUR"}})  # fmt: skip
    company.add("Customer", {"DisplayName": "50% Off Outlet", "Active": True})
    company.add("Customer", {"DisplayName": "Amy's Old Shop", "Active": False})

    found = await _search(modal, "/contact-link/search", "amy's")
    assert _names(found) == ["Amy's Bird Sanctuary"]  # the inactive one is not offered
    sql = modal.qbo.requests[-2].query["query"] + modal.qbo.requests[-1].query["query"]
    assert "LIKE '%amy\\'s%'" in sql
    assert [m.get_text(" ", strip=True) for m in found.select(".choice__meta")] == [
        "USD birds@intuit.example"
    ]
    assert _names(await _search(modal, "/contact-link/search", "MÜLLER")) == ["Bäckerei Müller"]
    # QuickBooks' LIKE cannot escape %: the whole term is still what the results contain.
    assert _names(await _search(modal, "/contact-link/search", "50% off")) == ["50% Off Outlet"]
    assert _names(await _search(modal, "/contact-link/search", "%")) != []  # lists, no error
    by_email = await _search(modal, "/contact-link/search", "mueller.example")
    assert _names(by_email) == ["Bäckerei Müller"]
    warned = await _search(modal, "/contact-link/search", "müller", **{"details-currency": "USD"})
    warning = warned.select_one(".choice__warning")
    assert warning is not None and "Billed in EUR; this invoice is in USD." in warning.get_text()


async def test_the_contact_quickbooks_already_has_is_suggested(modal: Modal) -> None:
    form = await open_form(modal, 105)  # Amy's Bird Sanctuary, the same name and email
    opened = await modal.post("/contact-link/105/popover", form.fields)
    popover = BeautifulSoup(opened.text, "html.parser")
    chosen = popover.select_one("input[name=choice][checked]")
    assert chosen is not None and chosen["value"] == "customer:1"
    assert "Same name and email" in popover.select_one("[data-customer-id='1']").get_text()


async def test_a_taken_name_is_found_before_posting_and_a_free_one_suggested(
    modal: Modal, services: Services
) -> None:
    form = await open_form(modal, 107)  # the Pipedrive "Cool Cars" is another firm
    refused = await form.link_customer("new", **{"new_customer-name": "Cool Cars"})
    assert refused.status_code == 422
    popover = BeautifulSoup(refused.text, "html.parser")
    error = popover.select_one("#new_customer-name-error")
    assert error is not None and "“Cool Cars (2)”" in error.get_text()
    suggestion = popover.select_one("[data-fill='#new_customer-name']")
    assert suggestion is not None and suggestion["data-value"] == "Cool Cars (2)"
    assert _posts(modal, "customer") == []  # QuickBooks was never the one to find it
    names = [
        r.query["query"] for r in modal.qbo.requests if "DisplayName LIKE 'Cool Cars%'" in
        r.query.get("query", "")
    ]  # fmt: skip
    assert {q.split(" FROM ")[1].split(" ")[0] for q in names} == {
        "Customer", "Vendor", "Employee"
    }  # fmt: skip

    created = await form.link_customer("new", **{"new_customer-name": "Cool Cars (2)"})
    assert created.status_code == 200, created.text
    [post] = _posts(modal, "customer")
    sent = decode_json(post.body)
    assert sent["DisplayName"] == "Cool Cars (2)"
    assert sent["PrimaryEmailAddr"] == {"Address": "ramon@coolcars-pdx.example"}
    linked = form.page.select_one("#customer-link .linked__name")
    assert linked is not None and linked.get_text() == "Cool Cars (2)"
    async with services.sessionmaker() as session:
        link = await session.scalar(select(ContactLink))
    assert link is not None and (link.contact_id, link.customer_name) == (205, "Cool Cars (2)")


async def test_confirm_is_remembered_for_every_later_deal_and_change_relinks(
    modal: Modal, services: Services
) -> None:
    first = await open_form(modal, 105)
    response = await first.link_customer("customer:1")
    assert response.status_code == 200
    assert '"app:snackbar"' in response.headers["HX-Trigger"]
    later = await open_form(modal, 106)  # another deal of the same organization
    assert later.fields["customer-customer_id"] == "1"
    assert later.fields["customer-customer_name"] == "Amy's Bird Sanctuary"
    assert later.page.select_one("#customer-link-button") is None
    changed = await later.link_customer("customer:2")
    assert changed.status_code == 200
    async with services.sessionmaker() as session:
        links = (await session.scalars(select(ContactLink))).all()
    assert [(link.contact_id, link.customer_id) for link in links] == [(204, "2")]


async def test_a_double_click_on_create_customer_makes_one_customer(
    modal: Modal, services: Services
) -> None:
    form = await open_form(modal, 102)
    fields = {
        **form.fields,
        "choice": "new",
        "new_customer-name": "Globex GmbH",
        "new_customer-email": "rechnung@globex.example",
        "new_customer-currency": "EUR",
    }
    first, second = await asyncio.gather(
        modal.post("/contact-link/102/confirm", fields),
        modal.post("/contact-link/102/confirm", fields),
    )
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    globex = [c for c in company.table("Customer").values() if c["DisplayName"] == "Globex GmbH"]
    assert len(globex) == 1 and globex[0]["CurrencyRef"]["value"] == "EUR"
    posts = _posts(modal, "customer")
    assert len({p.query["requestid"] for p in posts}) == 1  # the same request, at most twice
    assert first.status_code == 200 or second.status_code == 200


async def test_items_are_searched_by_name_and_sku_active_and_never_categories(
    modal: Modal,
) -> None:
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    company.add("Item", {"Name": "Hosting plan", "Sku": "HOST-M", "Type": "Service",
                         "Active": True, "UnitPrice": 250})  # fmt: skip
    company.add("Item", {"Name": "Hosting (old)", "Sku": "HOST-OLD", "Type": "Service",
                         "Active": False})  # fmt: skip
    company.add("Item", {"Name": "Hosting services", "Type": "Category", "Active": True})
    by_name = await _search(modal, "/product-link/search", "hosting")
    assert _names(by_name) == ["Hosting plan"]
    by_sku = await _search(modal, "/product-link/search", "host-m")
    assert _names(by_sku) == ["Hosting plan"]
    assert "SKU HOST-M" in by_sku.select_one(".choice__meta").get_text()


async def test_a_new_service_item_gets_the_default_income_account_and_is_remembered(
    modal: Modal, services: Services
) -> None:
    from extension.invoicing.company_settings import SettingsValues, save_settings

    async with services.sessionmaker() as session, session.begin():
        before = SettingsValues()
        after = SettingsValues(default_income_account_id="82")
        await save_settings(session, 7_001_001, 9001, before, after)
    form = await open_form(modal, 101)
    key = form.line_keys()[1]  # Web hosting (product 402)
    opened = await modal.post("/product-link/101/popover", {**form.fields, "line_key": key})
    popover = BeautifulSoup(opened.text, "html.parser")
    prefilled = form_fields(popover.select_one("dialog form"))
    assert prefilled["new_item-name"] == "Web hosting"
    assert prefilled["new_item-sku"] == "HOST-M"  # the Pipedrive product's code
    assert prefilled["new_item-income_account_id"] == "82"  # the settings' default
    response = await form.link_line(key, "new")
    assert response.status_code == 200, response.text
    [post] = _posts(modal, "item")
    assert decode_json(post.body) == {
        "Name": "Web hosting",
        "Type": "Service",
        "IncomeAccountRef": {"value": "82"},
        "Description": "Managed hosting with daily backups.",
        "Sku": "HOST-M",
        "UnitPrice": decode_json(b"250"),
    }
    cell = form.page.select_one(f"#line-item-{key} .linked__name")
    assert cell is not None and cell.get_text() == "Web hosting"
    async with services.sessionmaker() as session:
        [link] = (await session.scalars(select(ProductLink))).all()
    assert (link.product_id, link.item_name) == (402, "Web hosting")
    again = await open_form(modal, 101, runtime="next-time")
    assert again.fields["lines-1-item_id"] == link.item_id  # the next deal comes prefilled
    assert again.fields["lines-1-item_name"] == "Web hosting"


async def test_a_taken_item_name_is_found_first_and_a_line_without_product_is_not_remembered(
    modal: Modal, services: Services
) -> None:
    form = await open_form(modal, 103)  # one line from the deal itself, no product
    key = form.line_keys()[0]
    refused = await form.link_line(
        key, "new", **{"new_item-name": "Design", "new_item-income_account_id": "1"}
    )
    assert refused.status_code == 422
    page = BeautifulSoup(refused.text, "html.parser")
    error = page.select_one("#new_item-name-error")
    assert error is not None and "“Design (2)”" in error.get_text()
    assert _posts(modal, "item") == []
    used = await form.link_line(key, "item:2")
    assert used.status_code == 200
    assert "This line is sold as Design." in used.headers["HX-Trigger"]
    async with services.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(ProductLink)) == 0


async def test_linking_one_line_links_every_line_of_the_same_product(modal: Modal) -> None:
    form = await open_form(modal, 101)
    added = await modal.post(
        "/modals/create-invoice/101/lines",
        {**form.fields, "op": "add", "line_key": form.line_keys()[0]},
    )
    page = BeautifulSoup(added.text, "html.parser")
    lines = page.select_one("#lines")
    assert lines is not None
    form.page.select_one("#lines").replace_with(lines)  # type: ignore[union-attr]
    # Make the added line another "Web hosting" line of product 402.
    fields = form.fields
    fields.update({"lines-1-product_id": "402", "lines-1-name": "Web hosting (extra)"})
    key = fields["lines-2-key"]  # the original Web hosting line, now third
    popover = await modal.post("/product-link/101/popover", {**fields, "line_key": key})
    assert popover.status_code == 200
    confirmed = await modal.post(
        "/product-link/101/confirm",
        {**fields, "line_key": key, "product_id": "402", "choice": "item:1"},
    )
    cells = BeautifulSoup(confirmed.text, "html.parser").select("[hx-swap-oob]")
    assert sorted(str(c["id"]) for c in cells) == sorted(
        [f"line-item-{fields['lines-1-key']}", f"line-item-{key}"]
    )
