"""What a batch of QuickBooks change notifications asks of the mirror (pure: no I/O).

Notifications carry ids, never data (reference §5.1), arrive in any order and more than once.
So a batch is reduced to *what to read again*, never to a sequence of changes to replay: the
invoices and payments it names are read in one ``Id IN (…)`` query each, whatever their
number and order, and the mirror keeps the newest version of each (``LastUpdatedTime``).

- **Invoice** Create, Update, Emailed, Void: read again (a Void is remembered as a void even if
  QuickBooks' only trace of it, the "Voided" note, is edited later). Delete: deleted, at the
  event's time, without a read (QuickBooks deletes transactions for good).
- **Payment** any operation: the payment is read again, and the invoices it pays now and paid
  before are read again; Delete: only the invoices it paid before.
- **Customer** Merge: the merged customer's contacts and invoices move to the one it was
  merged into (Intuit: ``deletedId`` / ``data.deletedid`` names the merged one). Update: the
  names contacts show for it are refreshed. Create and Delete change nothing here (QuickBooks
  makes customers inactive; it never deletes them).
- Anything else (other entities, unknown operations) is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["ChangeNotice", "ChangePlan", "plan_changes", "parse_event_time"]


class ChangeNotice(Protocol):
    """One stored notification, as the planner reads it."""

    @property
    def id(self) -> int: ...

    @property
    def entity_name(self) -> str: ...

    @property
    def entity_id(self) -> str: ...

    @property
    def operation(self) -> str: ...

    @property
    def occurred_at(self) -> str: ...

    @property
    def deleted_id(self) -> str: ...


@dataclass
class ChangePlan:
    invoice_ids: set[str] = field(default_factory=set)
    voided: set[str] = field(default_factory=set)
    deleted_invoices: dict[str, datetime] = field(default_factory=dict)
    payment_ids: set[str] = field(default_factory=set)
    deleted_payments: set[str] = field(default_factory=set)
    # merged customer id → the customer it was merged into
    merges: dict[str, str] = field(default_factory=dict)
    customer_ids: set[str] = field(default_factory=set)
    # which notification asked for what (the worker words each one's outcome from it)
    ignored: set[int] = field(default_factory=set)
    by_invoice: dict[int, str] = field(default_factory=dict)
    by_payment: dict[int, str] = field(default_factory=dict)
    by_customer: dict[int, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (
            self.invoice_ids
            or self.deleted_invoices
            or self.payment_ids
            or self.deleted_payments
            or self.merges
            or self.customer_ids
        )


def parse_event_time(value: str, default: datetime) -> datetime:
    """A notification's time (``2025-09-08T20:52:31.657Z``, ``2015-10-05T14:42:19-0700``, up
    to nanoseconds) as an aware instant; ``default`` when it cannot be read."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return default
    return parsed if parsed.tzinfo is not None else default


def plan_changes(notices: Iterable[ChangeNotice], *, now: datetime) -> ChangePlan:
    plan = ChangePlan()
    for notice in notices:
        entity, entity_id, operation = notice.entity_name, notice.entity_id, notice.operation
        if not entity_id.isdigit():
            plan.ignored.add(notice.id)
        elif entity == "Invoice":
            plan.by_invoice[notice.id] = entity_id
            if operation == "Delete":
                at = parse_event_time(notice.occurred_at, now)
                plan.deleted_invoices[entity_id] = max(at, plan.deleted_invoices.get(entity_id, at))
            else:
                plan.invoice_ids.add(entity_id)
                if operation == "Void":
                    plan.voided.add(entity_id)
        elif entity == "Payment":
            plan.by_payment[notice.id] = entity_id
            if operation == "Delete":
                plan.deleted_payments.add(entity_id)
            else:
                plan.payment_ids.add(entity_id)
        elif entity == "Customer" and operation == "Merge" and notice.deleted_id.isdigit():
            plan.by_customer[notice.id] = notice.deleted_id
            plan.merges[notice.deleted_id] = entity_id
        elif entity == "Customer" and operation in ("Update", "Merge"):
            plan.by_customer[notice.id] = entity_id
            plan.customer_ids.add(entity_id)
        else:
            plan.ignored.add(notice.id)
    # Deleted wins over anything else said about the same invoice or payment.
    plan.invoice_ids -= set(plan.deleted_invoices)
    plan.voided -= set(plan.deleted_invoices)
    plan.payment_ids -= plan.deleted_payments
    return plan
