"""Statuses derived from QuickBooks' data, as Intuit defines them, in the company's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from extension.invoicing.invoice_status import (
    InvoiceState,
    InvoiceStatus,
    company_today,
    company_zone,
    invoice_status,
)
from extension.quickbooks.invoice_models import Invoice

D = Decimal
HONOLULU = ZoneInfo("Pacific/Honolulu")
TODAY = date(2026, 3, 13)


def invoice(
    total: str = "100", balance: str = "100", due: str = "2026-03-13", **extra: Any
) -> Invoice:
    raw: dict[str, Any] = {
        "Id": "238", "SyncToken": "0", "TotalAmt": total, "Balance": balance, "DueDate": due,
        "CurrencyRef": {"value": "USD"}, "EmailStatus": "NotSet", "PrivateNote": "",
    }  # fmt: skip
    raw.update(extra)
    return Invoice.from_api(raw)


@pytest.mark.parametrize(
    ("total", "balance", "due", "state", "partial"),
    [
        ("100", "100", "2026-03-13", InvoiceState.OPEN, False),
        ("100", "40", "2026-03-20", InvoiceState.PARTIALLY_PAID, True),
        ("100", "0", "2026-03-01", InvoiceState.PAID, False),  # paid late is still paid
        ("100", "100", "2026-03-12", InvoiceState.OVERDUE, False),
        ("100", "40", "2026-03-12", InvoiceState.OVERDUE, True),
        ("0", "0", "2026-03-01", InvoiceState.PAID, False),  # a zero invoice, not voided
    ],
)
def test_states_from_balance_total_and_due_date(
    total: str, balance: str, due: str, state: InvoiceState, partial: bool
) -> None:
    status = invoice_status(invoice(total, balance, due), TODAY)
    assert (status.state, status.partially_paid) == (state, partial)


def test_overdue_counts_days_past_due() -> None:
    status = invoice_status(invoice(due="2026-03-03"), TODAY)
    assert status == InvoiceStatus(
        InvoiceState.OVERDUE, "USD", D(100), D(100), date(2026, 3, 3), days_overdue=10
    )


def test_voided_as_quickbooks_reads_it_back() -> None:
    voided = invoice("0", "0", "2026-03-01", PrivateNote="Voided - Website redesign")
    assert invoice_status(voided, TODAY).state is InvoiceState.VOIDED
    # Zero amounts without the note are a zero invoice… unless we voided it or heard the event.
    zero = invoice("0", "0", "2026-03-01", PrivateNote="Website redesign")
    assert invoice_status(zero, TODAY).state is InvoiceState.PAID
    assert invoice_status(zero, TODAY, voided=True).state is InvoiceState.VOIDED
    # A note that merely starts with the word on an invoice with money on it is not a void.
    assert (
        invoice_status(invoice(PrivateNote="Voided order replaced"), TODAY).state
        is InvoiceState.OPEN
    )


def test_deleted_when_not_found_as_a_stub_or_by_event_with_the_mirrored_amounts() -> None:
    mirrored = invoice("250", "250", "2026-03-20")
    not_found = invoice_status(None, TODAY, last_known=mirrored)
    assert not_found == InvoiceStatus(
        InvoiceState.DELETED, "USD", D(250), D(250), date(2026, 3, 20)
    )
    stub = Invoice.from_api({"status": "Deleted", "domain": "QBO", "Id": "238"})
    assert invoice_status(stub, TODAY, home_currency="EUR").state is InvoiceState.DELETED
    assert invoice_status(stub, TODAY, home_currency="EUR").currency == "EUR"
    assert invoice_status(invoice(), TODAY, deleted=True).state is InvoiceState.DELETED


def test_emailed_and_when() -> None:
    sent = invoice(
        EmailStatus="EmailSent",
        DeliveryInfo={"DeliveryType": "Email", "DeliveryTime": "2026-03-12T11:50:52-08:00"},
    )
    status = invoice_status(sent, TODAY)
    assert status.emailed and status.emailed_at == datetime(2026, 3, 12, 19, 50, 52, tzinfo=UTC)
    assert not invoice_status(invoice(), TODAY).emailed


def test_currency_falls_back_to_the_home_currency() -> None:
    raw = invoice()
    no_currency = Invoice.from_api({"Id": "1", "TotalAmt": 5, "Balance": 5})
    assert invoice_status(raw, TODAY).currency == "USD"
    assert invoice_status(no_currency, TODAY, home_currency="GBP").currency == "GBP"


# Due on 13 March. At 09:00 UTC on 14 March it is still 23:00 on 13 March in Honolulu.
LATE_EVENING_HONOLULU = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def test_due_today_in_honolulu_is_not_overdue_although_utc_is_a_day_ahead() -> None:
    due_today = invoice(due="2026-03-13")
    in_honolulu = company_today(LATE_EVENING_HONOLULU, HONOLULU)
    in_utc = company_today(LATE_EVENING_HONOLULU, ZoneInfo("UTC"))
    assert (in_honolulu, in_utc) == (date(2026, 3, 13), date(2026, 3, 14))
    assert invoice_status(due_today, in_honolulu).state is InvoiceState.OPEN
    assert invoice_status(due_today, in_utc).state is InvoiceState.OVERDUE


def test_overdue_from_the_first_minute_of_the_next_day_where_the_company_is() -> None:
    due = invoice(due="2026-03-13")
    just_before = datetime(2026, 3, 13, 23, 59, 59, tzinfo=HONOLULU)
    midnight = datetime(2026, 3, 14, 0, 0, tzinfo=HONOLULU)
    assert invoice_status(due, company_today(just_before, HONOLULU)).state is InvoiceState.OPEN
    assert invoice_status(due, company_today(midnight, HONOLULU)).state is InvoiceState.OVERDUE


def test_a_company_east_of_utc_is_overdue_before_utc_turns_the_day() -> None:
    kiritimati = ZoneInfo("Pacific/Kiritimati")  # UTC+14
    now = datetime(2026, 3, 13, 10, 30, tzinfo=UTC)  # already 14 March, 00:30, there
    assert company_today(now, kiritimati) == date(2026, 3, 14)
    assert invoice_status(invoice(), company_today(now, kiritimati)).state is InvoiceState.OVERDUE


def test_today_across_a_daylight_saving_change() -> None:
    new_york = ZoneInfo("America/New_York")
    # 8 March 2026, 02:00 local: clocks go forward; 04:30 UTC is still 7 March 23:30 EST.
    assert company_today(datetime(2026, 3, 8, 4, 30, tzinfo=UTC), new_york) == date(2026, 3, 7)
    assert company_today(datetime(2026, 3, 9, 3, 30, tzinfo=UTC), new_york) == date(2026, 3, 8)


def test_today_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        company_today(datetime(2026, 3, 13, 12, 0), HONOLULU)
    fixed = timezone(timedelta(hours=-10))
    assert company_today(datetime(2026, 3, 14, 0, 30, tzinfo=fixed), ZoneInfo("UTC")) == date(
        2026, 3, 14
    )


def test_company_zone_from_quickbooks_or_fallback() -> None:
    utc = ZoneInfo("UTC")
    assert company_zone("Pacific/Honolulu", utc) == HONOLULU
    assert company_zone("", utc) is utc
    assert company_zone("Not/AZone", utc) is utc
    assert company_zone("../../etc/passwd", utc) is utc
