"""Every invoice action: the exact requests QuickBooks receives, what the row becomes, the
snackbar, the audit trail; void and delete of invoices with payments, and their undo."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksUnavailable
from extension.sandbox.quickbooks.pdf import invoice_pdf
from extension.sandbox.quickbooks.rules import update_invoice as qbo_update
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.state import InjectedFault
from extension.store.deal_links import links_for_invoices
from extension.store.invoice_mirror import mirrored_invoices
from extension.store.models import AuditEvent
from tests.panel.conftest import DEAL, Sandbox, row, soup, status_of
from tests.support import COMPANY_ID

BASE = f"/v3/company/{US_REALM_ID}"


def _snackbar(response: Any) -> str:
    return str(json.loads(response.headers["HX-Trigger"])["app:snackbar"]["message"])


def _body(request: Any) -> dict[str, Any]:
    return dict(json.loads(request.body, parse_float=Decimal))


async def _audit(sandbox: Sandbox) -> list[tuple[str, dict[str, Any]]]:
    async with sandbox.db() as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.detail).order_by(AuditEvent.id)
        )
    return [(action, dict(detail or {})) for action, detail in rows]


async def _linked(sandbox: Sandbox, amount: str = "100.00", **kwargs: Any) -> str:
    invoice = await sandbox.invoice(amount, **kwargs)
    await sandbox.link(invoice.id)
    await sandbox.refresh()
    sandbox.qbo.requests.clear()
    return invoice.id


async def test_pdf_bytes_pass_through_with_the_invoice_number_in_the_name(
    sandbox: Sandbox,
) -> None:
    invoice_id = await _linked(sandbox, number="INV/2026-7")
    listing = await sandbox.content()
    href = str(row(listing, invoice_id).select_one("[data-action=pdf]")["href"])  # type: ignore[index]

    response = await sandbox.client.get(href)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Invoice-INV-2026-7.pdf\"; filename*=UTF-8''Invoice-INV-2026-7.pdf"
    )
    company = sandbox.qbo.companies[US_REALM_ID]
    expected = invoice_pdf(company.company_info["CompanyName"], sandbox.stored(invoice_id))  # type: ignore[arg-type]
    assert response.content == expected and response.content.startswith(b"%PDF")
    [request] = sandbox.qbo.requests
    assert (request.method, request.path) == ("GET", f"{BASE}/invoice/{invoice_id}/pdf")
    assert ("invoice.pdf_downloaded", {"invoice_id": invoice_id, "deal_id": DEAL}) in await _audit(
        sandbox
    )


async def test_a_pdf_file_name_keeps_any_number_safe(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox, number="Счёт/7")
    listing = await sandbox.content()
    href = str(row(listing, invoice_id).select_one("[data-action=pdf]")["href"])  # type: ignore[index]
    response = await sandbox.client.get(href)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="Invoice-____-7.pdf"; '
        "filename*=UTF-8''Invoice-%D0%A1%D1%87%D1%91%D1%82-7.pdf"
    )


async def test_a_pdf_link_works_only_as_signed(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox)
    other_id = await _linked(sandbox)
    listing = await sandbox.content()
    href = str(row(listing, invoice_id).select_one("[data-action=pdf]")["href"])  # type: ignore[index]
    token = parse_qs(urlsplit(href).query)["t"][0]
    tampered = await sandbox.client.get(href.replace(token, token[:-2] + "xy"))
    assert tampered.status_code == 401
    elsewhere = await sandbox.client.get(f"/deals/{DEAL}/invoices/{other_id}/pdf?t={token}")
    assert elsewhere.status_code == 404
    bare = await sandbox.client.get(f"/deals/{DEAL}/invoices/{invoice_id}/pdf")
    assert bare.status_code == 401
    assert sandbox.qbo.requests == []


async def test_send_emails_the_confirmed_address_and_the_row_says_so(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox, email="ap@acme.example")
    listing = await sandbox.content()
    button = row(listing, invoice_id).select_one("[data-action=send]")
    assert button is not None
    assert button["hx-confirm"] == "Email invoice 1001 to ap@acme.example?"
    vals = json.loads(str(button["hx-vals"]))
    assert vals == {"view": "panel", "to": "ap@acme.example", "sent": ""}

    sent = await sandbox.act("send", invoice_id, **vals)
    # A second click on the same panel (after the first answered) is the same send.
    twice = await sandbox.act("send", invoice_id, **vals)

    assert sent.status_code == twice.status_code == 200
    request, replay = sandbox.qbo.requests
    assert replay.query["requestid"] == request.query["requestid"]
    company = sandbox.qbo.company(US_REALM_ID)
    assert company is not None and company.emails_sent == 1
    # The row the send re-rendered shows when QuickBooks sent it: a click there is a new send.
    again = row(twice, invoice_id).select_one("[data-action=send]")
    assert again is not None
    again_vals = json.loads(str(again["hx-vals"]))
    delivered = sandbox.stored(invoice_id)["DeliveryInfo"]["DeliveryTime"]  # type: ignore[index]
    shown = datetime.fromisoformat(again_vals["sent"])
    assert shown == datetime.fromisoformat(delivered)
    sandbox.qbo.clock.advance(60)
    assert (await sandbox.act("send", invoice_id, **again_vals)).status_code == 200
    assert company.emails_sent == 2
    assert (request.method, request.path) == ("POST", f"{BASE}/invoice/{invoice_id}/send")
    assert request.query["sendTo"] == "ap@acme.example"
    assert len(request.query["requestid"]) == 32
    assert request.content_type == "application/octet-stream" and request.body == b""
    assert sandbox.stored(invoice_id)["EmailStatus"] == "EmailSent"  # type: ignore[index]
    note = row(sent, invoice_id).select_one("[data-emailed]")
    assert note is not None and "ap@acme.example" in note.text
    assert _snackbar(sent) == "Invoice 1001 was emailed to ap@acme.example."
    assert soup(sent).select_one("#panel-summary[hx-swap-oob]") is not None
    assert (
        "invoice.emailed",
        {"invoice_id": invoice_id, "deal_id": DEAL, "to": "ap@acme.example"},
    ) in (await _audit(sandbox))


async def test_send_refuses_an_address_the_invoice_does_not_have(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox, email="ap@acme.example")
    forged = await sandbox.act("send", invoice_id, to="someone@elsewhere.example")
    assert forged.status_code == 409
    assert "ap@acme.example" in soup(forged).text and "Nothing was sent" in soup(forged).text
    assert forged.headers["HX-Retarget"] == "#app-error"
    assert sandbox.qbo.requests == []


async def test_copy_link_asks_quickbooks_for_the_link(sandbox: Sandbox) -> None:
    company = sandbox.qbo.companies[US_REALM_ID]
    company.set_pref("SalesFormsPrefs", "ETransactionPaymentEnabled", True)
    invoice_id = await _linked(sandbox, online=True)
    listing = await sandbox.content()
    assert row(listing, invoice_id).select_one("[data-action=copy-link][hx-post]") is not None

    copied = await sandbox.act("copy-link", invoice_id)

    assert copied.status_code == 200
    [request] = sandbox.qbo.requests
    assert (request.method, request.path) == ("GET", f"{BASE}/invoice/{invoice_id}")
    assert request.query["include"] == "invoiceLink"
    event = json.loads(copied.headers["HX-Trigger"])["app:copy"]
    assert event["text"] == f"https://connect.intuit.example/t/scs-v1-{invoice_id}"
    assert event["message"] == "The payment link of invoice 1001 is copied."
    assert "app:snackbar" not in json.loads(copied.headers["HX-Trigger"])


async def test_without_a_link_the_icon_and_the_answer_say_why(sandbox: Sandbox) -> None:
    no_email = await _linked(sandbox, email="")
    offline = await _linked(sandbox)
    listing = await sandbox.content()
    icon = row(listing, no_email).select_one("[data-action=copy-link]")
    assert icon is not None and icon["aria-disabled"] == "true" and icon.get("hx-post") is None
    assert "only for an invoice with an email address" in str(icon["data-explain"])
    icon = row(listing, offline).select_one("[data-action=copy-link]")
    assert icon is not None and "does not take payments online" in str(icon["title"])
    # The company allows online payment but QuickBooks still gives none: asked, then explained.
    company = sandbox.qbo.companies[US_REALM_ID]
    company.table("Invoice")[offline]["AllowOnlineCreditCardPayment"] = True
    asked = await sandbox.act("copy-link", offline)
    assert asked.status_code == 200
    assert "does not take payments online" in _snackbar(asked)


async def test_void_sends_the_current_sync_token(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox, "150.00")
    # Changed in QuickBooks since the panel read it: the mirror's token is stale now.
    company = sandbox.qbo.companies[US_REALM_ID]
    stored = sandbox.stored(invoice_id)
    assert stored is not None
    qbo_update(company, {"Id": invoice_id, "SyncToken": stored["SyncToken"], "sparse": True,
                         "PrivateNote": "edited in QuickBooks"})  # fmt: skip
    current = stored["SyncToken"]
    sandbox.qbo.requests.clear()

    voided = await sandbox.act("void", invoice_id)

    assert voided.status_code == 200, voided.text
    read, void = sandbox.qbo.requests
    assert (read.method, read.path) == ("GET", f"{BASE}/invoice/{invoice_id}")
    assert (void.method, void.path, void.query["operation"]) == ("POST", f"{BASE}/invoice", "void")
    assert _body(void) == {"Id": invoice_id, "SyncToken": current}
    assert status_of(voided, invoice_id) == "voided"
    assert _snackbar(voided) == "Invoice 1001 was voided."
    async with sandbox.db() as session:
        mirrored = (await mirrored_invoices(session, COMPANY_ID, US_REALM_ID, [invoice_id]))[
            invoice_id
        ]
    assert mirrored.voided and mirrored.total == 0
    assert ("invoice.voided", {"invoice_id": invoice_id, "deal_id": DEAL, "payments": {}}) in (
        await _audit(sandbox)
    )


async def test_void_of_a_paid_invoice_takes_its_payment_off_first(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox, "500.00")
    payment = sandbox.pay(invoice_id, "200.00")
    await sandbox.refresh()
    listing = await sandbox.content()
    confirm = row(listing, invoice_id).select_one("[data-action=void]")
    assert confirm is not None
    assert (
        "The $200.00 paid on it stays in QuickBooks as a credit for Amy's Bird Sanctuary."
        in str(confirm["data-confirm-description"])
    )
    sandbox.qbo.requests.clear()

    voided = await sandbox.act("void", invoice_id)

    assert voided.status_code == 200, voided.text
    steps = [(r.method, r.path, r.query.get("operation", "")) for r in sandbox.qbo.requests]
    assert steps == [
        ("GET", f"{BASE}/invoice/{invoice_id}", ""),
        ("GET", f"{BASE}/payment/{payment['Id']}", ""),
        ("POST", f"{BASE}/payment", ""),
        ("GET", f"{BASE}/invoice/{invoice_id}", ""),  # its token changed with the payment
        ("POST", f"{BASE}/invoice", "void"),
    ]
    unapply = _body(sandbox.qbo.requests[2])
    assert unapply == {
        "Id": payment["Id"], "SyncToken": "0", "sparse": True, "TotalAmt": Decimal("200.00"),
        "Line": [], "CustomerRef": {"value": "1"},
    }  # fmt: skip
    # The invoice's token after the payment came off (the void moved it one further).
    after_unapply = str(int(sandbox.stored(invoice_id)["SyncToken"]) - 1)  # type: ignore[index]
    assert _body(sandbox.qbo.requests[4]) == {"Id": invoice_id, "SyncToken": after_unapply}
    company = sandbox.qbo.companies[US_REALM_ID]
    assert company.get("Payment", payment["Id"])["UnappliedAmt"] == Decimal("200.00")  # type: ignore[index]
    assert status_of(voided, invoice_id) == "voided"
    assert _snackbar(voided) == (
        "Invoice 1001 was voided. 1 payment of $200.00 stays in QuickBooks as a credit for "
        "Amy's Bird Sanctuary."
    )
    detail = {"invoice_id": invoice_id, "deal_id": DEAL, "payments": {payment["Id"]: "200.00"}}
    assert ("invoice.voided", detail) in await _audit(sandbox)


async def test_delete_with_payments_and_the_current_sync_token(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox, "500.00")
    first = sandbox.pay(invoice_id, "100.00")
    second = sandbox.pay(invoice_id, "50.00")
    await sandbox.refresh()
    sandbox.qbo.requests.clear()

    deleted = await sandbox.act("delete", invoice_id)

    assert deleted.status_code == 200, deleted.text
    writes = [r for r in sandbox.qbo.requests if r.method == "POST"]
    assert [w.path for w in writes] == [f"{BASE}/payment", f"{BASE}/payment", f"{BASE}/invoice"]
    assert writes[2].query["operation"] == "delete"
    reads = [r for r in sandbox.qbo.requests if r.path == f"{BASE}/invoice/{invoice_id}"]
    assert len(reads) == 2  # before (payments), and after taking them off (current token)
    assert set(_body(writes[2])) == {"Id", "SyncToken"}
    assert sandbox.stored(invoice_id) is None
    company = sandbox.qbo.companies[US_REALM_ID]
    for payment, amount in ((first, "100.00"), (second, "50.00")):
        assert company.get("Payment", payment["Id"])["UnappliedAmt"] == Decimal(amount)  # type: ignore[index]
    assert status_of(deleted, invoice_id) == "deleted"
    assert _snackbar(deleted) == (
        "Invoice 1001 was deleted in QuickBooks. 2 payments, $150.00 in all, stay in "
        "QuickBooks as a credit for Amy's Bird Sanctuary."
    )
    async with sandbox.db() as session:
        mirrored = (await mirrored_invoices(session, COMPANY_ID, US_REALM_ID, [invoice_id]))[
            invoice_id
        ]
        links = await links_for_invoices(session, COMPANY_ID, US_REALM_ID, [invoice_id])
    assert mirrored.deleted and invoice_id in links  # the panel keeps showing it as Deleted


async def test_a_failed_void_puts_the_payments_back(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox, "500.00")
    payment = sandbox.pay(invoice_id, "200.00")
    await sandbox.refresh()
    sandbox.qbo.config.faults.append(
        InjectedFault("500", method="POST", path_contains="invoice", times=3)
    )
    sandbox.qbo.requests.clear()

    failed = await sandbox.act("void", invoice_id)

    assert failed.status_code == 502
    assert failed.headers["HX-Retarget"] == "#app-error"
    message = soup(failed).select_one("[data-error=payments-restored]")
    assert message is not None and "Invoice 1001 was not voided." in message.text
    assert "applied to it again" in message.text
    stored = sandbox.stored(invoice_id)
    assert stored is not None and stored["Balance"] == Decimal("300.00")
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in stored["LinkedTxn"]
    company = sandbox.qbo.companies[US_REALM_ID]
    assert company.get("Payment", payment["Id"])["UnappliedAmt"] == Decimal("0")  # type: ignore[index]
    payment_writes = [_body(r) for r in sandbox.qbo.requests if r.path == f"{BASE}/payment"]
    assert [w["Line"] for w in payment_writes] == [
        [],
        [{"Amount": Decimal("200.00"), "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
    ]
    assert payment_writes[1]["SyncToken"] == "1"  # read again: the current token


async def test_when_putting_a_payment_back_fails_too_the_user_learns_what_quickbooks_holds(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice_id = await _linked(sandbox, "500.00")
    payment = sandbox.pay(invoice_id, "200.00")
    await sandbox.refresh()
    sandbox.qbo.config.faults.append(
        InjectedFault("500", method="POST", path_contains="invoice", times=3)
    )
    original = QuickBooksClient.update_payment_lines
    calls: list[int] = []

    async def flaky(self: QuickBooksClient, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:
            raise QuickBooksUnavailable("QuickBooks answered HTTP 503", status=503)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(QuickBooksClient, "update_payment_lines", flaky)

    failed = await sandbox.act("void", invoice_id)

    assert failed.status_code == 502
    message = soup(failed).select_one("[data-error=payments-left-off]")
    assert message is not None
    text = " ".join(message.text.split())
    assert "Invoice 1001 was not voided." in text
    assert f"payment {payment['Id']} ($200.00) is no longer applied to invoice 1001" in text
    assert "stays as a credit for Amy's Bird Sanctuary" in text
    # That is indeed what QuickBooks holds, and the panel's copy says the same.
    stored = sandbox.stored(invoice_id)
    assert stored is not None and stored["Balance"] == Decimal("500.00")
    assert stored["TotalAmt"] == Decimal("500.00")
    listing = await sandbox.content()
    assert status_of(listing, invoice_id) == "open"
    detail = {"invoice_id": invoice_id, "deal_id": DEAL, "payments": {payment["Id"]: "200.00"}}
    assert ("invoice.payments_left_unapplied", detail) in await _audit(sandbox)


async def test_unlink_from_deal_keeps_the_invoice_in_quickbooks(sandbox: Sandbox) -> None:
    keep = await _linked(sandbox, "10.00")
    invoice_id = await _linked(sandbox, "20.00")

    unlinked = await sandbox.act("unlink", invoice_id)

    assert unlinked.status_code == 200
    assert sandbox.qbo.requests == []
    page = soup(unlinked)
    assert page.select_one(f"#invoice-{invoice_id}") is None  # the row leaves the panel
    summary = page.select_one("#panel-summary[hx-swap-oob]")
    assert summary is not None and "1 invoice" in summary.text and "$10.00" in summary.text
    assert _snackbar(unlinked) == "Invoice 1002 was unlinked from this deal. QuickBooks keeps it."
    assert sandbox.stored(invoice_id) is not None
    async with sandbox.db() as session:
        links = await links_for_invoices(session, COMPANY_ID, US_REALM_ID, [invoice_id, keep])
    assert set(links) == {keep}
    assert ("invoice.unlinked", {"invoice_id": invoice_id, "deal_id": DEAL}) in await _audit(
        sandbox
    )


async def test_actions_that_no_longer_apply_are_refused_before_quickbooks(sandbox: Sandbox) -> None:
    invoice_id = await _linked(sandbox)
    assert (await sandbox.act("void", invoice_id)).status_code == 200
    sandbox.qbo.requests.clear()
    for action in ("void", "send", "copy-link"):
        refused = await sandbox.act(action, invoice_id, to="birds@intuit.example")
        assert refused.status_code == 409, action
        assert "is voided" in soup(refused).text
    assert sandbox.qbo.requests == []


async def test_every_action_answers_only_its_row(sandbox: Sandbox) -> None:
    other = await _linked(sandbox, "10.00")
    invoice_id = await _linked(sandbox, "20.00")
    sent = await sandbox.act("send", invoice_id, to="birds@intuit.example")
    page = soup(sent)
    assert page.select_one(f"#invoice-{other}") is None
    assert [li["id"] for li in page.select("li.invoice")] == [f"invoice-{invoice_id}"]


async def test_an_invoice_deleted_in_quickbooks_meanwhile_is_found_deleted(
    sandbox: Sandbox,
) -> None:
    from extension.sandbox.quickbooks.rules import delete_invoice as qbo_delete

    invoice_id = await _linked(sandbox)
    company = sandbox.qbo.companies[US_REALM_ID]
    qbo_delete(company, {"Id": invoice_id, "SyncToken": sandbox.stored(invoice_id)["SyncToken"]})  # type: ignore[index]
    for action in ("void", "copy-link"):
        refused = await sandbox.act(action, invoice_id)
        assert refused.status_code == 409
        assert "no longer exists in QuickBooks" in soup(refused).text
    # The void read it and found it gone; nothing was sent, and nothing asked again.
    assert [r.method for r in sandbox.qbo.requests] == ["GET"]
    listing = await sandbox.content()
    assert status_of(listing, invoice_id) == "deleted"
