"""The deal panel: from the mirror at once, refreshed in one query, every state with its next step."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import update

from extension.sandbox.quickbooks.rules import delete_invoice as qbo_delete
from extension.sandbox.quickbooks.rules import void_invoice as qbo_void
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from extension.store.invoice_models import MirroredInvoice
from extension.store.models import utcnow
from extension.store.quickbooks_models import QuickBooksConnection
from extension.store.settings_models import UserRole
from tests.panel.conftest import (
    DEAL,
    Sandbox,
    company_today,
    row,
    soup,
    status_of,
)
from tests.support import ADMIN_ID, COMPANY_ID, REP_ID, pipedrive


def _queries(sandbox: Sandbox) -> list[str]:
    return [r.query["query"] for r in sandbox.qbo.requests if r.path.endswith("/query")]


async def test_refresh_reads_every_invoice_of_the_deal_in_one_query(sandbox: Sandbox) -> None:
    today = company_today()
    first = await sandbox.invoice("100.00", txn_date=today - timedelta(days=20))
    second = await sandbox.invoice("250.00", txn_date=today - timedelta(days=3))
    third = await sandbox.invoice("75.00", txn_date=today - timedelta(days=10))
    for invoice in (first, second, third):
        await sandbox.link(invoice.id)
    sandbox.qbo.requests.clear()

    refreshed = await sandbox.refresh()

    assert refreshed.status_code == 200
    [query] = _queries(sandbox)
    assert query.startswith("SELECT * FROM Invoice WHERE Id IN (")
    listed = query[query.index("(") + 1 : query.index(")")]
    assert sorted(listed.split(", ")) == sorted(f"'{i.id}'" for i in (first, second, third))
    assert "MAXRESULTS 1000" in query
    assert [r.method for r in sandbox.qbo.requests] == ["GET"]  # nothing else was asked
    # Whether QuickBooks links each invoice for payment comes back in the same read.
    assert sandbox.qbo.requests[0].query["include"] == "invoiceLink"
    # Newest first by invoice date; all Open; the summary adds them up.
    order = [li["data-invoice-id"] for li in soup(refreshed).select("li.invoice")]
    assert order == [second.id, third.id, first.id]
    assert {status_of(refreshed, i.id) for i in (first, second, third)} == {"open"}
    line = soup(refreshed).select_one("#panel-summary .summary__line")
    assert line is not None and line["data-currency"] == "USD"
    assert "3 invoices" in line.text and "Invoiced $425.00" in line.text
    assert "Open $425.00" in line.text and "Overdue $0.00" in line.text
    assert "Read from QuickBooks" in soup(refreshed).select_one(".panel__read").text


async def test_refresh_reads_quickbooks_beside_the_deal_not_after_it(sandbox: Sandbox) -> None:
    """QuickBooks is asked for the deal's invoices before Pipedrive has answered for the deal:
    the refresh waits one round trip, not two. The deal still decides what is shown."""
    invoice = await sandbox.invoice("120.00")
    await sandbox.link(invoice.id)
    sandbox.qbo.requests.clear()
    stand_in = pipedrive(sandbox.services)
    stand_in.requests.clear()
    answer = asyncio.Event()

    async def until_answered(_: float) -> None:
        await answer.wait()

    stand_in.latency, stand_in.sleep = 1.0, until_answered  # Pipedrive answers when told
    refreshing = asyncio.create_task(sandbox.refresh())
    async with asyncio.timeout(10):
        while not _queries(sandbox):
            await asyncio.sleep(0.01)
    assert not refreshing.done() and stand_in.requests == []  # Pipedrive answered nothing yet
    answer.set()
    refreshed = await refreshing
    assert refreshed.status_code == 200 and status_of(refreshed, invoice.id) == "open"
    assert len(_queries(sandbox)) == 1


async def test_a_hidden_deal_refreshes_nothing_it_would_show(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("120.00")
    await sandbox.link(invoice.id, deal_id=104, title="Confidential acquisition")

    refreshed = await sandbox.refresh(user_id=REP_ID, deal_id=104)

    assert refreshed.status_code == 403
    assert invoice.id not in refreshed.text


async def test_opening_the_panel_asks_quickbooks_nothing(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("120.00")
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    sandbox.qbo.requests.clear()

    opened = await sandbox.content()

    assert opened.status_code == 200 and sandbox.qbo.requests == []
    assert status_of(opened, invoice.id) == "open"
    # Read a moment ago: no refresh asked for by the page itself.
    assert soup(opened).select_one("#invoice-list").get("hx-trigger") is None  # type: ignore[union-attr]


async def test_an_old_or_unread_mirror_refreshes_itself_when_the_panel_opens(
    sandbox: Sandbox,
) -> None:
    invoice = await sandbox.invoice("120.00")
    await sandbox.link(invoice.id)
    unread = await sandbox.content()
    listing = soup(unread).select_one("#invoice-list")
    assert listing is not None and listing["hx-trigger"] == "load"
    assert listing["hx-post"] == f"http://127.0.0.1:8000/panel/deal/{DEAL}/refresh"
    assert status_of(unread, invoice.id) == "unread"
    await sandbox.refresh()
    async with sandbox.db() as session, session.begin():
        await session.execute(
            update(MirroredInvoice).values(read_at=utcnow() - timedelta(minutes=6))
        )
    old = await sandbox.content()
    assert soup(old).select_one("#invoice-list")["hx-trigger"] == "load"  # type: ignore[index]


async def test_payments_voids_and_deletions_in_quickbooks_reach_the_panel(
    sandbox: Sandbox,
) -> None:
    today = company_today()
    partial = await sandbox.invoice("1000.00", due_date=today + timedelta(days=10))
    paid = await sandbox.invoice("300.00")
    late = await sandbox.invoice("80.00", txn_date=today - timedelta(days=40),
                                 due_date=today - timedelta(days=5))  # fmt: skip
    voided = await sandbox.invoice("90.00")
    deleted = await sandbox.invoice("60.00")
    for invoice in (partial, paid, late, voided, deleted):
        await sandbox.link(invoice.id)
    await sandbox.refresh()
    sandbox.pay(partial.id, "400.00")
    sandbox.pay(paid.id, "300.00")
    sandbox.pay(late.id, "30.00")
    company = sandbox.qbo.companies[US_REALM_ID]
    qbo_void(company, {"Id": voided.id, "SyncToken": sandbox.stored(voided.id)["SyncToken"]})  # type: ignore[index]
    qbo_delete(company, {"Id": deleted.id, "SyncToken": sandbox.stored(deleted.id)["SyncToken"]})  # type: ignore[index]

    refreshed = await sandbox.refresh()

    assert status_of(refreshed, partial.id) == "partially_paid"
    assert status_of(refreshed, paid.id) == "paid"
    assert status_of(refreshed, late.id) == "overdue"
    assert "5 days overdue, partially paid" in row(refreshed, late.id).text
    assert status_of(refreshed, voided.id) == "voided"
    assert status_of(refreshed, deleted.id) == "deleted"
    facts = row(refreshed, partial.id).select_one(".invoice__facts")
    assert facts is not None and "$1,000.00" in facts.text and "$600.00" in facts.text
    line = soup(refreshed).select_one("#panel-summary .summary__line")
    assert line is not None
    # Voided and deleted add nothing; open = 600 + 50; overdue = 50.
    assert "5 invoices" in line.text and "Invoiced $1,380.00" in line.text
    assert "Open $650.00" in line.text and "Overdue $50.00" in line.text
    # A deleted invoice keeps its row (and its link) with the amounts last read.
    assert "$60.00" in row(refreshed, deleted.id).text
    # Closed invoices offer nothing but what still applies to them.
    actions = {b["data-action"] for b in row(refreshed, voided.id).select("[data-action]")}
    assert actions == {"pdf", "delete", "unlink", "open"}
    actions = {b["data-action"] for b in row(refreshed, deleted.id).select("[data-action]")}
    assert actions == {"unlink"}


async def test_emailed_invoices_say_so(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("100.00", email="ap@acme.example")
    await sandbox.link(invoice.id)
    await sandbox.qb.send_invoice(invoice.id)
    refreshed = await sandbox.refresh()
    note = row(refreshed, invoice.id).select_one("[data-emailed]")
    assert note is not None and "Emailed" in note.text and "ap@acme.example" in note.text


async def test_unreachable_or_throttled_quickbooks_leaves_the_mirror_marked_stale(
    sandbox: Sandbox,
) -> None:
    invoice = await sandbox.invoice("100.00")
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    sandbox.pay(invoice.id, "100.00")

    sandbox.qbo.config.faults.append(InjectedFault("503", path_contains="query", times=3))
    down = await sandbox.refresh()
    assert down.status_code == 200
    marker = soup(down).select_one("[data-stale]")
    assert marker is not None and marker["data-stale"] == "unavailable"
    assert "may be out of date" in marker.text
    assert status_of(down, invoice.id) == "open"  # the mirror as it was

    sandbox.qbo.config.faults.append(InjectedFault("throttle", path_contains="query", times=1))
    throttled = await sandbox.refresh()
    marker = soup(throttled).select_one("[data-stale]")
    assert marker is not None and marker["data-stale"] == "rate_limited"
    assert "second" in marker.text
    assert status_of(throttled, invoice.id) == "open"


async def test_no_invoices_yet_invites_the_first(sandbox: Sandbox) -> None:
    opened = await sandbox.content()
    empty = soup(opened).select_one("[data-empty]")
    assert empty is not None and "No invoices are linked to this deal yet" in empty.text
    assert "+ Invoice" in empty.text
    assert soup(opened).select_one("[data-modal=create-invoice]") is not None


async def test_quickbooks_not_connected_tells_admins_where_and_others_whom(
    sandbox: Sandbox,
) -> None:
    async with sandbox.db() as session, session.begin():
        await session.execute(
            QuickBooksConnection.__table__.delete().where(  # type: ignore[attr-defined]
                QuickBooksConnection.company_id == COMPANY_ID
            )
        )
    admin = soup(await sandbox.content(ADMIN_ID))
    notice = admin.select_one("[data-state=not_connected]")
    assert notice is not None and notice.select_one("[data-sdk-redirect=settings]") is not None
    rep = soup(await sandbox.content(REP_ID))
    notice = rep.select_one("[data-state=not_connected]")
    assert notice is not None and notice.select_one("[data-sdk-redirect=settings]") is None
    assert "Ask an admin: Ada Admin." in notice.text


async def test_quickbooks_needing_a_reconnect_says_so(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("100.00")
    await sandbox.link(invoice.id)
    async with sandbox.db() as session, session.begin():
        await session.execute(update(QuickBooksConnection).values(needs_reconnect=True))
    rep = soup(await sandbox.content(REP_ID))
    notice = rep.select_one("[data-state=needs_reconnect]")
    assert notice is not None and "Ask an admin: Ada Admin." in notice.text
    sandbox.qbo.requests.clear()
    refreshed = await sandbox.refresh(REP_ID)
    assert refreshed.status_code == 200 and sandbox.qbo.requests == []


async def test_a_deal_hidden_from_the_user_shows_nothing_but_why(sandbox: Sandbox) -> None:
    hidden = await sandbox.content(REP_ID, deal_id=104)
    assert hidden.status_code == 403
    assert soup(hidden).select_one("[data-error=pipedrive-hidden]") is not None
    refreshed = await sandbox.refresh(REP_ID, deal_id=104)
    assert refreshed.status_code == 403 and sandbox.qbo.requests == []


async def test_a_user_who_has_not_authorized_gets_no_content(sandbox: Sandbox) -> None:
    headers = sandbox.headers(REP_ID)
    async with sandbox.db() as session, session.begin():
        from extension.store.models import Installation

        await session.execute(
            Installation.__table__.delete().where(  # type: ignore[attr-defined]
                Installation.user_id == REP_ID
            )
        )
    response = await sandbox.client.get(f"/panel/deal/{DEAL}/content", headers=headers)
    assert response.status_code == 401


async def test_the_panel_menu_offers_settings_and_unlinking_the_contact(sandbox: Sandbox) -> None:
    await sandbox.link_contact()
    opened = soup(await sandbox.content())
    menu = opened.select_one(".panel__head details[data-menu]")
    assert menu is not None
    assert menu.select_one("[data-sdk-redirect=settings]") is not None
    unlink = menu.select_one("[data-action=unlink-contact]")
    assert unlink is not None
    assert unlink["hx-confirm"] == "Unlink this deal’s contact from Amy's Bird Sanctuary?"
    assert unlink["hx-target"] == "#panel-content"

    done = await sandbox.client.post(
        f"/panel/deal/{DEAL}/unlink-contact",
        headers=sandbox.headers(**{"HX-Target": "panel-content"}),
    )
    assert done.status_code == 200
    trigger = json.loads(done.headers["HX-Trigger"])
    assert trigger["app:snackbar"]["message"] == (
        "The contact is no longer linked to Amy's Bird Sanctuary in QuickBooks."
    )
    assert soup(done).select_one("[data-action=unlink-contact]") is None
    from extension.store.models import AuditEvent

    async with sandbox.db() as session:
        from sqlalchemy import select

        actions = list(await session.scalars(select(AuditEvent.action)))
    assert "contact.unlinked" in actions


async def test_viewers_see_only_what_they_may_use(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("100.00")
    await sandbox.link(invoice.id)
    await sandbox.link_contact()
    await sandbox.refresh()
    async with sandbox.db() as session, session.begin():
        session.add(UserRole(company_id=COMPANY_ID, user_id=REP_ID, role="viewer"))
    viewer = await sandbox.content(REP_ID)
    actions = {b["data-action"] for b in row(viewer, invoice.id).select("[data-action]")}
    assert actions == {"pdf", "open"}
    page = soup(viewer)
    assert page.select_one("[data-modal=create-invoice]") is None
    assert page.select_one("[data-modal=all-invoices]") is not None
    assert page.select_one("[data-action=unlink-contact]") is None

    async with sandbox.db() as session, session.begin():
        await session.execute(update(UserRole).values(role="creator"))
    creator = await sandbox.content(REP_ID)
    actions = {b["data-action"] for b in row(creator, invoice.id).select("[data-action]")}
    assert actions == {"pdf", "send", "copy-link", "open"}
    admin = await sandbox.content(ADMIN_ID)
    actions = {b["data-action"] for b in row(admin, invoice.id).select("[data-action]")}
    assert actions == {"pdf", "send", "copy-link", "void", "delete", "unlink", "open"}


async def test_the_pdf_link_is_signed_for_its_user_deal_and_invoice(sandbox: Sandbox) -> None:
    invoice = await sandbox.invoice("100.00", number="A-7/2")
    await sandbox.link(invoice.id)
    opened = await sandbox.refresh()
    link = row(opened, invoice.id).select_one("[data-action=pdf]")
    assert link is not None and link["target"] == "_blank"
    url = urlsplit(str(link["href"]))
    assert url.path == f"/deals/{DEAL}/invoices/{invoice.id}/pdf"
    token = parse_qs(url.query)["t"][0]
    assert token and Decimal(1)  # signed; its contents are checked in test_actions
