"""From stored notifications to what to read again (pure): ids, never a replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from extension.invoicing.change_plan import parse_event_time, plan_changes

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Notice:
    id: int
    entity_name: str
    entity_id: str
    operation: str
    occurred_at: str = "2026-12-03T10:00:00Z"
    deleted_id: str = ""


def test_invoices_payments_and_customers_become_reads() -> None:
    plan = plan_changes(
        [
            Notice(1, "Invoice", "10", "Update"),
            Notice(2, "Invoice", "10", "Emailed"),
            Notice(3, "Invoice", "11", "Void"),
            Notice(4, "Payment", "70", "Create"),
            Notice(5, "Payment", "71", "Delete"),
            Notice(6, "Customer", "1", "Merge", deleted_id="2"),
            Notice(7, "Customer", "3", "Update"),
            Notice(8, "Customer", "4", "Create"),
            Notice(9, "Item", "5", "Update"),
            Notice(10, "Invoice", "../1", "Update"),
        ],
        now=NOW,
    )
    assert plan.invoice_ids == {"10", "11"} and plan.voided == {"11"}
    assert (plan.payment_ids, plan.deleted_payments) == ({"70"}, {"71"})
    assert (plan.merges, plan.customer_ids) == ({"2": "1"}, {"3"})
    assert plan.ignored == {8, 9, 10}
    assert plan.by_invoice == {1: "10", 2: "10", 3: "11"}
    assert plan.by_customer == {6: "2", 7: "3"}


def test_a_delete_wins_whatever_the_order() -> None:
    plan = plan_changes(
        [
            Notice(1, "Invoice", "10", "Delete", occurred_at="2026-12-03T10:00:05Z"),
            Notice(2, "Invoice", "10", "Void"),
            Notice(3, "Invoice", "10", "Delete", occurred_at="2026-12-03T10:00:01Z"),
            Notice(4, "Payment", "70", "Update"),
            Notice(5, "Payment", "70", "Delete"),
        ],
        now=NOW,
    )
    assert plan.invoice_ids == set() and plan.voided == set()
    assert plan.deleted_invoices == {"10": datetime(2026, 12, 3, 10, 0, 5, tzinfo=UTC)}
    assert (plan.payment_ids, plan.deleted_payments) == (set(), {"70"})


def test_event_times_in_every_shape_intuit_sends() -> None:
    assert parse_event_time("2025-09-08T20:52:31.657Z", NOW) == datetime(
        2025, 9, 8, 20, 52, 31, 657000, tzinfo=UTC
    )
    assert parse_event_time("2015-10-05T14:42:19-0700", NOW) == datetime(
        2015, 10, 5, 14, 42, 19, tzinfo=timezone(timedelta(hours=-7))
    )
    assert parse_event_time("2025-09-10T21:31:25.179851517Z", NOW).microsecond == 179851
    assert parse_event_time("yesterday", NOW) == NOW
    assert parse_event_time("2025-09-10T21:31:25", NOW) == NOW  # no offset: not an instant
