"""The create-invoice modal against both stand-ins: a sandbox company with its admin installed
(through Pipedrive's consent) and QuickBooks connected (through Intuit's), and a browser-like
way to read the form and post it back."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from extension.sandbox.quickbooks import QuickBooksStandIn, stand_in
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services
from tests.support import (
    ADMIN_ID,
    COMPANY_ID,
    ConsentFlow,
    SleepRecorder,
    connect_through_consent,
    session_headers,
)


def form_fields(root: Tag) -> dict[str, str]:
    """What a browser submits for the form (last value wins, as the server reads it)."""
    fields: dict[str, str] = {}
    for element in root.select("input[name], select[name], textarea[name]"):
        name = str(element["name"])
        if element.has_attr("disabled"):
            continue
        if element.name == "input":
            kind = str(element.get("type", "text"))
            if kind in ("checkbox", "radio"):
                if element.has_attr("checked"):
                    fields[name] = str(element.get("value", "on"))
                continue
            if kind in ("submit", "button"):
                continue
            fields[name] = str(element.get("value", ""))
        elif element.name == "select":
            chosen = element.select_one("option[selected]") or element.select_one("option")
            fields[name] = str(chosen.get("value", chosen.get_text())) if chosen else ""
        else:
            fields[name] = element.get_text()
    return fields


@dataclass
class Modal:
    """Acting as the create-invoice modal of one deal, as the admin of the sandbox company."""

    client: httpx.AsyncClient
    services: Services
    qbo: QuickBooksStandIn
    user_id: int = ADMIN_ID

    @property
    def headers(self) -> dict[str, str]:
        return session_headers(self.services, company_id=COMPANY_ID, user_id=self.user_id)

    async def open(self, deal_id: int, runtime: str = "runtime-1") -> BeautifulSoup:
        response = await self.client.get(
            f"/modals/create-invoice/{deal_id}/content",
            params={"runtime": runtime},
            headers={**self.headers, "HX-Target": "modal-content"},
        )
        assert response.status_code == 200, response.text
        return BeautifulSoup(response.text, "html.parser")

    async def post(self, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
        return await self.client.post(path, data=data, headers={**self.headers, **headers})

    async def submit(self, deal_id: int, fields: dict[str, str]) -> httpx.Response:
        return await self.post(
            f"/modals/create-invoice/{deal_id}/submit", fields, **{"HX-Target": "modal-content"}
        )

    def invoice_posts(self) -> list[object]:
        return [r for r in self.qbo.requests if r.method == "POST" and r.path.endswith("/invoice")]


@pytest.fixture
def qbo(services: Services) -> QuickBooksStandIn:
    assert services.sandbox is not None
    return stand_in(services.sandbox)


@pytest.fixture
async def modal(client: httpx.AsyncClient, services: Services, qbo: QuickBooksStandIn) -> Modal:
    SleepRecorder().install(services)  # retries never wait for real
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    connected = await connect_through_consent(
        client, services, company_id=COMPANY_ID, user_id=ADMIN_ID, realm_id=US_REALM_ID
    )
    assert connected.status_code == 200, connected.text
    qbo.requests.clear()
    return Modal(client, services, qbo)


def swap_oob(page: BeautifulSoup, fragment: str) -> None:
    """What htmx does with out-of-band elements of a response: replace by id."""
    for element in BeautifulSoup(fragment, "html.parser").select("[hx-swap-oob]"):
        old = page.select_one(f"#{element['id']}")
        assert old is not None, element["id"]
        del element["hx-swap-oob"]
        old.replace_with(element)


def replace_by_id(page: BeautifulSoup, fragment: str, element_id: str) -> None:
    new = BeautifulSoup(fragment, "html.parser").select_one(f"#{element_id}")
    assert new is not None
    old = page.select_one(f"#{element_id}")
    assert old is not None
    old.replace_with(new)


class Form:
    """One opened form, kept up to date as htmx would keep the page."""

    def __init__(self, modal: Modal, deal_id: int, page: BeautifulSoup) -> None:
        self.modal = modal
        self.deal_id = deal_id
        self.page = page

    @property
    def fields(self) -> dict[str, str]:
        form = self.page.select_one("#invoice-form")
        assert form is not None
        return form_fields(form)

    def line_keys(self) -> list[str]:
        return [str(li["data-line-key"]) for li in self.page.select("#lines li.line")]

    async def link_customer(self, choice: str, **new: str) -> httpx.Response:
        opened = await self.modal.post(f"/contact-link/{self.deal_id}/popover", self.fields)
        assert opened.status_code == 200, opened.text
        popover = BeautifulSoup(opened.text, "html.parser").select_one("dialog form")
        assert popover is not None
        # The popover's own fields as the browser submits them (the confirm form includes the
        # invoice form; the popover's values win, as htmx gives a form's own values priority).
        own = {k: v for k, v in form_fields(popover).items() if k != "choice"}
        response = await self.modal.post(
            f"/contact-link/{self.deal_id}/confirm",
            {**self.fields, **own, "choice": choice, **new},
        )
        if response.status_code == 200:
            swap_oob(self.page, response.text)
        return response

    async def link_line(self, key: str, choice: str, **new: str) -> httpx.Response:
        opened = await self.modal.post(
            f"/product-link/{self.deal_id}/popover", {**self.fields, "line_key": key}
        )
        assert opened.status_code == 200, opened.text
        popover = BeautifulSoup(opened.text, "html.parser").select_one("dialog form")
        assert popover is not None
        own = {k: v for k, v in form_fields(popover).items() if k != "choice"}
        response = await self.modal.post(
            f"/product-link/{self.deal_id}/confirm",
            {**self.fields, **own, "choice": choice, **new},
        )
        if response.status_code == 200:
            swap_oob(self.page, response.text)
        return response

    async def link_all_lines(self, item_id: str = "1") -> None:
        for key in self.line_keys():
            cell = self.page.select_one(f"#line-item-{key}")
            assert cell is not None
            if "line__item--unlinked" in cell.get("class", []):
                response = await self.link_line(key, f"item:{item_id}")
                assert response.status_code == 200, response.text

    async def submit(self, **changes: str) -> httpx.Response:
        return await self.modal.submit(self.deal_id, {**self.fields, **changes})


async def open_form(modal: Modal, deal_id: int, runtime: str = "runtime-1") -> Form:
    return Form(modal, deal_id, await modal.open(deal_id, runtime))
