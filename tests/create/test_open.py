"""Opening the create-invoice modal: the three sections prefilled from the deal and settings,
the draft (and its requestid) stored before anything is posted, one draft per opening."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.services import Services
from extension.store.invoice_models import CreateAttempt
from tests.create.conftest import Modal, open_form
from tests.support import pipedrive, record


def _today(zone: str) -> str:
    return datetime.now(ZoneInfo(zone)).date().isoformat()


async def test_the_form_is_prefilled_from_the_deal_its_contacts_and_products(
    modal: Modal,
) -> None:
    form = await open_form(modal, 101)
    fields = form.fields
    # Customer details from the default mapping: organization name and address, person email.
    assert fields["customer-name"] == "Acme Corporation"
    assert fields["customer-address"] == "100 Main Street"
    assert (fields["customer-city"], fields["customer-postal_code"]) == ("Springfield", "62701")
    assert (fields["customer-region"], fields["customer-country"]) == ("Illinois", "United States")
    assert fields["customer-email"] == "alice@acme.example"  # the person's primary email
    assert fields["customer-customer_id"] == ""  # not linked yet: the warning sign shows
    assert form.page.select_one("#customer-link-button.warning-sign") is not None
    assert fields["customer-update_customer"] == "on"  # the settings' default
    # Invoice details: today where the QuickBooks company is, due after the settings' 30 days.
    today = _today("America/Los_Angeles")
    assert fields["details-invoice_date"] == today
    due = datetime.fromisoformat(today) + timedelta(days=30)
    assert fields["details-due_date"] == due.date().isoformat()
    assert fields["details-terms_id"] == "3"  # QuickBooks' own default terms (Net 30)
    assert fields["details-currency"] == "USD"  # the deal's
    assert fields["details-tax_method"] == "exclusive"
    assert fields["details-sales_tax_code_id"] == "2"  # the code with the products' 8%
    note = form.page.select_one("#details-private_note-help a")
    assert note is not None and note.get_text() == "Website redesign"
    assert note["href"].endswith("/sandbox/pipedrive/company/northwind-sandbox/deal/101")
    # Lines: one per deal product, with its discount as Pipedrive holds it.
    names = [fields[f"lines-{i}-name"] for i in range(3)]
    assert names == ["Website design", "Web hosting", "Support hours"]
    assert (fields["lines-0-discount"], fields["lines-0-discount_type"]) == ("10", "percentage")
    assert (fields["lines-2-discount"], fields["lines-2-discount_type"]) == ("30", "amount")
    assert [fields[f"lines-{i}-tax_code_id"] for i in range(3)] == ["TAX", "TAX", "NON"]
    assert fields["lines-0-description"].startswith("Design of a responsive website")
    assert len(form.page.select(".line__item--unlinked")) == 3
    totals = [o.get_text() for o in form.page.select("output.line__total")]
    assert totals == ["$9,000.00", "$3,500.00", "$300.00"]
    summary = form.page.select_one("#summary [data-total]")
    assert summary is not None and summary.get_text() == "$13,800.00"  # Pipedrive's sum


async def test_opening_stores_the_draft_and_its_requestid_before_anything_is_posted(
    modal: Modal, services: Services
) -> None:
    form = await open_form(modal, 101)
    async with services.sessionmaker() as session:
        attempt = await session.scalar(select(CreateAttempt))
    assert attempt is not None
    assert (attempt.state, attempt.deal_id, attempt.user_id) == ("open", 101, 9001)
    assert re.fullmatch(r"[0-9a-f]{32}", attempt.request_id)
    assert attempt.request_body is None and attempt.invoice_id is None
    assert form.fields["draft_key"] == attempt.draft_key
    assert [r for r in modal.qbo.requests if r.method == "POST"] == []


async def test_a_reload_is_the_same_draft_and_a_new_opening_a_new_one(
    modal: Modal, services: Services
) -> None:
    first = await open_form(modal, 101, runtime="frame-a")
    reloaded = await open_form(modal, 101, runtime="frame-a")
    other = await open_form(modal, 101, runtime="frame-b")
    assert first.fields["draft_key"] == reloaded.fields["draft_key"]
    assert other.fields["draft_key"] != first.fields["draft_key"]
    async with services.sessionmaker() as session:
        keys = set(await session.scalars(select(CreateAttempt.draft_key)))
    assert keys == {first.fields["draft_key"], other.fields["draft_key"]}


async def test_opening_reads_independent_things_once_and_writes_nothing_upstream(
    modal: Modal, services: Services
) -> None:
    pipedrive, quickbooks = record(services, "pipedrive"), record(services, "quickbooks")
    await open_form(modal, 101)
    paths = sorted(r.url.path.rsplit("/northwind-sandbox", 1)[-1] for r in pipedrive.requests)
    assert paths == [
        "/api/v1/dealFields",
        "/api/v1/organizationFields",
        "/api/v1/personFields",
        "/api/v2/deals/101",
        "/api/v2/deals/101/products",
        "/api/v2/organizations/201",
        "/api/v2/persons/301",
        "/api/v2/products/401",
        "/api/v2/products/402",
        "/api/v2/products/403",
    ]
    reads = sorted(
        (r.url.path.rsplit("/", 1)[-1], r.url.params.get("query", "")) for r in quickbooks.requests
    )
    assert [r.method for r in quickbooks.requests] == ["GET"] * 5
    assert [path for path, _ in reads] == [
        "9341453050071001",  # companyinfo/{realm}
        "preferences",
        "query",
        "query",
        "query",
    ]
    assert {q.split(" FROM ")[1].split(" ")[0] for _, q in reads if q} == {
        "TaxCode",
        "TaxRate",
        "Term",
    }
    # Field definitions are cached: a second opening asks Pipedrive for the deal's own data only.
    pipedrive.requests.clear()
    await open_form(modal, 101, runtime="again")
    assert not [r for r in pipedrive.requests if "Fields" in r.url.path]


async def test_the_deal_its_lines_and_quickbooks_lists_are_asked_for_at_once(
    modal: Modal, services: Services
) -> None:
    """The first round trip: the deal's lines are asked for before the deal has answered, and
    QuickBooks' lists beside them; what the deal names (person, organization, products)
    follows once it has answered. Two round trips for the user to wait, not three."""
    stand_in = pipedrive(services)
    sent = record(services, "pipedrive")
    answer = asyncio.Event()

    async def until_answered(_: float) -> None:
        await answer.wait()

    stand_in.latency, stand_in.sleep = 1.0, until_answered  # nothing answers until told
    opening = asyncio.create_task(open_form(modal, 101))
    async with asyncio.timeout(10):
        while len(sent.requests) < 2 or len(modal.qbo.requests) < 5:
            await asyncio.sleep(0.01)
    assert sorted(r.url.path.rsplit("/northwind-sandbox", 1)[-1] for r in sent.requests) == [
        "/api/v2/deals/101",
        "/api/v2/deals/101/products",
    ]
    answer.set()
    form = await opening
    assert len(form.line_keys()) == 3
    later = {r.url.path.rsplit("/", 2)[-2] for r in sent.requests[2:]}
    assert later == {"persons", "organizations", "products", "v1"}


async def test_a_deal_without_products_gives_one_line_from_its_title_and_value(
    modal: Modal,
) -> None:
    form = await open_form(modal, 103)
    fields = form.fields
    assert form.line_keys() and len(form.line_keys()) == 1
    assert fields["lines-0-name"] == "Discovery workshop (no products)"
    assert (fields["lines-0-quantity"], fields["lines-0-unit_price"]) == ("1", "2400")
    assert fields["lines-0-product_id"] == ""


async def test_a_recurring_product_is_billed_for_its_first_period_and_says_so(
    modal: Modal,
) -> None:
    form = await open_form(modal, 105)
    fields = form.fields
    assert fields["lines-0-billing_frequency"] == "monthly"
    assert fields["lines-0-billing_cycles"] == "12"
    assert fields["lines-0-service_date"] == "2026-01-01"  # the first period starts then
    marker = form.page.select_one("#lines [data-recurring]")
    assert marker is not None
    assert marker.get_text() == "Billed monthly: this invoice is for the first of 12 periods."
    total = form.page.select_one("#summary [data-total]")
    assert total is not None and total.get_text() == "$90.00"  # one period, not twelve


async def test_without_quickbooks_the_modal_says_who_connects_it(
    client, services: Services, qbo: QuickBooksStandIn
) -> None:  # type: ignore[no-untyped-def]
    from tests.support import ADMIN_ID, ConsentFlow

    await ConsentFlow(client).install(user_id=ADMIN_ID)
    response = await Modal(client, services, qbo).client.get(
        "/modals/create-invoice/101/content",
        headers=Modal(client, services, qbo).headers,
    )
    assert response.status_code == 200
    assert "QuickBooks is not connected yet" in response.text
    assert "invoice-form" not in response.text
