"""From a QuickBooks invoice to the mirror's copy, and from the copy to the row the panel shows:
every status as the panel derives it, in the QuickBooks company's today."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from extension.invoicing.company_clock import CompanyClock
from extension.invoicing.invoice_rows import LinkBlocker, quickbooks_app_url, row_from_mirror
from extension.invoicing.invoice_status import InvoiceState
from extension.invoicing.mirroring import invoice_version
from extension.quickbooks.invoice_models import Invoice
from extension.store.invoice_models import MirroredInvoice
from tests.support import make_settings

D = Decimal
READ_AT = datetime(2026, 3, 13, 18, 0, tzinfo=UTC)
SETTINGS = make_settings("sqlite+aiosqlite:///:memory:")


def qbo_invoice(**extra: Any) -> Invoice:
    raw: dict[str, Any] = {
        "Id": "130", "SyncToken": "3", "DocNumber": "1042", "TxnDate": "2026-03-01",
        "DueDate": "2026-03-31", "TotalAmt": 500, "Balance": 200,
        "CustomerRef": {"value": "1", "name": "Amy's Bird Sanctuary"},
        "CurrencyRef": {"value": "EUR"}, "EmailStatus": "EmailSent",
        "BillEmail": {"Address": "birds@intuit.example"}, "AllowOnlineACHPayment": True,
        "DeliveryInfo": {"DeliveryType": "Email", "DeliveryTime": "2026-03-02T09:30:00-08:00"},
        "MetaData": {"LastUpdatedTime": "2026-03-05T10:00:00-08:00"}, "PrivateNote": "",
    }  # fmt: skip
    raw.update(extra)
    return Invoice.from_api(raw)


def test_a_version_keeps_what_the_panel_shows() -> None:
    version = invoice_version(qbo_invoice(), realm_id="9341", read_at=READ_AT, voided=False)
    assert (version.invoice_id, version.customer_id, version.customer_name) == (
        "130", "1", "Amy's Bird Sanctuary")  # fmt: skip
    assert (version.doc_number, version.txn_date, version.due_date) == (
        "1042", date(2026, 3, 1), date(2026, 3, 31))  # fmt: skip
    assert (version.currency, version.total, version.balance) == ("EUR", D(500), D(200))
    assert version.email_status == "EmailSent" and version.bill_email == "birds@intuit.example"
    assert version.delivered_at == datetime(2026, 3, 2, 17, 30, tzinfo=UTC)
    assert version.online_payment_allowed and version.sync_token == "3" and not version.voided
    assert version.updated_at == datetime(2026, 3, 5, 18, 0, tzinfo=UTC)


def test_a_version_of_a_voided_invoice_and_of_a_bare_answer() -> None:
    voided = qbo_invoice(TotalAmt=0, Balance=0, PrivateNote="Voided - late")
    assert invoice_version(voided, realm_id="9341", read_at=READ_AT, voided=False).voided
    # Our own void counts even when the note was edited since.
    edited = qbo_invoice(TotalAmt=0, Balance=0, PrivateNote="edited")
    assert invoice_version(edited, realm_id="9341", read_at=READ_AT, voided=True).voided
    bare = Invoice.from_api({"Id": "7", "SyncToken": "0", "TotalAmt": 10, "Balance": 10})
    version = invoice_version(bare, realm_id="9341", read_at=READ_AT, voided=False)
    # No CurrencyRef: the home currency (the reader knows it); no MetaData: when it was read.
    assert (version.currency, version.updated_at, version.txn_date) == ("", READ_AT, READ_AT.date())
    with pytest.raises(ValueError):
        invoice_version(bare, realm_id="", read_at=READ_AT, voided=False)


def mirrored(**values: Any) -> MirroredInvoice:
    base: dict[str, Any] = dict(
        invoice_id="130", customer_id="1", customer_name="Amy's", doc_number="1042",
        txn_date=date(2026, 3, 1), due_date=date(2026, 3, 13), currency="USD", total=D(100),
        balance=D(100), email_status="NotSet", delivered_at=None, bill_email="a@b.example",
        online_payment_allowed=True, voided=False, deleted=False,
    )  # fmt: skip
    base.update(values)
    return MirroredInvoice(**base)


def row(today: date, **values: Any) -> Any:
    return row_from_mirror(
        mirrored(**values), today=today, home_currency="USD", online_payments=True,
        settings=SETTINGS,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "state", "partial"),
    [
        ({}, InvoiceState.OPEN, False),
        ({"balance": D(40), "due_date": date(2026, 3, 20)}, InvoiceState.PARTIALLY_PAID, True),
        ({"balance": D(0)}, InvoiceState.PAID, False),
        ({"due_date": date(2026, 3, 12)}, InvoiceState.OVERDUE, False),
        ({"due_date": date(2026, 3, 12), "balance": D(40)}, InvoiceState.OVERDUE, True),
        ({"voided": True, "total": D(0), "balance": D(0)}, InvoiceState.VOIDED, False),
        ({"deleted": True}, InvoiceState.DELETED, False),
        ({"deleted": True, "voided": True}, InvoiceState.DELETED, False),
    ],
)
def test_every_status_reaches_the_row(
    values: dict[str, Any], state: InvoiceState, partial: bool
) -> None:
    shown = row(date(2026, 3, 13), **values)
    assert (shown.state, shown.status.partially_paid) == (state, partial)


def test_a_partial_payment_is_what_a_void_leaves_as_credit() -> None:
    shown = row(date(2026, 3, 13), balance=D("60.50"))
    assert shown.paid == D("39.50") and shown.state is InvoiceState.PARTIALLY_PAID
    assert row(date(2026, 3, 13), voided=True, total=D(0), balance=D(0)).paid == 0


def test_due_today_turns_overdue_at_the_companys_midnight_not_utcs() -> None:
    """Pacific company, invoice due 13 March: at 23:30 in Los Angeles it is 07:30 on the 14th
    in UTC, and the invoice is still due today; at 00:10 Los Angeles time it is overdue."""
    clock = CompanyClock(zone_name="America/Los_Angeles")
    late_evening = datetime(2026, 3, 14, 6, 30, tzinfo=UTC)
    just_after = datetime(2026, 3, 14, 7, 10, tzinfo=UTC)  # PDT since 8 March: UTC-7
    assert row(clock.today(late_evening)).state is InvoiceState.OPEN
    assert row(clock.today(just_after)).state is InvoiceState.OVERDUE
    # The same instants for a company in Tokyo: already the 14th at both.
    tokyo = CompanyClock(zone_name="Asia/Tokyo")
    assert row(tokyo.today(late_evening)).state is InvoiceState.OVERDUE


def test_the_clock_falls_back_to_the_companys_offset_then_utc() -> None:
    now = datetime(2026, 1, 10, 5, 0, tzinfo=UTC)
    assert CompanyClock(offset_minutes=-480).today(now) == date(2026, 1, 9)
    assert CompanyClock(offset_minutes=-480).zone == timezone(timedelta(hours=-8))
    assert CompanyClock(zone_name="Not/AZone", offset_minutes=60).today(now) == date(2026, 1, 10)
    assert CompanyClock().zone is UTC
    assert CompanyClock(zone_name="Pacific/Honolulu").zone == ZoneInfo("Pacific/Honolulu")


@pytest.mark.parametrize(
    ("values", "online", "blocker"),
    [
        ({}, True, LinkBlocker.NONE),
        ({"bill_email": ""}, True, LinkBlocker.NO_EMAIL),
        ({"online_payment_allowed": False}, True, LinkBlocker.NOT_PAYABLE_ONLINE),
        ({"online_payment_allowed": False}, False, LinkBlocker.PAYMENTS_OFF),
        ({}, False, LinkBlocker.NONE),  # allowed on the invoice: ask QuickBooks anyway
        ({"voided": True}, True, LinkBlocker.CLOSED),
    ],
)
def test_why_an_invoice_has_no_payment_link(
    values: dict[str, Any], online: bool, blocker: LinkBlocker
) -> None:
    shown = row_from_mirror(
        mirrored(**values), today=date(2026, 3, 1), home_currency="USD", online_payments=online,
        settings=SETTINGS,
    )  # fmt: skip
    assert shown.link_blocker is blocker


def test_open_in_quickbooks_goes_to_the_right_app() -> None:
    production = make_settings(
        "sqlite+aiosqlite:///:memory:", QBO_ENVIRONMENT="production", SANDBOX="0",
        PIPEDRIVE_CLIENT_ID="id", PIPEDRIVE_CLIENT_SECRET="s" * 32, QBO_CLIENT_ID="q",
        QBO_CLIENT_SECRET="q", QBO_WEBHOOK_VERIFIER_TOKEN="v",
    )  # fmt: skip
    development = make_settings(
        "sqlite+aiosqlite:///:memory:", QBO_ENVIRONMENT="sandbox", SANDBOX="0",
        PIPEDRIVE_CLIENT_ID="id", PIPEDRIVE_CLIENT_SECRET="s" * 32, QBO_CLIENT_ID="q",
        QBO_CLIENT_SECRET="q", QBO_WEBHOOK_VERIFIER_TOKEN="v",
    )  # fmt: skip
    assert (
        quickbooks_app_url(production, "130") == "https://app.qbo.intuit.com/app/invoice?txnId=130"
    )
    assert (
        quickbooks_app_url(development, "130")
        == "https://app.sandbox.qbo.intuit.com/app/invoice?txnId=130"
    )
    assert quickbooks_app_url(SETTINGS, "130") == (
        "http://127.0.0.1:8000/sandbox/quickbooks/app/invoice?txnId=130"
    )
