"""A Pipedrive user working in the app over HTTP, as the browser does it: the panel (open,
content, Refresh, Send and Void on a row) and the create-invoice modal (open, link, submit,
wait, try again). Requests carry what the pages carry (the session token from ``hx-headers``,
``HX-Request``); each one goes to the app process the caller picks, as a load balancer would.
Used by tests/live/test_cluster.py and ``make soak``."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from bs4 import BeautifulSoup, Tag

from tests.cluster import iframe_query, session_token
from tests.create.conftest import form_fields, swap_oob

Pick = Callable[[], str]  # the base URL of the app process the next request goes to


def worded(response: httpx.Response) -> bool:
    """The answer tells its user what happened in words: an alert or status with text."""
    page = BeautifulSoup(response.text, "html.parser")
    for element in page.select("[role=alert], [role=status]"):
        if len(element.get_text(" ", strip=True)) >= 10:
            return True
    return False


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Outcome:
    """Where a create ended for its user."""

    kind: str  # created | failed (shown in words) | unresolved (no answer the user could read)
    invoice_id: str = ""
    draft_key: str = ""


class User:
    def __init__(
        self,
        http: httpx.AsyncClient,
        pick: Pick,
        user_id: int,
        record: Callable[[str, httpx.Response | None, float], None] | None = None,
        in_flight: Counter[str] | None = None,
    ) -> None:
        self.http = http
        self.pick = pick
        self.user_id = user_id
        self.session = ""
        self._record = record or (lambda kind, response, seconds: None)
        # Requests sent and not answered yet, by kind and by "kind base-url" (shared by
        # everyone who passes the same counter).
        self.in_flight: Counter[str] = Counter() if in_flight is None else in_flight

    async def request(
        self, kind: str, method: str, path: str, *, hx: bool = True, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.session:
            headers["X-App-Session"] = self.session
        if hx:
            headers["HX-Request"] = "true"
        base = self.pick()
        started = _now()
        where = f"{kind} {base}"
        self.in_flight.update((kind, where))
        try:
            response = await self.http.request(method, base + path, headers=headers, **kwargs)
        except httpx.TransportError:
            self._record(kind, None, _now() - started)
            raise
        finally:
            self.in_flight.subtract((kind, where))
        self._record(kind, response, _now() - started)
        return response

    # ---- the panel --------------------------------------------------------------------------

    async def open_panel(self, deal_id: int) -> BeautifulSoup:
        query = iframe_query(
            self.user_id, resource="deal", view="details", selectedIds=str(deal_id)
        )
        shell = await self.request("panel open", "GET", f"/panel/deal?{query}", hx=False)
        shell.raise_for_status()
        self.session = session_token(shell.text)
        content = await self.request("panel content", "GET", f"/panel/deal/{deal_id}/content")
        return BeautifulSoup(content.text, "html.parser")

    async def refresh(self, deal_id: int) -> httpx.Response:
        return await self.request("panel refresh", "POST", f"/panel/deal/{deal_id}/refresh")

    async def act(self, kind: str, button: Tag) -> httpx.Response:
        """Click a row's button: its ``hx-post`` with its ``hx-vals`` (confirmed)."""
        vals = json.loads(str(button.get("hx-vals", "{}")))
        return await self.request(kind, "POST", _path(str(button["hx-post"])), data=vals)

    # ---- the create-invoice modal -----------------------------------------------------------

    async def open_modal(self, deal_id: int) -> CreateForm:
        runtime = os.urandom(8).hex()
        data = json.dumps({"deal_id": deal_id})
        query = iframe_query(self.user_id, runtime, data=data)
        shell = await self.request("modal open", "GET", f"/modals/create-invoice?{query}", hx=False)
        shell.raise_for_status()
        self.session = session_token(shell.text)
        content = await self.request(
            "modal content",
            "GET",
            f"/modals/create-invoice/{deal_id}/content?runtime={runtime}",
            headers={"HX-Target": "modal-content"},
        )
        return CreateForm(self, deal_id, content)


