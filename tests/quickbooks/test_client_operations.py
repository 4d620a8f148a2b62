"""The client against the stand-in in-process: every operation, and what went over the wire."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from extension.quickbooks.bulk import BatchOperation
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksNotFound, QuickBooksRejected
from extension.quickbooks.invoice_models import (
    Invoice,
    InvoiceChanges,
    InvoiceDraft,
    InvoiceLineDraft,
)
from extension.quickbooks.models import Customer, CustomerDraft
from extension.quickbooks.query import Query
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID

LINE = InvoiceLineDraft(item_id="1", amount=Decimal("250.50"), qty=Decimal("2.5"),
                        unit_price=Decimal("100.20"), description="Consulting")  # fmt: skip


def draft(**kwargs: object) -> InvoiceDraft:
    return InvoiceDraft(customer_id="1", lines=(LINE,), **kwargs)  # type: ignore[arg-type]


async def test_lists_for_the_settings_page(qb: QuickBooksClient, qbo: QuickBooksStandIn) -> None:
    company = await qb.get_company_info()
    prefs = await qb.get_preferences()
    accounts = await qb.list_income_accounts()
    codes = await qb.list_tax_codes()
    terms = await qb.list_terms()
    rates = await qb.list_tax_rates()
    assert company.company_name == "Sandbox Company_US_1" and company.country == "US"
    assert prefs.home_currency == "USD" and not prefs.custom_txn_numbers
    assert {a.name for a in accounts} == {"Services", "Sales of Product Income", "Design income"}
    assert {c.id for c in codes} >= {"TAX", "NON", "2"}
    assert [t.due_days for t in terms] == [0, 15, 30, 60]
    assert Decimal("8") in {r.rate_value for r in rates}
    for request in qbo.requests:
        assert request.query["minorversion"] == "75"
        assert request.authorization.startswith("Bearer eyJ")
        assert request.path.startswith(f"/v3/company/{US_REALM_ID}/")
        assert "requestid" not in request.query  # reads carry none


async def test_create_invoice_sends_one_requestid_and_reads_back_money_as_decimal(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    invoice = await qb.create_invoice(draft(bill_email="birds@intuit.example"))
    [write] = [r for r in qbo.requests if r.method == "POST"]
    assert write.path == f"/v3/company/{US_REALM_ID}/invoice"
    assert len(write.query["requestid"]) == 32 and write.query["minorversion"] == "75"
    assert write.content_type == "application/json"
    assert b'"Amount":250.50' in write.body and b'"UnitPrice":100.2' in write.body
    assert invoice.total == Decimal("250.50") and isinstance(invoice.total, Decimal)
    assert invoice.balance == invoice.total
    assert invoice.doc_number == "1001"  # auto-numbered: custom numbers are off
    assert invoice.customer is not None and invoice.customer.name == "Amy's Bird Sanctuary"
    assert [line.detail_type for line in invoice.lines] == [
        "SalesItemLineDetail",
        "SubTotalLineDetail",
    ]
    assert invoice.due_date is not None and invoice.txn_date is not None
    assert invoice.due_date - invoice.txn_date == timedelta(days=30)  # default terms Net 30


async def test_query_escapes_apostrophes_and_pages(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    found = await qb.query(
        Customer, Query("Customer").where("DisplayName", "=", "Amy's Bird Sanctuary")
    )
    assert [c.id for c in found.items] == ["1"]
    assert "DisplayName = 'Amy\\'s Bird Sanctuary'" in qbo.requests[-1].query["query"]
    page = await qb.query(Customer, Query("Customer").ordered_by("DisplayName").page(2, 1))
    assert [c.display_name for c in page.items] == ["Cool Cars"]
    empty = await qb.query(Customer, Query("Customer").where("DisplayName", "=", "Nobody"))
    assert empty.items == []
    assert await qb.count(Query("Customer")) == 3
    assert [c.display_name for c in await qb.find_customers("Maple")] == ["Maple Leaf Imports"]


async def test_many_invoices_in_one_call(qb: QuickBooksClient, qbo: QuickBooksStandIn) -> None:
    ids = [(await qb.create_invoice(draft())).id for _ in range(3)]
    before = len(qbo.requests)
    invoices = await qb.get_invoices(ids)
    assert sorted(i.id for i in invoices) == sorted(ids)
    assert len(qbo.requests) == before + 1
    assert "Id IN (" in qbo.requests[-1].query["query"]


async def test_sparse_update_retries_once_after_a_stale_sync_token(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    invoice = await qb.create_invoice(draft())
    await qb.update_invoice(invoice.id, InvoiceChanges(private_note="first"))
    updated = await qb.update_invoice(
        invoice.id, InvoiceChanges(private_note="second"), sync_token=invoice.sync_token
    )
    assert updated.private_note == "second" and updated.sync_token == "2"
    posts = [r for r in qbo.requests if r.method == "POST"]
    assert len({r.query["requestid"] for r in posts}) == len(posts)  # each write its own id
    assert b'"sparse":true' in posts[-1].body


async def test_void_zeroes_and_delete_reads_back_as_610(qb: QuickBooksClient) -> None:
    invoice = await qb.create_invoice(draft(private_note="deal 42"))
    voided = await qb.void_invoice(invoice.id)
    assert voided.total == 0 and voided.balance == 0 and voided.looks_voided
    assert voided.private_note == "Voided - deal 42"
    other = await qb.create_invoice(draft())
    await qb.delete_invoice(other.id)
    with pytest.raises(QuickBooksNotFound) as caught:
        await qb.get_invoice(other.id)
    assert caught.value.code == "610" and caught.value.fault_type == "ValidationFault"


async def test_business_rules_come_back_as_rejections(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    bad_amount = InvoiceLineDraft(
        item_id="1", amount=Decimal("10"), qty=Decimal("2"), unit_price=Decimal("4")
    )
    with pytest.raises(QuickBooksRejected) as caught:
        await qb.create_invoice(InvoiceDraft(customer_id="1", lines=(bad_amount,)))
    assert caught.value.code == "6070" and "Supplied value:10" in caught.value.detail
    with pytest.raises(QuickBooksRejected) as caught:
        await qb.create_invoice(InvoiceDraft(customer_id="3", lines=(LINE,), currency_code="USD"))
    assert caught.value.code == "6000" and caught.value.element == "CurrencyRef"
    with pytest.raises(QuickBooksRejected) as caught:
        await qb.create_customer(CustomerDraft(display_name="amy's bird sanctuary"))
    assert caught.value.code == "6240"
    qbo.companies[US_REALM_ID].set_pref("SalesFormsPrefs", "CustomTxnNumbers", True)
    await qb.create_invoice(draft(doc_number="PD-42"))
    with pytest.raises(QuickBooksRejected) as caught:
        await qb.create_invoice(draft(doc_number="PD-42"))
    assert caught.value.code == "6140" and "DocNumber=PD-42" in caught.value.detail


async def test_pdf_send_and_link(qb: QuickBooksClient, qbo: QuickBooksStandIn) -> None:
    invoice = await qb.create_invoice(draft(allow_online_payment=True))
    pdf = await qb.invoice_pdf(invoice.id)
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert qbo.requests[-1].path.endswith(f"/invoice/{invoice.id}/pdf")
    assert await qb.invoice_link(invoice.id) is None  # online payments off, no BillEmail
    sent = await qb.send_invoice(invoice.id, to="owner@birds.example")
    assert sent.email_status == "EmailSent" and sent.bill_email == "owner@birds.example"
    assert qbo.requests[-1].query["sendTo"] == "owner@birds.example"
    assert await qb.invoice_link(invoice.id) is None  # still off at company level
    qbo.companies[US_REALM_ID].set_pref("SalesFormsPrefs", "ETransactionPaymentEnabled", True)
    link = await qb.invoice_link(invoice.id)
    assert link is not None and link.startswith("https://")
    assert qbo.requests[-1].query["include"] == "invoiceLink"


async def test_batch_reports_each_item(qb: QuickBooksClient) -> None:
    invoice = await qb.create_invoice(draft())
    results = await qb.batch(
        [
            BatchOperation("b1", "create", "Customer", {"DisplayName": "Batch Buyer"}),
            BatchOperation("b2", "create", "Customer", {"DisplayName": "Cool Cars"}),
            BatchOperation("b3", "delete", "Invoice", {"Id": invoice.id, "SyncToken": "0"}),
            BatchOperation(
                "b4", "query", query="select * from Customer where DisplayName = 'Cool Cars'"
            ),
        ]
    )
    by_bid = {r.bid: r for r in results}
    assert isinstance(by_bid["b1"].entity, Customer) and by_bid["b1"].ok
    assert by_bid["b2"].error is not None and by_bid["b2"].error.code == "6240"
    assert by_bid["b3"].deleted is not None and by_bid["b3"].deleted.id == invoice.id
    assert [c.id for c in by_bid["b4"].query_results] == ["2"]  # type: ignore[attr-defined]


async def test_change_data_capture_lists_changes_and_deletions(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    since = qbo.clock.now() - timedelta(seconds=1)
    kept = await qb.create_invoice(draft())
    gone = await qb.create_invoice(draft())
    await qb.delete_invoice(gone.id)
    changes = await qb.change_data_capture(["Invoice", "Customer"], since)
    assert [i.id for i in changes.of("Invoice")] == [kept.id]
    assert [(d.entity, d.id) for d in changes.deleted] == [("Invoice", gone.id)]
    assert changes.of("Customer") == []


async def test_money_goes_out_as_exact_decimals(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    """Amounts in cents, unit prices with the item's own precision, never through float."""
    lines = (
        InvoiceLineDraft(
            item_id="2", amount=Decimal("75"), qty=Decimal("3"), unit_price=Decimal("25")
        ),
        InvoiceLineDraft(
            item_id="2",
            amount=Decimal("0.37"),
            qty=Decimal("3"),
            unit_price=Decimal("0.1234567"),  # a seven-place unit price QuickBooks keeps
        ),
        InvoiceLineDraft(
            item_id="2",
            amount=Decimal("12345678901234.57"),  # 16 digits: float would round it
            qty=Decimal("1"),
            unit_price=Decimal("12345678901234.57"),
        ),
    )
    invoice = await qb.create_invoice(InvoiceDraft(customer_id="1", lines=lines))
    assert invoice.total == Decimal("12345678901309.94")
    [write] = [r for r in qbo.requests if r.method == "POST"]
    body = write.body
    assert b'"Amount":75.00,' in body
    assert b'"UnitPrice":25,' in body or b'"UnitPrice":25}' in body
    assert b'"Amount":0.37,' in body and b'"UnitPrice":0.1234567' in body
    assert b'"Amount":12345678901234.57,' in body
    assert b"e+" not in body.lower() and b"0.12345670000" not in body


