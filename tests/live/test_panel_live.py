"""An open panel asks the mirror what changed: 304 while nothing did, only the changed rows
when something did, a reload when rows came or went; never a request to QuickBooks or
Pipedrive; a watch ticket that is this user's, for this deal, and fresh."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx
import pytest
from bs4 import BeautifulSoup

from extension.security.watch import WATCH_TTL_SECONDS, DealWatch, WatchSigner
from tests.live.conftest import deliver, pay_on_page, worker_for
from tests.panel.conftest import DEAL, OTHER_DEAL, Sandbox, soup, status_of
from tests.support import ADMIN_ID, COMPANY_ID, REP_ID, record


@dataclass
class Poller:
    url: str
    watch: str
    etag: str
    known: str


def poller_of(page: httpx.Response) -> Poller:
    html = soup(page)
    poller = html.select_one("#panel-live")
    assert poller is not None, page.text
    rows = html.select("#invoice-list li.invoice")
    return Poller(
        url=str(poller["hx-get"]),
        watch=json.loads(str(poller["hx-headers"]))["X-Deal-Watch"],
        etag=str(poller["data-etag"]),
        known=",".join(f"{r['data-invoice-id']}:{r['data-version']}" for r in rows),
    )


async def ask(
    sb: Sandbox, poller: Poller, *, user_id: int = ADMIN_ID, etag: str | None = None, **headers: str
) -> httpx.Response:
    """What app.js sends: the session, the ticket, the list's tag and the rows it has."""
    sent = {**sb.headers(user_id), "X-Deal-Watch": poller.watch, **headers}
    if etag if etag is not None else poller.etag:
        sent["If-None-Match"] = etag if etag is not None else poller.etag
    return await sb.client.get(poller.url, params={"known": poller.known}, headers=sent)


async def test_nothing_changed_is_a_304_that_asks_no_upstream(sandbox: Sandbox) -> None:
    first, second = await sandbox.invoice("100.00"), await sandbox.invoice("200.00")
    await sandbox.link(first.id)
    await sandbox.link(second.id)
    await sandbox.refresh()
    page = await sandbox.content()
    poller = poller_of(page)
    assert poller.url == f"http://127.0.0.1:8000/panel/deal/{DEAL}/live"
    sandbox.qbo.requests.clear()
    pipedrive = record(sandbox.services, "pipedrive")

    answer = await ask(sandbox, poller)
    assert answer.status_code == 304
    assert answer.headers["ETag"] == poller.etag and answer.content == b""
    assert sandbox.qbo.requests == [] and pipedrive.requests == []


async def test_a_payment_re_renders_only_its_row(sandbox: Sandbox) -> None:
    paid, other = await sandbox.invoice("100.00"), await sandbox.invoice("200.00")
    await sandbox.link(paid.id)
    await sandbox.link(other.id)
    await sandbox.refresh()
    worker = worker_for(sandbox.services)
    await deliver(sandbox)
    await worker.apply_pending()
    poller = poller_of(await sandbox.content())

    await pay_on_page(sandbox, paid.id, "100")
    await deliver(sandbox)
    await worker.apply_pending()
    sandbox.qbo.requests.clear()

    answer = await ask(sandbox, poller)
    assert answer.status_code == 200
    assert answer.headers["ETag"] != poller.etag
    html = BeautifulSoup(answer.text, "html.parser")
    swapped = [(str(e.get("id")), e.get("hx-swap-oob")) for e in html.find_all(recursive=False)]
    assert swapped == [
        (f"invoice-{paid.id}", "outerHTML"),
        ("panel-summary", "outerHTML"),
        ("panel-read", "outerHTML"),
    ]
    assert status_of(answer, paid.id) == "paid"
    assert html.select_one(f"#invoice-{paid.id} [data-action=pdf]") is not None
    assert sandbox.qbo.requests == []

    # The panel now has the new row and tag: nothing more to say.
    poller.etag = answer.headers["ETag"]
    poller.known = ",".join(
        f"{i}:{html.select_one(f'#invoice-{i}')['data-version']}"
        if i == paid.id
        else item.split(":", 1)[0] + ":" + item.split(":", 1)[1]
        for item in poller.known.split(",")
        for i in [item.split(":", 1)[0]]
    )
    assert (await ask(sandbox, poller)).status_code == 304


async def test_rows_added_or_removed_reload_the_content(sandbox: Sandbox) -> None:
    first = await sandbox.invoice("100.00")
    await sandbox.link(first.id)
    await sandbox.refresh()
    poller = poller_of(await sandbox.content())
    second = await sandbox.invoice("50.00")
    await sandbox.link(second.id)  # linked in another window, or by the create modal

    answer = await ask(sandbox, poller)
    assert answer.status_code == 200 and answer.content == b""
    assert json.loads(answer.headers["HX-Trigger"]) == {"app:refresh": {"reason": "reshaped"}}


async def test_the_watch_ticket_is_this_users_for_this_deal_and_fresh(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice = await sandbox.invoice("100.00")
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    poller = poller_of(await sandbox.content())
    other_deal = Poller(poller.url.replace(f"/{DEAL}/", f"/{OTHER_DEAL}/"), poller.watch,
                        poller.etag, poller.known)  # fmt: skip
    signer = WatchSigner(str(sandbox.services.settings.secret_key))
    rep_ticket = signer.issue(DealWatch(COMPANY_ID, REP_ID, DEAL))
    assert (await ask(sandbox, other_deal)).status_code == 403
    assert (await ask(sandbox, poller, user_id=REP_ID)).status_code == 403
    forged = Poller(poller.url, rep_ticket[:-2] + "xx", poller.etag, poller.known)
    assert (await ask(sandbox, forged, user_id=REP_ID)).status_code == 403
    missing = Poller(poller.url, "", poller.etag, poller.known)
    assert (await ask(sandbox, missing)).status_code == 403

    # A ticket issued longer ago than it lives: the panel reloads (and Pipedrive is asked).
    issued_at = time.time() - WATCH_TTL_SECONDS - 5
    with monkeypatch.context() as past:
        past.setattr(time, "time", lambda: issued_at)
        old_ticket = signer.issue(DealWatch(COMPANY_ID, ADMIN_ID, DEAL))
    answer = await ask(sandbox, Poller(poller.url, old_ticket, poller.etag, poller.known))
    assert answer.status_code == 200
    assert json.loads(answer.headers["HX-Trigger"]) == {"app:refresh": {"reason": "watch-expired"}}
    # Without a session nothing is answered at all.
    bare = await sandbox.client.get(poller.url, headers={"X-Deal-Watch": poller.watch})
    assert bare.status_code == 401


async def test_a_change_applied_by_one_process_reaches_a_panel_another_answers(
    sandbox: Sandbox,
) -> None:
    """Two app instances on one database (two processes, as far as the panel can tell): the
    webhook is stored and applied by the first; the panel's poll is answered by the second."""
    from extension.app import create_app
    from tests.support import RunningApp

    invoice = await sandbox.invoice("100.00")
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    poller = poller_of(await sandbox.content())
    await pay_on_page(sandbox, invoice.id, "30")
    await deliver(sandbox)
    await worker_for(sandbox.services).apply_pending()

    other = create_app(sandbox.services.settings)
    async with other.router.lifespan_context(other) as state:
        second = RunningApp(other, dict(state or {}))
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http:
            answer = await http.get(
                poller.url,
                params={"known": poller.known},
                headers={**sandbox.headers(), "X-Deal-Watch": poller.watch,
                         "If-None-Match": poller.etag},
            )  # fmt: skip
    assert answer.status_code == 200
    assert status_of(answer, invoice.id) == "partially_paid"
