"""Posting: the exact requests QuickBooks receives, and the database after the act."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from extension.quickbooks.wire import decode_json
from extension.sandbox.quickbooks.seed import GLOBAL_REALM_ID, US_REALM_ID
from extension.services import Services
from extension.store.invoice_models import CreateAttempt, MirroredInvoice
from extension.store.link_models import ContactLink, DealInvoiceLink, ProductLink
from extension.store.models import AuditEvent
from tests.create.conftest import Form, Modal, open_form
from tests.support import ADMIN_ID, COMPANY_ID, connect_through_consent

D = Decimal
DEAL_URL = "http://127.0.0.1:8000/sandbox/pipedrive/company/northwind-sandbox/deal/{}"


def body(request: Any) -> Any:
    return decode_json(request.body)


def posts(modal: Modal, entity: str) -> list[Any]:
    return [r for r in modal.qbo.requests if r.method == "POST" and r.path.endswith(f"/{entity}")]


async def _attempt(services: Services) -> CreateAttempt:
    async with services.sessionmaker() as session:
        attempt = await session.scalar(select(CreateAttempt))
    assert attempt is not None
    return attempt


async def test_a_us_invoice_goes_out_exactly_as_built_and_is_linked_mirrored_and_audited(
    modal: Modal, services: Services
) -> None:
    form = await open_form(modal, 101)
    request_id = (await _attempt(services)).request_id
    linked = await form.link_customer(
        "new", **{"new_customer-name": "Acme Corporation", "new_customer-currency": "USD"}
    )
    assert linked.status_code == 200, linked.text
    await form.link_all_lines("1")
    today = datetime.now(ZoneInfo("America/Los_Angeles")).date()
    fields = form.fields
    response = await form.submit()
    assert response.status_code == 200, response.text
    page = BeautifulSoup(response.text, "html.parser")
    created = page.select_one("#created")
    assert created is not None and created.select_one("[data-total]").get_text() == "$13,800.00"

    [customer_post] = posts(modal, "customer")
    assert body(customer_post) == {
        "DisplayName": "Acme Corporation",
        "CompanyName": "Acme Corporation",
        "PrimaryEmailAddr": {"Address": "alice@acme.example"},
        "BillAddr": {
            "Line1": "100 Main Street",
            "City": "Springfield",
            "CountrySubDivisionCode": "Illinois",
            "PostalCode": "62701",
            "Country": "United States",
        },
    }
    assert len(customer_post.query["requestid"]) == 32
    customer_id = fields["customer-customer_id"]
    [invoice_post] = posts(modal, "invoice")
    assert invoice_post.query["requestid"] == request_id  # stored when the modal opened
    assert body(invoice_post) == {
        "CustomerRef": {"value": customer_id},
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": D("9000.00"),
                "Description": "Design of a responsive website, up to 12 page templates.\n"
                "List price $10,000.00, 10% discount.",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "1"},
                    "Qty": D("1"),
                    "UnitPrice": D("9000.00"),
                    "TaxCodeRef": {"value": "TAX"},
                },
            },
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": D("3500.00"),
                "Description": "Managed hosting with daily backups.",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "1"},
                    "Qty": D("14"),
                    "UnitPrice": D("250.00"),
                    "TaxCodeRef": {"value": "TAX"},
                },
            },
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": D("300.00"),
                "Description": "Remote support, billed per started hour.\n"
                "List price $110.00, $30.00 off the line.",
                "SalesItemLineDetail": {
                    "ItemRef": {"value": "1"},
                    "Qty": D("3"),
                    "UnitPrice": D("100.00"),
                    "TaxCodeRef": {"value": "NON"},
                },
            },
        ],
        "TxnDate": today.isoformat(),
        "DueDate": fields["details-due_date"],
        "SalesTermRef": {"value": "3"},
        "CurrencyRef": {"value": "USD"},
        "BillEmail": {"Address": "alice@acme.example"},
        "PrivateNote": "Website redesign\n" + DEAL_URL.format(101),
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
        "BillAddr": {
            "Line1": "100 Main Street",
            "City": "Springfield",
            "CountrySubDivisionCode": "Illinois",
            "PostalCode": "62701",
            "Country": "United States",
        },
    }
    # QuickBooks' total is what the deal's products add up to in Pipedrive, to the cent.
    [stored] = modal.qbo.company(US_REALM_ID).table("Invoice").values()
    assert stored["TotalAmt"] == D("13800.00")

    async with services.sessionmaker() as session:
        attempt = await session.scalar(select(CreateAttempt))
        link = await session.scalar(select(DealInvoiceLink))
        mirrored = await session.scalar(select(MirroredInvoice))
        contact = await session.scalar(select(ContactLink))
        products = (await session.scalars(select(ProductLink))).all()
        actions = [e.action for e in await session.scalars(select(AuditEvent))]
    assert attempt is not None and attempt.state == "posted"
    assert attempt.invoice_id == stored["Id"] and attempt.request_id == request_id
    assert link is not None and (link.deal_id, link.invoice_id, link.origin) == (
        101,
        stored["Id"],
        "created",
    )
    assert mirrored is not None and (mirrored.total, mirrored.balance) == (D("13800.00"),) * 2
    assert (mirrored.customer_name, mirrored.doc_number) == ("Acme Corporation", "1001")
    assert contact is not None and (contact.contact_kind, contact.contact_id) == (
        "organization",
        201,
    )
    assert contact.customer_id == customer_id
    assert sorted((p.product_id, p.item_id) for p in products) == [
        (401, "1"),
        (402, "1"),
        (403, "1"),
    ]
    for action in ("customer.created", "contact.linked", "product.linked", "invoice.created"):
        assert action in actions
    assert actions.count("invoice.linked") == 1


async def _linked_form(modal: Modal, deal_id: int, customer: str = "customer:1") -> Form:
    form = await open_form(modal, deal_id)
    linked = await form.link_customer(customer)
    assert linked.status_code == 200, linked.text
    await form.link_all_lines("1")
    return form


async def test_update_customer_details_is_a_sparse_update_just_before_the_invoice(
    modal: Modal,
) -> None:
    form = await _linked_form(modal, 101)  # Amy's Bird Sanctuary: other email and address
    response = await form.submit()
    assert response.status_code == 200, response.text
    writes = [r for r in modal.qbo.requests if r.method == "POST"]
    assert [w.path.rsplit("/", 1)[-1] for w in writes] == ["customer", "invoice"]
    assert body(writes[0]) == {
        "Id": "1",
        "SyncToken": "0",
        "sparse": True,
        "BillAddr": {
            "Line1": "100 Main Street",
            "City": "Springfield",
            "CountrySubDivisionCode": "Illinois",
            "PostalCode": "62701",
            "Country": "United States",
        },
        "PrimaryEmailAddr": {"Address": "alice@acme.example"},
    }
    customer = modal.qbo.company(US_REALM_ID).get("Customer", "1")
    assert customer is not None and customer["PrimaryEmailAddr"]["Address"] == "alice@acme.example"
    assert customer["GivenName"] == "Amy"  # sparse: nothing else was touched


async def test_without_the_update_the_invoice_still_carries_this_address_and_email(
    modal: Modal,
) -> None:
    form = await _linked_form(modal, 101)
    fields = {k: v for k, v in form.fields.items() if k != "customer-update_customer"}
    response = await modal.submit(101, {**fields, "customer-email": "ap@acme.example"})
    assert response.status_code == 200, response.text
    assert posts(modal, "customer") == []
    [invoice] = posts(modal, "invoice")
    assert body(invoice)["BillEmail"] == {"Address": "ap@acme.example"}
    assert body(invoice)["BillAddr"]["Line1"] == "100 Main Street"
    customer = modal.qbo.company(US_REALM_ID).get("Customer", "1")
    assert customer is not None
    assert customer["PrimaryEmailAddr"]["Address"] == "birds@intuit.example"


async def test_a_recurring_line_bills_its_first_period_with_a_service_date(
    modal: Modal,
) -> None:
    form = await _linked_form(modal, 105)
    response = await form.submit()
    assert response.status_code == 200, response.text
    [invoice] = posts(modal, "invoice")
    [line] = body(invoice)["Line"]
    assert line["Amount"] == D("90.00")
    assert line["SalesItemLineDetail"]["ServiceDate"] == "2026-01-01"
    assert line["Description"] == (
        "Monthly delivery of wild bird seed.\n"
        "Billed monthly: this invoice is for the first of 12 periods."
    )
    assert "TxnTaxDetail" not in body(invoice)  # nothing taxable: no sales tax rate needed


@pytest.fixture
async def uk_modal(client, services: Services, qbo) -> Modal:  # type: ignore[no-untyped-def]
    from tests.support import ConsentFlow, SleepRecorder

    SleepRecorder().install(services)
    await ConsentFlow(client).install(user_id=ADMIN_ID)
    connected = await connect_through_consent(
        client, services, company_id=COMPANY_ID, user_id=ADMIN_ID, realm_id=GLOBAL_REALM_ID
    )
    assert connected.status_code == 200
    qbo.requests.clear()
    return Modal(client, services, qbo)


@pytest.mark.parametrize(
    ("method", "calculation", "lines"),
    [
        (
            "exclusive",
            "TaxExcluded",
            [(D("7980.00"), D("24"), D("332.50"), None), (D("720.00"), D("8"), D("90.00"), None)],
        ),
        (
            "inclusive",
            "TaxInclusive",
            [
                (D("6650.00"), D("24"), D("277.0833"), D("7980.00")),
                (D("600.00"), D("8"), D("75.00"), D("720.00")),
            ],
        ),
    ],
)
async def test_a_uk_invoice_gives_every_line_a_tax_code_and_says_how_prices_relate_to_tax(
    uk_modal: Modal, method: str, calculation: str, lines: list[tuple[Any, ...]]
) -> None:
    form = await open_form(uk_modal, 108)
    assert form.fields["lines-0-tax_code_id"] == "3"  # the 20% code, matched by rate
    form.page.select_one("#customer-tax_id")["value"] = "GB123456789"  # type: ignore[index]
    linked = await form.link_customer(
        "new", **{"new_customer-name": "Brightwell Ltd", "new_customer-currency": "GBP"}
    )
    assert linked.status_code == 200, linked.text
    [customer] = posts(uk_modal, "customer")
    assert body(customer)["PrimaryTaxIdentifier"] == "GB123456789"  # a UK company has it
    assert "CurrencyRef" not in body(customer)  # the home currency needs none
    await form.link_all_lines("2")
    response = await form.submit(**{"details-tax_method": method})
    assert response.status_code == 200, response.text
    [invoice] = posts(uk_modal, "invoice")
    sent = body(invoice)
    assert sent["GlobalTaxCalculation"] == calculation
    assert sent["CurrencyRef"] == {"value": "GBP"}
    assert "TxnTaxDetail" not in sent
    for line, (amount, qty, price, gross) in zip(sent["Line"], lines, strict=True):
        detail = line["SalesItemLineDetail"]
        assert (line["Amount"], detail["Qty"], detail["UnitPrice"]) == (amount, qty, price)
        assert detail["TaxCodeRef"] == {"value": "3"}
        assert detail.get("TaxInclusiveAmt") == gross
    [stored] = uk_modal.qbo.company(GLOBAL_REALM_ID).table("Invoice").values()
    # Exclusive: Pipedrive's sum with 20% on top; inclusive: the grosses as Pipedrive holds them.
    assert stored["TotalAmt"] == (D("10440.00") if method == "exclusive" else D("8700.00"))


async def test_send_now_emails_the_invoice_once_and_the_pdf_downloads(
    modal: Modal, services: Services
) -> None:
    import asyncio

    form = await _linked_form(modal, 105)
    created = BeautifulSoup((await form.submit()).text, "html.parser")
    send = created.select_one("#created button[hx-post]")
    assert send is not None and send.get_text(strip=True) == "Send now"
    assert send["hx-confirm"] == "Email invoice 1001 to birds@intuit.example?"
    vals = json.loads(str(send["hx-vals"]))
    assert vals == {"sent": ""}  # the page shows a never-sent invoice
    first, second = await asyncio.gather(
        modal.client.post(str(send["hx-post"]), data=vals, headers=modal.headers),
        modal.client.post(str(send["hx-post"]), data=vals, headers=modal.headers),
    )
    # A third click on the same page after both answered: still the same send.
    late = await modal.client.post(str(send["hx-post"]), data=vals, headers=modal.headers)
    assert first.status_code == second.status_code == late.status_code == 200
    assert 'data-emailed="true"' in first.text
    sends = [r for r in modal.qbo.requests if r.path.endswith("/send")]
    assert len(sends) == 3 and len({s.query["requestid"] for s in sends}) == 1
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None and company.emails_sent == 1  # a double click emails once
    async with services.sessionmaker() as session:
        mirrored = await session.scalar(select(MirroredInvoice))
    assert mirrored is not None and mirrored.email_status == "EmailSent"
    resend = BeautifulSoup(late.text, "html.parser").select_one("#created button[hx-post]")
    assert resend is not None and resend.get_text(strip=True) == "Send again"
    resend_vals = json.loads(str(resend["hx-vals"]))
    assert resend_vals["sent"] != ""  # the page now shows when QuickBooks sent it
    modal.qbo.clock.advance(60)
    again = await modal.client.post(str(resend["hx-post"]), data=resend_vals, headers=modal.headers)
    assert again.status_code == 200
    assert company.emails_sent == 2  # "Send again" from the page after the send is a new send

    download = created.select_one("[data-download]")
    assert download is not None and download["data-download-name"] == "invoice-1001.pdf"
    pdf = await modal.client.get(str(download["data-download"]), headers=modal.headers)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == 'attachment; filename="invoice-1001.pdf"'


async def test_with_automated_sales_tax_lines_say_taxable_and_quickbooks_computes_the_tax(
    modal: Modal,
) -> None:
    company = modal.qbo.company(US_REALM_ID)
    assert company is not None
    company.set_pref("TaxPrefs", "PartnerTaxEnabled", True)
    form = await open_form(modal, 101)
    assert form.page.select_one("#details-sales_tax_code_id") is None  # no rate to choose
    note = form.page.select_one("#summary .summary__note")
    assert note is not None and "QuickBooks calculates the sales tax" in note.get_text()
    total = form.page.select_one("#summary [data-total]")
    assert total is not None and total.get_text() == "$12,800.00 + tax"
    assert (await form.link_customer("customer:2")).status_code == 200
    await form.link_all_lines()
    response = await form.submit()
    assert response.status_code == 200, response.text
    [invoice] = posts(modal, "invoice")
    sent = body(invoice)
    assert "TxnTaxDetail" not in sent and "GlobalTaxCalculation" not in sent
    codes = [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in sent["Line"]]
    assert codes == ["TAX", "TAX", "NON"]