@pytest.mark.parametrize("entity_id", ["1/../2", "1?x=1", "²", "", "1 OR 1"])
async def test_quickbooks_ids_are_checked_before_they_enter_a_url(
    entity_id: str, qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    with pytest.raises(ValueError):
        await qb.read(Invoice, entity_id)
    with pytest.raises(ValueError):
        await qb.invoice_pdf(entity_id)
    assert qbo.requests == []


async def test_last_updated_times_are_read_as_instants(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    invoice = await qb.create_invoice(draft())
    assert invoice.updated_at is not None and invoice.updated_at.utcoffset() is not None
    assert abs((invoice.updated_at - qbo.clock.now()).total_seconds()) < 5
    # the same instant written in two offsets, as QBO does across a DST change
    summer = Invoice.from_api({"MetaData": {"LastUpdatedTime": "2026-03-08T03:30:00-07:00"}})
    winter = Invoice.from_api({"MetaData": {"LastUpdatedTime": "2026-03-08T02:30:00-08:00"}})
    assert summer.updated_at == winter.updated_at


async def test_a_customer_without_display_name_gets_the_derived_one(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    customer = await qb.create_customer(
        CustomerDraft(display_name="", given_name="Ada", family_name="Lovelace")
    )
    assert customer.display_name == "Ada Lovelace"
    assert b"DisplayName" not in qbo.requests[-1].body
