"""Webhook events applied by the event worker: payments, voids and deletes recorded in the
QuickBooks stand-in reach the mirror with a few queries, whatever the number and order of the
notifications; what concerns no deal is ignored; nothing is applied without a good signature."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from extension.invoicing.change_apply import apply_changes
from extension.invoicing.change_plan import ChangePlan
from extension.sandbox.quickbooks.payments import update_payment
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.store.link_models import ContactLink
from extension.store.models import AuditEvent
from tests.live.conftest import (
    api_requests,
    cloud_event,
    deliver,
    events,
    mirrored,
    pay_on_page,
    signature,
    signed_post,
    worker_for,
)
from tests.panel.conftest import AMY, COOL_CARS, Sandbox, status_of
from tests.support import COMPANY_ID

PAGE = "STARTPOSITION 1 MAXRESULTS 1000"


@pytest.mark.parametrize("payload_format", ["cloudevents", "legacy"])
async def test_a_payment_on_the_stand_in_reaches_the_mirror_by_webhook(
    sandbox: Sandbox, payload_format: str
) -> None:
    sandbox.qbo.config.webhook_format = payload_format  # type: ignore[assignment]
    invoice = await sandbox.invoice("1000.00")
    await sandbox.link(invoice.id)
    assert status_of(await sandbox.refresh(), invoice.id) == "open"
    worker = worker_for(sandbox.services)
    await deliver(sandbox)
    await worker.apply_pending()  # the invoice's own Create event: nothing new
    sandbox.qbo.requests.clear()

    await pay_on_page(sandbox, invoice.id, "400")
    await deliver(sandbox)
    stored = [e for e in await events(sandbox) if e.processed_at is None]
    assert {(e.entity_name, e.operation) for e in stored} == {
        ("Payment", "Create"),
        ("Invoice", "Update"),
    }
    assert {e.payload_format for e in stored} == {payload_format}
    assert sandbox.qbo.requests == []  # storing asked QuickBooks nothing

    assert await worker.apply_pending() == 2
    row = await mirrored(sandbox, invoice.id)
    assert row is not None and row.balance == Decimal("600.00")
    assert status_of(await sandbox.content(), invoice.id) == "partially_paid"
    # One query for the payment, one for the invoices it pays (and the one the event names).
    payment_id = next(e.entity_id for e in stored if e.entity_name == "Payment")
    assert api_requests(sandbox) == [
        f"GET query SELECT * FROM Payment WHERE Id IN ('{payment_id}') {PAGE}",
        f"GET query SELECT * FROM Invoice WHERE Id IN ('{invoice.id}') {PAGE}",
    ]
    assert {e.outcome for e in await events(sandbox) if e.id in {s.id for s in stored}} == {
        "applied"
    }

    await pay_on_page(sandbox, invoice.id, "600")
    await deliver(sandbox)
    await worker.apply_pending()
    assert status_of(await sandbox.content(), invoice.id) == "paid"
    row = await mirrored(sandbox, invoice.id)
    assert row is not None and row.balance == Decimal("0")


async def test_duplicate_and_reordered_notifications_change_nothing(sandbox: Sandbox) -> None:
    sandbox.qbo.config.webhooks_enabled = False  # this test sends Intuit's notifications itself
    invoice = await sandbox.invoice("300.00")
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    sandbox.qbo.clock.advance(5)  # QuickBooks' times have whole seconds
    payment = sandbox.pay(invoice.id, "300")
    earlier = cloud_event("Invoice", invoice.id, "updated", "evt-1", time="2026-12-03T10:00:01Z")
    later = cloud_event("Payment", payment["Id"], "created", "evt-2", time="2026-12-03T10:00:02Z")
    client, services = sandbox.client, sandbox.services
    # The later one first, then the earlier one, then both again (Intuit retries a batch).
    for payload in ([later], [earlier], [later, earlier]):
        assert (await signed_post(client, services, payload)).status_code == 200
    assert [(e.entity_name, e.operation) for e in await events(sandbox)] == [
        ("Payment", "Create"),
        ("Invoice", "Update"),
    ]
    worker = worker_for(services)
    sandbox.qbo.requests.clear()
    assert await worker.apply_pending() == 2
    assert len(api_requests(sandbox)) == 2
    row = await mirrored(sandbox, invoice.id)
    assert row is not None and row.balance == Decimal("0")
    paid_at = row.qbo_updated_at
    assert status_of(await sandbox.content(), invoice.id) == "paid"

    # Redelivered after they were applied: nothing stored, nothing read, nothing changed.
    sandbox.qbo.requests.clear()
    assert (await signed_post(client, services, [earlier, later])).status_code == 200
    assert len(await events(sandbox)) == 2
    assert await worker.apply_pending() == 0
    assert sandbox.qbo.requests == []

    # A copy older than the mirror's (a slow read, a late answer) loses to LastUpdatedTime.

    await apply_changes(services, COMPANY_ID, sandbox.qb, ChangePlan(), invoices=[invoice])
    row = await mirrored(sandbox, invoice.id)
    assert row is not None and row.balance == Decimal("0") and row.qbo_updated_at == paid_at
    assert status_of(await sandbox.content(), invoice.id) == "paid"


async def test_a_burst_of_notifications_costs_two_queries(sandbox: Sandbox) -> None:
    sandbox.qbo.config.webhooks_enabled = False
    invoices = [await sandbox.invoice("100.00") for _ in range(25)]
    for invoice in invoices:
        await sandbox.link(invoice.id)
    payments = [sandbox.pay(invoice.id, "40") for invoice in invoices]
    at = "2026-12-03T10:00:00Z"
    payload = [cloud_event("Invoice", i.id, "updated", f"i-{i.id}", time=at) for i in invoices]
    payload += [
        cloud_event("Payment", p["Id"], "created", f"p-{p['Id']}", time=at) for p in payments
    ]
    assert (await signed_post(sandbox.client, sandbox.services, payload)).status_code == 200
    sandbox.qbo.requests.clear()

    assert await worker_for(sandbox.services).apply_pending() == 50
    requests = api_requests(sandbox)
    assert [line.split(" WHERE")[0] for line in requests] == [
        "GET query SELECT * FROM Payment",
        "GET query SELECT * FROM Invoice",
    ]
    assert all(f"'{i.id}'" in requests[1] for i in invoices)
    content = await sandbox.content()
    assert {status_of(content, i.id) for i in invoices} == {"partially_paid"}
    assert {e.outcome for e in await events(sandbox)} == {"applied"}


async def test_what_concerns_no_deal_is_ignored_without_asking_quickbooks(
    sandbox: Sandbox,
) -> None:
    sandbox.qbo.config.webhooks_enabled = False
    unlinked = await sandbox.invoice("50.00")
    at = "2026-12-03T10:00:00Z"
    other_realm = cloud_event("Invoice", "7", "updated", "x-1", time=at)
    other_realm["intuitaccountid"] = "9999999999"
    payload = [
        cloud_event("Invoice", unlinked.id, "updated", "x-2", time=at),
        cloud_event("Item", "5", "updated", "x-3", time=at),
        cloud_event("Customer", AMY, "created", "x-4", time=at),
        cloud_event("Invoice", "not-an-id", "updated", "x-5", time=at),
        other_realm,
    ]
    assert (await signed_post(sandbox.client, sandbox.services, payload)).status_code == 200
    stored = await events(sandbox)
    assert len(stored) == 4  # a realm no company is connected to is not even stored
    sandbox.qbo.requests.clear()
    assert await worker_for(sandbox.services).apply_pending() == 4
    assert sandbox.qbo.requests == []
    assert {e.outcome for e in await events(sandbox)} == {"ignored"}
    assert await mirrored(sandbox, unlinked.id) is None


async def test_a_payment_moved_to_another_invoice_updates_both(sandbox: Sandbox) -> None:

    sandbox.qbo.config.webhooks_enabled = False
    first, second = await sandbox.invoice("100.00"), await sandbox.invoice("100.00")
    await sandbox.link(first.id)
    await sandbox.link(second.id)
    payment = sandbox.pay(first.id, "60")
    assert status_of(await sandbox.refresh(), first.id) == "partially_paid"

    # In QuickBooks the payment now pays the second invoice instead; only the payment's
    # notification says so (the first invoice is named nowhere any more).
    company = sandbox.qbo.companies[US_REALM_ID]
    update_payment(company, {
        "Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True,
        "TotalAmt": Decimal("60"), "CustomerRef": payment["CustomerRef"],
        "Line": [{"Amount": Decimal("60"), "LinkedTxn": [{"TxnId": second.id, "TxnType": "Invoice"}]}],
    })  # fmt: skip
    at = "2026-12-03T10:00:00Z"
    notice = cloud_event("Payment", payment["Id"], "updated", "p-1", time=at)
    assert (await signed_post(sandbox.client, sandbox.services, [notice])).status_code == 200
    sandbox.qbo.requests.clear()

    assert await worker_for(sandbox.services).apply_pending() == 1
    content = await sandbox.content()
    assert status_of(content, first.id) == "open"
    assert status_of(content, second.id) == "partially_paid"
    assert api_requests(sandbox) == [
        f"GET query SELECT * FROM Payment WHERE Id IN ('{payment['Id']}') {PAGE}",
        f"GET query SELECT * FROM Invoice WHERE Id IN ('{first.id}', '{second.id}') {PAGE}",
    ]

    # Then the payment is deleted (taken off first, as QuickBooks asks): the invoice it paid
    # is read again without asking for the payment.
    company = sandbox.qbo.companies[US_REALM_ID]
    stored = company.get("Payment", payment["Id"])
    assert stored is not None
    update_payment(company, {"Id": payment["Id"], "SyncToken": stored["SyncToken"], "sparse": True,
                             "TotalAmt": Decimal("60"), "Line": []})  # fmt: skip
    deleted = cloud_event("Payment", payment["Id"], "deleted", "p-2", time=at)
    assert (await signed_post(sandbox.client, sandbox.services, [deleted])).status_code == 200
    sandbox.qbo.requests.clear()
    assert await worker_for(sandbox.services).apply_pending() == 1
    assert status_of(await sandbox.content(), second.id) == "open"
    assert api_requests(sandbox) == [
        f"GET query SELECT * FROM Invoice WHERE Id IN ('{second.id}') {PAGE}"
    ]


async def test_a_customer_merge_moves_its_contacts_and_invoices(sandbox: Sandbox) -> None:

    sandbox.qbo.config.webhooks_enabled = False
    await sandbox.link_contact(COOL_CARS)  # the deal's organization bills Cool Cars
    invoice = await sandbox.invoice("80.00", customer=COOL_CARS)
    await sandbox.link(invoice.id)
    await sandbox.refresh()

    # In QuickBooks, Cool Cars is merged into Amy's Bird Sanctuary: its transactions move
    # there and it is made inactive (QuickBooks never deletes a customer).
    company = sandbox.qbo.companies[US_REALM_ID]
    record = company.get("Invoice", invoice.id)
    merged = company.get("Customer", COOL_CARS)
    assert record is not None and merged is not None
    record["CustomerRef"] = {"value": AMY, "name": "Amy's Bird Sanctuary"}
    company.touch("Invoice", record)
    merged["Active"] = False
    notice = cloud_event(
        "Customer", AMY, "merged", "m-1", time="2026-12-03T10:00:00Z", data={"deletedid": COOL_CARS}
    )
    assert (await signed_post(sandbox.client, sandbox.services, [notice])).status_code == 200
    sandbox.qbo.requests.clear()

    assert await worker_for(sandbox.services).apply_pending() == 1
    async with sandbox.db() as session:
        links = list(await session.scalars(select(ContactLink)))
        audit = list(
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "contact.customer_merged")
            )
        )
    assert [(link.contact_id, link.customer_id, link.customer_name) for link in links] == [
        (201, AMY, "Amy's Bird Sanctuary")
    ]
    assert len(audit) == 1 and audit[0].user_id is None
    assert audit[0].detail == {"merged_customer_id": COOL_CARS, "customer_id": AMY, "contacts": 1}
    row = await mirrored(sandbox, invoice.id)
    assert row is not None and row.customer_id == AMY
    assert api_requests(sandbox) == [
        f"GET query SELECT * FROM Customer WHERE Id IN ('{AMY}') {PAGE}",
        f"GET query SELECT * FROM Invoice WHERE Id IN ('{invoice.id}') {PAGE}",
    ]
    assert [e.outcome for e in await events(sandbox)] == ["applied"]


async def test_void_and_delete_on_the_stand_in_reach_the_mirror(sandbox: Sandbox) -> None:
    voided, deleted, paid = [await sandbox.invoice("70.00") for _ in range(3)]
    for invoice in (voided, deleted, paid):
        await sandbox.link(invoice.id)
    sandbox.pay(paid.id, "70")
    await sandbox.refresh()
    worker = worker_for(sandbox.services)
    await deliver(sandbox)
    await worker.apply_pending()
    sandbox.qbo.requests.clear()

    page = "/sandbox/quickbooks/app/invoice"
    for action, invoice in (("void", voided), ("delete", deleted)):
        answer = await sandbox.client.post(
            f"{page}/{action}", data={"realm_id": US_REALM_ID, "txn_id": invoice.id}
        )
        assert answer.status_code == 303
        assert answer.headers["location"].endswith(f"txnId={invoice.id}")
    await deliver(sandbox)
    assert await worker.apply_pending() == 2
    content = await sandbox.content()
    assert status_of(content, voided.id) == "voided"
    assert status_of(content, deleted.id) == "deleted"
    # The deleted one needs no read: QuickBooks deletes for good.
    assert api_requests(sandbox) == [
        f"GET query SELECT * FROM Invoice WHERE Id IN ('{voided.id}') {PAGE}"
    ]

    # A paid invoice cannot be voided there either (QuickBooks asks for its payments to be
    # taken off first): the page says why, and no webhook leaves.
    before = len(sandbox.qbo.companies[US_REALM_ID].changes)
    refused = await sandbox.client.post(
        f"{page}/void", data={"realm_id": US_REALM_ID, "txn_id": paid.id}
    )
    assert refused.status_code == 422
    assert "payment" in refused.text.lower()
    assert len(sandbox.qbo.companies[US_REALM_ID].changes) == before
    shown = await sandbox.client.get(f"{page}?txnId={deleted.id}")
    assert shown.status_code == 200 and "was deleted" in shown.text


async def test_a_bad_signature_applies_nothing(sandbox: Sandbox) -> None:

    sandbox.qbo.config.webhooks_enabled = False
    invoice = await sandbox.invoice("90.00")
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    sandbox.pay(invoice.id, "90")
    body = json.dumps(
        [cloud_event("Invoice", invoice.id, "updated", "b-1", time="2026-12-03T10:00:00Z")]
    ).encode()
    forged = body.replace(b'"b-1"', b'"b-2"')
    answers = [
        await sandbox.client.post("/quickbooks/webhooks", content=forged,
                                  headers={"intuit-signature": signature(sandbox.services, body)}),
        await sandbox.client.post("/quickbooks/webhooks", content=body),
    ]  # fmt: skip
    assert [a.status_code for a in answers] == [401, 401]
    assert await events(sandbox) == []
    sandbox.qbo.requests.clear()
    assert await worker_for(sandbox.services).apply_pending() == 0
    assert sandbox.qbo.requests == []
    assert status_of(await sandbox.content(), invoice.id) == "open"
