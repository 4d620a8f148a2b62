"""Payments taken off and put back on invoices, a customer's invoices by date, a streamed PDF:
the client's requests and the stand-in's answers."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksNotFound, QuickBooksRejected
from extension.quickbooks.invoice_models import InvoiceDraft, InvoiceLineDraft, PaymentLine
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID
from tests.quickbooks.conftest import Wire

LINE = InvoiceLineDraft(item_id="1", amount=Decimal("300.00"))


async def _invoice(qb: QuickBooksClient, on: date | None = None, customer: str = "1") -> str:
    return (
        await qb.create_invoice(InvoiceDraft(customer_id=customer, lines=(LINE,), txn_date=on))
    ).id


async def _pay(wire: Wire, invoice_id: str, amount: str, total: str | None = None) -> str:
    body = {
        "CustomerRef": {"value": "1"},
        "TotalAmt": float(total or amount),
        "Line": [
            {"Amount": float(amount), "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}
        ],
    }
    response = await wire.post("payment", body)
    assert response.status_code == 200, response.text
    return str(response.json()["Payment"]["Id"])


async def test_taking_a_payment_off_an_invoice_leaves_it_as_credit(
    qb: QuickBooksClient, qbo: QuickBooksStandIn, wire: Wire
) -> None:
    invoice_id = await _invoice(qb)
    payment_id = await _pay(wire, invoice_id, "120.00")
    payment = await qb.get_payment(payment_id)
    assert payment.lines == (PaymentLine(Decimal("120"), ((invoice_id, "Invoice"),)),)
    assert payment.applied_to(invoice_id) == Decimal("120")
    qbo.requests.clear()

    updated = await qb.update_payment_lines(payment, [], sync_token=payment.sync_token)

    [request] = qbo.requests
    assert (request.method, request.path) == ("POST", f"/v3/company/{US_REALM_ID}/payment")
    assert "operation" not in request.query and len(request.query["requestid"]) == 32
    assert json.loads(request.body) == {
        "Id": payment_id, "SyncToken": "0", "sparse": True, "TotalAmt": 120.0, "Line": [],
        "CustomerRef": {"value": "1"},
    }  # fmt: skip
    assert updated.lines == () and updated.unapplied == Decimal("120") and updated.sync_token == "1"
    invoice = await qb.get_invoice(invoice_id)
    assert invoice.balance == Decimal("300") and invoice.linked_payment_ids == ()
    # Put back: the same lines again; the invoice owes 180 once more.
    back = await qb.update_payment_lines(updated, payment.lines, sync_token=updated.sync_token)
    assert back.unapplied == 0 and back.invoice_ids == (invoice_id,)
    assert (await qb.get_invoice(invoice_id)).balance == Decimal("180")


async def test_a_payment_update_is_checked_like_a_new_payment(
    qb: QuickBooksClient, wire: Wire
) -> None:
    invoice_id = await _invoice(qb)
    payment_id = await _pay(wire, invoice_id, "100.00")
    payment = await qb.get_payment(payment_id)
    too_much = [PaymentLine(Decimal("150"), ((invoice_id, "Invoice"),))]
    with pytest.raises(QuickBooksRejected) as refused:
        await qb.update_payment_lines(payment, too_much, sync_token=payment.sync_token)
    assert refused.value.code == "6000"
    with pytest.raises(QuickBooksRejected) as stale:
        await qb.update_payment_lines(payment, [], sync_token="7")
    assert stale.value.is_stale_object
    # Nothing changed on either refusal.
    assert (await qb.get_invoice(invoice_id)).balance == Decimal("200")


async def test_void_and_delete_are_refused_while_a_payment_is_applied(
    qb: QuickBooksClient, wire: Wire
) -> None:
    invoice_id = await _invoice(qb)
    await _pay(wire, invoice_id, "10.00")
    for operation in (qb.void_invoice, qb.delete_invoice):
        with pytest.raises(QuickBooksRejected) as refused:
            await operation(invoice_id)
        assert refused.value.code == "6000" and "payments applied" in refused.value.detail


async def test_a_customers_invoices_by_date(qb: QuickBooksClient, qbo: QuickBooksStandIn) -> None:
    inside = await _invoice(qb, date(2026, 3, 1))
    edge = await _invoice(qb, date(2026, 3, 31))
    await _invoice(qb, date(2026, 4, 1))  # the end is excluded
    await _invoice(qb, date(2026, 3, 15), customer="2")
    qbo.requests.clear()

    found = await qb.customer_invoices("1", first_day=date(2026, 3, 1), end_day=date(2026, 4, 1))

    assert [i.id for i in found] == [edge, inside]  # newest first
    [request] = qbo.requests
    assert request.query["query"] == (
        "SELECT * FROM Invoice WHERE CustomerRef = '1' AND TxnDate >= '2026-03-01' AND "
        "TxnDate < '2026-04-01' ORDERBY TxnDate DESC STARTPOSITION 1 MAXRESULTS 1000"
    )


async def test_a_streamed_pdf_is_the_bytes_quickbooks_sent(
    qb: QuickBooksClient, qbo: QuickBooksStandIn
) -> None:
    invoice_id = await _invoice(qb)
    whole = await qb.invoice_pdf(invoice_id)
    async with qb.invoice_pdf_stream(invoice_id) as chunks:
        streamed = b"".join([chunk async for chunk in chunks])
    assert streamed == whole and streamed.startswith(b"%PDF")
    assert qbo.requests[-1].path.endswith(f"/invoice/{invoice_id}/pdf")


async def test_a_pdf_that_cannot_be_had_raises_before_any_byte(qb: QuickBooksClient) -> None:
    with pytest.raises(QuickBooksNotFound):
        async with qb.invoice_pdf_stream("99999") as chunks:
            async for _ in chunks:
                raise AssertionError("no byte of an error answer is passed on")
