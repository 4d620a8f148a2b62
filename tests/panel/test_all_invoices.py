"""The all-invoices modal: every invoice of the deal contact's customers, read from QuickBooks by
customer and date, paged from the mirror, filtered by time range, linked and unlinked here."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
from bs4 import BeautifulSoup

from extension.sandbox.quickbooks.rules import delete_invoice as qbo_delete
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from extension.store.deal_links import links_for_invoices
from extension.store.invoice_mirror import mirrored_invoices
from extension.store.link_models import ContactKind
from extension.store.links import contact_links
from extension.store.settings_models import UserRole
from tests.panel.conftest import AMY, COOL_CARS, DEAL, OTHER_DEAL, Sandbox, company_today, soup
from tests.support import COMPANY_ID, REP_ID


async def _modal(
    sandbox: Sandbox, path: str = "content", user_id: int = 9001, **params: str
) -> httpx.Response:
    target = "modal-content" if path == "content" else "all-list"
    return await sandbox.client.get(
        f"/modals/all-invoices/{DEAL}/{path}",
        params=params,
        headers=sandbox.headers(user_id, **{"HX-Target": target}),
    )


def _numbers(page: BeautifulSoup) -> list[str]:
    return [str(tr["data-invoice-id"]) for tr in page.select("tr.invoice-row")]


def _queries(sandbox: Sandbox) -> list[str]:
    return [r.query["query"] for r in sandbox.qbo.requests if r.path.endswith("/query")]


async def test_a_contact_not_linked_yet_gets_the_explanation_and_a_way_to_link_it(
    sandbox: Sandbox,
) -> None:
    page = soup(await _modal(sandbox))
    state = page.select_one("[data-state=contact-not-linked]")
    assert state is not None and "not linked to a QuickBooks customer" in state.text
    button = state.select_one("#contact-link-button")
    assert button is not None and str(button["hx-get"]).endswith(f"/contact-link/{DEAL}/for-deal")
    assert button["hx-target"] == "#popover-slot"
    assert state.select_one("div#popover-slot") is not None
    assert sandbox.qbo.requests == []


async def test_a_viewer_is_told_who_can_link_the_contact(sandbox: Sandbox) -> None:
    async with sandbox.db() as session, session.begin():
        session.add(UserRole(company_id=COMPANY_ID, user_id=REP_ID, role="viewer"))
    page = soup(await _modal(sandbox, user_id=REP_ID))
    state = page.select_one("[data-state=contact-not-linked]")
    assert state is not None and state.select_one("#contact-link-button") is None
    assert "Someone who may create invoices can link it." in state.text


async def test_the_popover_finds_the_contacts_customer_and_only_links(sandbox: Sandbox) -> None:
    response = await sandbox.client.get(
        f"/contact-link/{DEAL}/for-deal", headers=sandbox.headers(HX_Target="popover-slot")
    )
    assert response.status_code == 200
    popover = soup(response).select_one("dialog#contact-link-popover")
    assert popover is not None
    # Deal 101's organization is Acme Corporation: the search starts from its name.
    assert popover.select_one("input[name=q]")["value"] == "Acme Corporation"
    assert "organization Acme Corporation" in popover.text
    assert popover.select_one("input[name=mode]")["value"] == "link"
    # Creating a customer needs the invoice form's address and tax id: not offered here.
    assert popover.select_one("input[name=choice][value=new]") is None
    queries = _queries(sandbox)
    assert queries and all("FROM Customer" in q for q in queries)


async def test_confirming_links_the_contact_and_reloads_the_modal(sandbox: Sandbox) -> None:
    await sandbox.invoice("250.00")
    confirm = await sandbox.client.post(
        f"/contact-link/{DEAL}/confirm",
        data={"choice": f"customer:{AMY}", "mode": "link", "draft_key": ""},
        headers=sandbox.headers(HX_Target="popover-slot"),
    )
    assert confirm.status_code == 200 and confirm.text == ""
    events = json.loads(confirm.headers["HX-Trigger"])
    assert events["app:contact-linked"]["id"] == AMY
    async with sandbox.db() as session:
        links = await contact_links(
            session, COMPANY_ID, US_REALM_ID, [(ContactKind.ORGANIZATION, 201)]
        )
    link = links[(ContactKind.ORGANIZATION, 201)]
    assert (link.customer_id, link.customer_name) == (AMY, "Amy's Bird Sanctuary")
    page = soup(await _modal(sandbox))
    assert page.select_one("[data-state=contact-not-linked]") is None
    assert len(_numbers(page)) == 1


async def test_link_mode_never_creates_a_customer(sandbox: Sandbox) -> None:
    refused = await sandbox.client.post(
        f"/contact-link/{DEAL}/confirm",
        data={"choice": "new", "mode": "link", "new_customer-name": "Sneaky Ltd"},
        headers=sandbox.headers(HX_Target="popover-slot"),
    )
    assert refused.status_code == 422
    assert "Choose a customer" in refused.text
    assert sandbox.writes() == []


async def test_every_invoice_of_the_customer_shows_with_its_deal(sandbox: Sandbox) -> None:
    today = company_today()
    await sandbox.link_contact(AMY)
    ours = await sandbox.invoice("100.00", txn_date=today)
    other_deal = await sandbox.invoice("200.00", txn_date=today - timedelta(days=1))
    direct = await sandbox.invoice("300.00", txn_date=today - timedelta(days=2))  # made in QBO
    someone_else = await sandbox.invoice("999.00", customer=COOL_CARS, txn_date=today)
    await sandbox.link(ours.id)
    await sandbox.link(other_deal.id, deal_id=OTHER_DEAL, title="Annual support contract")
    sandbox.qbo.requests.clear()

    response = await _modal(sandbox, range="this_year")

    assert response.status_code == 200
    [query] = _queries(sandbox)
    start, end = date(today.year, 1, 1), date(today.year + 1, 1, 1)
    assert query == (
        f"SELECT * FROM Invoice WHERE CustomerRef = '{AMY}' AND TxnDate >= '{start}' AND "
        f"TxnDate < '{end}' ORDERBY TxnDate DESC STARTPOSITION 1 MAXRESULTS 1000"
    )
    page = soup(response)
    assert _numbers(page) == [ours.id, other_deal.id, direct.id]
    assert someone_else.id not in _numbers(page)
    links = {str(tr["data-invoice-id"]): tr.select_one("[data-deal-link]").text.strip()  # type: ignore[union-attr]
             for tr in page.select("tr.invoice-row")}  # fmt: skip
    assert links == {
        ours.id: "This deal",
        other_deal.id: "Deal “Annual support contract”",
        direct.id: "Not linked",
    }
    line = page.select_one("#all-totals .summary__line")
    assert line is not None and "3 invoices" in line.text and "Invoiced $600.00" in line.text
    # The range's invoices are in the mirror now: paging and totals come from there.
    async with sandbox.db() as session:
        mirrored = await mirrored_invoices(
            session, COMPANY_ID, US_REALM_ID, [ours.id, other_deal.id, direct.id]
        )
    assert set(mirrored) == {ours.id, other_deal.id, direct.id}


async def test_time_ranges_include_their_first_and_last_day_and_nothing_else(
    sandbox: Sandbox,
) -> None:
    today = company_today()
    await sandbox.link_contact(AMY)
    first_of_month = today.replace(day=1)
    days = {
        "today": today,
        "29 days ago": today - timedelta(days=29),
        "30 days ago": today - timedelta(days=30),
        "89 days ago": today - timedelta(days=89),
        "90 days ago": today - timedelta(days=90),
        "first of month": first_of_month,
        "last of previous month": first_of_month - timedelta(days=1),
        "1 January": date(today.year, 1, 1),
        "31 December before": date(today.year - 1, 12, 31),
    }
    ids: dict[str, str] = {}
    for label, day in days.items():
        ids[label] = (await sandbox.invoice("10.00", txn_date=day)).id

    def shown(page: BeautifulSoup) -> set[str]:
        numbers = set(_numbers(page))
        return {label for label, invoice_id in ids.items() if invoice_id in numbers}

    def expected(first: date, last: date) -> set[str]:
        return {label for label, day in days.items() if first <= day <= last}

    last_30 = soup(await _modal(sandbox, range="last_30_days"))
    assert {"today", "29 days ago"} <= shown(last_30) and "30 days ago" not in shown(last_30)
    assert shown(last_30) == expected(today - timedelta(days=29), today)
    last_90 = soup(await _modal(sandbox, range="last_90_days"))
    assert "89 days ago" in shown(last_90) and "90 days ago" not in shown(last_90)
    month = soup(await _modal(sandbox, range="this_month"))
    assert "first of month" in shown(month) and "last of previous month" not in shown(month)
    year = soup(await _modal(sandbox, range="this_year"))
    assert "1 January" in shown(year) and "31 December before" not in shown(year)
    first, last = today - timedelta(days=90), today - timedelta(days=30)
    custom = soup(await _modal(sandbox, range="custom", **{"from": str(first), "to": str(last)}))
    assert {"90 days ago", "30 days ago"} <= shown(custom)
    assert shown(custom) == expected(first, last)
    bounds = custom.select_one("[data-range-start]")
    assert bounds is not None and bounds["data-range-start"] == str(first)
    assert bounds["data-range-end"] == str(last)


async def test_a_custom_range_needs_both_days_in_order(sandbox: Sandbox) -> None:
    await sandbox.link_contact(AMY)
    cases = {
        ("", "2026-01-31"): "Choose the first day",
        ("2026-01-01", ""): "Choose the last day",
        ("2026-02-01", "2026-01-01"): "before the first day",
        ("2026-13-01", "2026-01-01"): "year-month-day",
        ("2010-01-01", "2026-01-01"): "at most 1830 days",
    }
    for (first, last), words in cases.items():
        page = soup(await _modal(sandbox, "rows", range="custom", **{"from": first, "to": last}))
        problem = page.select_one("[data-problem]")
        assert problem is not None and words in problem.text, (first, last)
    assert sandbox.qbo.requests == []


async def test_pages_come_from_the_mirror(sandbox: Sandbox) -> None:
    today = company_today()
    await sandbox.link_contact(AMY)
    made = [await sandbox.invoice("5.00", txn_date=today) for _ in range(30)]
    first = soup(await _modal(sandbox, range="this_month"))
    assert len(_numbers(first)) == 25
    more = first.select_one("#all-more button")
    assert more is not None
    after = json.loads(str(more["hx-vals"]))["after"]
    sandbox.qbo.requests.clear()

    second = soup(await _modal(sandbox, "more", range="this_month", after=after))

    assert sandbox.qbo.requests == []
    assert len(_numbers(second)) == 5 and second.select_one("#all-more") is None
    assert set(_numbers(first)) | set(_numbers(second)) == {i.id for i in made}
    line = first.select_one("#all-totals .summary__line")
    assert line is not None and "30 invoices" in line.text and "$150.00" in line.text


async def test_an_invoice_deleted_in_quickbooks_is_found_deleted(sandbox: Sandbox) -> None:
    await sandbox.link_contact(AMY)
    gone = await sandbox.invoice("40.00")
    await _modal(sandbox)
    company = sandbox.qbo.companies[US_REALM_ID]
    qbo_delete(company, {"Id": gone.id, "SyncToken": sandbox.stored(gone.id)["SyncToken"]})  # type: ignore[index]
    sandbox.qbo.requests.clear()

    page = soup(await _modal(sandbox))

    # Missing from the range's answer, so asked for by id: not there either, so deleted.
    assert any(f"Id IN ('{gone.id}')" in q for q in _queries(sandbox))
    row = page.select_one(f"#invoice-{gone.id}")
    assert row is not None and row["data-status"] == "deleted"


async def test_unreachable_quickbooks_shows_the_mirror_marked_stale(sandbox: Sandbox) -> None:
    await sandbox.link_contact(AMY)
    invoice = await sandbox.invoice("40.00")
    await _modal(sandbox)
    sandbox.qbo.config.faults.append(InjectedFault("timeout", path_contains="query", times=3))
    page = soup(await _modal(sandbox))
    marker = page.select_one("[data-stale]")
    assert marker is not None and marker["data-stale"] == "unavailable"
    assert invoice.id in _numbers(page)


async def test_two_customers_filter_and_a_foreign_customer_is_not_found(sandbox: Sandbox) -> None:
    today = company_today()
    await sandbox.link_contact(AMY)
    await sandbox.link_contact(COOL_CARS, kind=ContactKind.PERSON, contact=301)
    amys = await sandbox.invoice("10.00", txn_date=today)
    cars = await sandbox.invoice("20.00", customer=COOL_CARS, txn_date=today)
    both = soup(await _modal(sandbox))
    assert set(_numbers(both)) == {amys.id, cars.id}
    options = [str(o["value"]) for o in both.select("select[name=customer] option")]
    assert options == ["", AMY, COOL_CARS]
    only = soup(await _modal(sandbox, "rows", customer=COOL_CARS))
    assert _numbers(only) == [cars.id]
    foreign = await _modal(sandbox, "rows", customer="3")  # a customer of no contact of this deal
    assert foreign.status_code == 404


async def _act(
    sandbox: Sandbox, action: str, invoice_id: str, user_id: int = 9001, **form: str
) -> httpx.Response:
    return await sandbox.client.post(
        f"/deals/{DEAL}/invoices/{invoice_id}/{action}",
        data={"view": "modal", "range": "this_year", "from": "", "to": "", "customer": "", **form},
        headers=sandbox.headers(user_id, **{"HX-Target": f"invoice-{invoice_id}"}),
    )


async def _deal_of(sandbox: Sandbox, invoice_id: str) -> int | None:
    async with sandbox.db() as session:
        links = await links_for_invoices(session, COMPANY_ID, US_REALM_ID, [invoice_id])
    return links[invoice_id].deal_id if invoice_id in links else None


def _trigger(response: httpx.Response) -> dict[str, Any]:
    return dict(json.loads(response.headers["HX-Trigger"]))


async def test_link_unlink_and_move_from_the_modal(sandbox: Sandbox) -> None:
    await sandbox.link_contact(AMY)
    loose = await sandbox.invoice("10.00")
    elsewhere = await sandbox.invoice("20.00")
    await sandbox.link(elsewhere.id, deal_id=OTHER_DEAL, title="Annual support contract")
    page = soup(await _modal(sandbox))
    link = page.select_one(f"#invoice-{loose.id} [data-action=link]")
    assert link is not None and link["hx-include"] == "#all-filter"
    move = page.select_one(f"#invoice-{elsewhere.id} [data-action=link]")
    assert move is not None
    assert move["hx-confirm"] == "Move invoice 1002 to this deal?"
    assert "Annual support contract" in str(move["data-confirm-description"])
    sandbox.qbo.requests.clear()

    linked = await _act(sandbox, "link", loose.id)
    assert linked.status_code == 200
    assert soup(linked).select_one("[data-deal-link]").text.strip() == "This deal"  # type: ignore[union-attr]
    assert _trigger(linked)["app:snackbar"]["message"] == "Invoice 1001 is linked to this deal."
    totals = soup(linked).select_one("#all-totals[hx-swap-oob]")
    assert totals is not None and "2 invoices" in totals.text
    assert await _deal_of(sandbox, loose.id) == DEAL

    refused = await _act(sandbox, "link", elsewhere.id)
    assert refused.status_code == 409 and "Annual support contract" in refused.text
    assert await _deal_of(sandbox, elsewhere.id) == OTHER_DEAL
    moved = await _act(sandbox, "link", elsewhere.id, move="1")
    assert moved.status_code == 200 and await _deal_of(sandbox, elsewhere.id) == DEAL
    assert _trigger(moved)["app:snackbar"]["message"] == (
        "Invoice 1002 was moved to this deal from “Annual support contract”."
    )

    unlinked = await _act(sandbox, "unlink", loose.id)
    assert unlinked.status_code == 200
    assert soup(unlinked).select_one("[data-deal-link]").text.strip() == "Not linked"  # type: ignore[union-attr]
    assert await _deal_of(sandbox, loose.id) is None
    assert sandbox.qbo.requests == []  # linking is ours alone


async def test_modal_rows_carry_the_panels_actions(sandbox: Sandbox) -> None:
    await sandbox.link_contact(AMY)
    invoice = await sandbox.invoice("10.00")
    await sandbox.link(invoice.id)
    admin = soup(await _modal(sandbox))
    actions = {str(b["data-action"]) for b in admin.select(f"#invoice-{invoice.id} [data-action]")}
    assert actions == {"pdf", "send", "copy-link", "void", "delete", "unlink", "open"}
    rep = soup(await _modal(sandbox, user_id=REP_ID))
    actions = {str(b["data-action"]) for b in rep.select(f"#invoice-{invoice.id} [data-action]")}
    assert actions == {"pdf", "send", "copy-link", "open"}
    sent = await _act(sandbox, "send", invoice.id, to="birds@intuit.example")
    assert sent.status_code == 200
    assert soup(sent).select_one(f"tr#invoice-{invoice.id} [data-emailed]") is not None


async def test_quickbooks_not_connected_says_so_in_the_modal(sandbox: Sandbox) -> None:
    from sqlalchemy import delete

    from extension.store.quickbooks_models import QuickBooksConnection

    async with sandbox.db() as session, session.begin():
        await session.execute(delete(QuickBooksConnection))
    page = soup(await _modal(sandbox, user_id=REP_ID))
    assert "QuickBooks is not connected yet" in page.text
    assert page.select_one("#all-filter") is None and sandbox.qbo.requests == []


async def test_open_in_quickbooks_leads_to_the_invoice(sandbox: Sandbox) -> None:
    await sandbox.link_contact(AMY)
    invoice = await sandbox.invoice("42.00", number="OPEN-1")
    page = soup(await _modal(sandbox))
    link = page.select_one(f"#invoice-{invoice.id} [data-action=open]")
    assert link is not None and link["target"] == "_blank"
    opened = await sandbox.client.get(str(link["href"]))
    assert opened.status_code == 200 and "Invoice OPEN-1" in opened.text
    assert "Receive payment" in opened.text
    missing = await sandbox.client.get("/sandbox/quickbooks/app/invoice", params={"txnId": "999"})
    assert missing.status_code == 404