class CreateForm:
    """One opened create-invoice form, kept up to date as htmx keeps the page."""

    def __init__(self, user: User, deal_id: int, content: httpx.Response) -> None:
        self.user = user
        self.deal_id = deal_id
        self.response = content
        self.page = BeautifulSoup(content.text, "html.parser")

    @property
    def fields(self) -> dict[str, str]:
        form = self.page.select_one("#invoice-form")
        assert form is not None, self.page.get_text(" ", strip=True)[:500]
        return form_fields(form)

    @property
    def draft_key(self) -> str:
        return self.fields["draft_key"]

    def earlier_draft(self) -> str | None:
        button = self.page.select_one("#earlier-draft [hx-vals]")
        return json.loads(str(button["hx-vals"]))["draft_key"] if button else None

    async def _link(self, kind: str, fields: dict[str, str], choice: str) -> None:
        opened = await self.user.request(
            f"{kind} link", "POST", f"/{kind}-link/{self.deal_id}/popover", data=fields
        )
        opened.raise_for_status()
        popover = BeautifulSoup(opened.text, "html.parser").select_one("dialog form")
        assert popover is not None
        own = {k: v for k, v in form_fields(popover).items() if k != "choice"}
        done = await self.user.request(
            f"{kind} link",
            "POST",
            f"/{kind}-link/{self.deal_id}/confirm",
            data={**fields, **own, "choice": choice},
        )
        done.raise_for_status()
        swap_oob(self.page, done.text)

    async def link_everything(self, customer: str = "2", item: str = "1") -> None:
        """Link the deal's organization and every unlinked line (links made once per deal)."""
        if not self.fields.get("customer-customer_id"):
            await self._link("contact", self.fields, f"customer:{customer}")
        for li in self.page.select("#lines li.line"):
            key = str(li["data-line-key"])
            cell = self.page.select_one(f"#line-item-{key}")
            if cell is not None and "line__item--unlinked" in cell.get("class", []):
                await self._link("product", {**self.fields, "line_key": key}, f"item:{item}")

    async def submit(self, **changes: str) -> httpx.Response:
        return await self.user.request(
            "create submit",
            "POST",
            f"/modals/create-invoice/{self.deal_id}/submit",
            data={**self.fields, **changes},
            headers={"HX-Target": "modal-content"},
        )

    async def resubmit(self, draft_key: str) -> httpx.Response:
        """ "Try again" / "Finish the earlier invoice": the draft's key, nothing else."""
        return await self.user.request(
            "create submit",
            "POST",
            f"/modals/create-invoice/{self.deal_id}/submit",
            data={"draft_key": draft_key},
            headers={"HX-Target": "modal-content"},
        )

    async def state(self, draft_key: str) -> httpx.Response:
        return await self.user.request(
            "create wait",
            "GET",
            f"/modals/create-invoice/{self.deal_id}/drafts/{draft_key}/state",
            headers={"HX-Target": "modal-content"},
        )


def shown(response: httpx.Response) -> str:
    """What a create answer shows: created, waiting (polling), stalled (kept: try again),
    not_created, form (back with a notice) or error (an error message)."""
    page = BeautifulSoup(response.text, "html.parser")
    if page.select_one("#created"):
        return "created"
    waiting = page.select_one("#waiting")
    if waiting is not None:
        if waiting.has_attr("hx-get"):
            return "waiting"
        return "stalled" if waiting.select_one("[hx-vals]") else "not_created"
    if page.select_one("#invoice-form"):
        return "form"
    return "error"


def created_id(response: httpx.Response) -> str:
    section = BeautifulSoup(response.text, "html.parser").select_one("#created")
    return str(section["data-invoice-id"]) if section else ""


def marker_of(note: str) -> str | None:
    found = re.search(r"soak-[0-9a-f]+", note or "")
    return found.group(0) if found else None


def _now() -> float:
    import time

    return time.perf_counter()


async def create_invoice(
    user: User,
    deal_id: int,
    marker: str,
    *,
    tries: int = 4,
    patience: float = 60.0,
    sleep: Callable[[float], Any] | None = None,
    on_draft: Callable[[str], None] | None = None,
) -> Outcome:
    """What a person does to get one invoice made: open the modal (finishing an earlier
    unconfirmed draft first when it offers one), link what needs linking, submit with
    ``marker`` in the private note, then wait while it says it is being created and press
    "Try again" when it says QuickBooks did not confirm, up to ``tries`` presses and
    ``patience`` seconds of waiting. A request cut off (the process died) counts as a try:
    the person opens the modal again (through whichever process answers)."""
    import asyncio

    pause = sleep or asyncio.sleep
    deadline = _now() + patience
    key = ""
    response: httpx.Response | None = None
    form: CreateForm | None = None
    presses = 0
    while presses <= tries and _now() < deadline:
        try:
            if form is None:
                form = await user.open_modal(deal_id)
                if key and form.earlier_draft() == key:
                    response = await form.resubmit(key)
                elif not key:
                    await form.link_everything()
                    key = form.draft_key
                    if on_draft is not None:
                        on_draft(key)
                    response = await form.submit(**{"details-private_note": marker})
                else:
                    response = await form.state(key)
            assert response is not None
            seen = shown(response)
            if seen == "created":
                return Outcome("created", created_id(response), key)
            if seen == "waiting" or (seen == "error" and response.status_code == 404):
                await pause(1.0)
                response = await form.state(key)
                continue
            if seen == "not_created":
                return Outcome("failed" if worded(response) else "unresolved", draft_key=key)
            presses += 1
            if presses > tries:
                break
            await pause(0.5)
            response = await form.resubmit(key)
        except (httpx.TransportError, httpx.HTTPStatusError):
            presses += 1
            form = None
            await pause(0.5)
    if response is not None and worded(response):
        return Outcome("failed", draft_key=key)
    return Outcome("unresolved", draft_key=key)
