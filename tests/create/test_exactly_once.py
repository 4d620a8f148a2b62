"""Exactly once, with real concurrency (each request its own session and connection, on SQLite
and PostgreSQL): a double click, two tabs, a timeout after QuickBooks committed, a retry and a
reload all end with one invoice, linked once and mirrored once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from extension.services import Services
from extension.store.invoice_models import CreateAttempt, MirroredInvoice
from extension.store.link_models import DealInvoiceLink
from extension.store.models import AuditEvent
from tests.create.conftest import Form, Modal, open_form


async def _ready(modal: Modal, runtime: str = "runtime-1") -> Form:
    form = await open_form(modal, 101, runtime)
    assert (await form.link_customer("customer:2")).status_code == 200
    await form.link_all_lines("1")
    return form


def _invoice_posts(modal: Modal) -> list[Any]:
    return [r for r in modal.qbo.requests if r.method == "POST" and r.path.endswith("/invoice")]


async def _one_invoice_everywhere(modal: Modal, services: Services) -> str:
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    invoices = list(company.table("Invoice"))
    assert len(invoices) == 1, invoices
    async with services.sessionmaker() as session:
        attempts = (await session.scalars(select(CreateAttempt))).all()
        links = await session.scalar(select(func.count()).select_from(DealInvoiceLink))
        mirrored = await session.scalar(select(func.count()).select_from(MirroredInvoice))
        created = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "invoice.created")
        )
    assert [(a.state, a.invoice_id) for a in attempts] == [("posted", invoices[0])]
    assert (links, mirrored, created) == (1, 1, 1)
    return invoices[0]


def _shown(response: httpx.Response) -> str:
    page = BeautifulSoup(response.text, "html.parser")
    if page.select_one("#created"):
        return "created"
    if page.select_one("#waiting[hx-get]"):
        return "waiting"
    return "form"


async def test_a_double_click_posts_one_invoice(modal: Modal, services: Services) -> None:
    form = await _ready(modal)
    fields = form.fields
    gate = asyncio.Event()
    modal.qbo.config.hold = gate  # QuickBooks answers nothing until both clicks are in

    async def release() -> None:
        await asyncio.sleep(0.3)
        gate.set()

    first, second, _ = await asyncio.gather(
        modal.submit(101, fields), modal.submit(101, fields), release()
    )
    modal.qbo.config.hold = None
    shown = sorted([_shown(first), _shown(second)])
    assert shown in (["created", "created"], ["created", "waiting"]), shown
    posts = _invoice_posts(modal)
    assert len({p.query["requestid"] for p in posts}) == 1
    assert len({p.body for p in posts}) == 1
    invoice_id = await _one_invoice_everywhere(modal, services)
    if "waiting" in shown:
        # The waiting page polls the draft and shows the same invoice when it is there.
        waiting = first if _shown(first) == "waiting" else second
        poll = BeautifulSoup(waiting.text, "html.parser").select_one("#waiting")
        assert poll is not None
        state = await modal.client.get(str(poll["hx-get"]), headers=modal.headers)
        assert f'data-invoice-id="{invoice_id}"' in state.text


async def test_two_tabs_of_one_draft_post_one_invoice_with_the_first_body(
    modal: Modal, services: Services
) -> None:
    tab_a = await _ready(modal, runtime="same-frame")
    tab_b = await open_form(modal, 101, runtime="same-frame")  # the duplicated tab
    assert tab_b.fields["draft_key"] == tab_a.fields["draft_key"]
    b_fields = {**tab_a.fields, "details-message": "Typed in the other tab"}
    results = await asyncio.gather(modal.submit(101, tab_a.fields), modal.submit(101, b_fields))
    assert all(r.status_code == 200 for r in results)
    posts = _invoice_posts(modal)
    assert len({p.body for p in posts}) == 1  # one body per requestid, whichever won
    await _one_invoice_everywhere(modal, services)


async def test_a_timeout_after_quickbooks_committed_is_recovered_by_the_same_requestid(
    modal: Modal, services: Services
) -> None:
    form = await _ready(modal)
    modal.qbo.config.faults.append(
        InjectedFault("timeout_after_commit", method="POST", path_contains="invoice")
    )
    response = await form.submit()
    assert _shown(response) == "created"
    first, retry = _invoice_posts(modal)
    assert first.query["requestid"] == retry.query["requestid"]
    assert first.body == retry.body  # QuickBooks replays its first answer to the same request
    await _one_invoice_everywhere(modal, services)


async def test_no_answer_at_all_keeps_the_requestid_and_try_again_finishes_the_same_invoice(
    modal: Modal, services: Services
) -> None:
    form = await _ready(modal)
    faults = modal.qbo.config.faults
    faults.append(InjectedFault("timeout_after_commit", method="POST", path_contains="invoice"))
    faults.append(InjectedFault("timeout", method="POST", path_contains="invoice", times=2))
    response = await form.submit()
    assert response.status_code == 200 and _shown(response) == "form"
    page = BeautifulSoup(response.text, "html.parser")
    notice = page.select_one("#form-notice")
    assert notice is not None and "never created twice" in notice.get_text()
    assert page.select_one(".invoice-form__submit").get_text(strip=True) == "Try again"
    async with services.sessionmaker() as session:
        attempt = await session.scalar(select(CreateAttempt))
    assert attempt is not None and attempt.state == "failed"
    assert attempt.request_body is not None  # kept: QuickBooks may have it (it does)
    kept_id = attempt.request_id
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None and len(company.table("Invoice")) == 1

    # "Try again", with the message edited meanwhile: the stored body goes out unchanged.
    again = await form.submit(**{"details-message": "changed after the timeout"})
    assert _shown(again) == "created"
    posts = _invoice_posts(modal)
    assert {p.query["requestid"] for p in posts} == {kept_id}
    assert len({p.body for p in posts}) == 1
    assert b"changed after the timeout" not in posts[-1].body
    await _one_invoice_everywhere(modal, services)


async def test_a_reload_after_posting_shows_the_invoice_and_a_retry_posts_nothing(
    modal: Modal, services: Services
) -> None:
    form = await _ready(modal, runtime="frame-r")
    fields = form.fields
    assert _shown(await form.submit()) == "created"
    reloaded = await modal.client.get(
        "/modals/create-invoice/101/content",
        params={"runtime": "frame-r"},
        headers={**modal.headers, "HX-Target": "modal-content"},
    )
    assert _shown(reloaded) == "created"
    resent = await modal.submit(101, fields)  # the browser repeats the request
    assert _shown(resent) == "created"
    assert len(_invoice_posts(modal)) == 1
    await _one_invoice_everywhere(modal, services)


async def test_a_draft_key_of_another_user_or_deal_finds_nothing(modal: Modal) -> None:
    form = await _ready(modal)
    fields = form.fields
    other_deal = await modal.submit(102, fields)
    assert other_deal.status_code == 404
    assert 'data-error="create-draft-not-found"' in other_deal.text
    forged = await modal.submit(101, {**fields, "draft_key": "made-up"})
    assert forged.status_code == 404
    assert _invoice_posts(modal) == []


async def test_closing_after_a_timeout_and_opening_again_offers_to_finish_the_earlier_one(
    modal: Modal, services: Services
) -> None:
    form = await _ready(modal, runtime="first-opening")
    faults = modal.qbo.config.faults
    faults.append(InjectedFault("timeout_after_commit", method="POST", path_contains="invoice"))
    faults.append(InjectedFault("timeout", method="POST", path_contains="invoice", times=2))
    assert _shown(await form.submit()) == "form"  # no answer; the modal is closed here
    earlier_key = form.fields["draft_key"]

    reopened = await open_form(modal, 101, runtime="second-opening")
    offer = reopened.page.select_one("#earlier-draft button")
    assert offer is not None
    assert offer["hx-vals"] == f'{{"draft_key": "{earlier_key}"}}'
    finished = await modal.submit(101, {"draft_key": earlier_key})
    assert _shown(finished) == "created"
    invoice_id = await _one_invoice_everywhere_but_the_new_draft(modal, services)
    again = await open_form(modal, 101, runtime="third-opening")
    assert again.page.select_one("#earlier-draft") is None  # settled: nothing to offer
    assert invoice_id


async def _one_invoice_everywhere_but_the_new_draft(modal: Modal, services: Services) -> str:
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None and len(company.table("Invoice")) == 1
    async with services.sessionmaker() as session:
        states = sorted(a.state for a in await session.scalars(select(CreateAttempt)))
        links = await session.scalar(select(func.count()).select_from(DealInvoiceLink))
    assert states == ["open", "posted"] and links == 1
    return next(iter(company.table("Invoice")))


async def test_a_reload_after_no_answer_says_the_next_try_resends_the_same_invoice(
    modal: Modal, services: Services
) -> None:
    form = await _ready(modal, runtime="frame-t")
    faults = modal.qbo.config.faults
    faults.append(InjectedFault("timeout", method="POST", path_contains="invoice", times=3))
    assert _shown(await form.submit()) == "form"
    reloaded = await open_form(modal, 101, runtime="frame-t")
    notice = reloaded.page.select_one("#form-notice")
    assert notice is not None and "never created twice" in notice.get_text()
    button = reloaded.page.select_one(".invoice-form__submit")
    assert button is not None and button.get_text(strip=True) == "Try again"
    # QuickBooks never got it this time: the retry creates it, under the kept requestid.
    assert _shown(await reloaded.submit()) == "created"
    assert len({p.query["requestid"] for p in _invoice_posts(modal)}) == 1
    await _one_invoice_everywhere(modal, services)
