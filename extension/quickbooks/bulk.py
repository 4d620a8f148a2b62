"""Batch (≤ 30 operations per request) and change data capture result types (reference §4.2–4.3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from extension.quickbooks.errors import QuickBooksNotFound, QuickBooksRejected, parse_fault
from extension.quickbooks.invoice_models import Invoice, Payment
from extension.quickbooks.models import (
    Account,
    Customer,
    Entity,
    Item,
    Json,
    TaxCode,
    TaxRate,
    Term,
    meta_updated,
    text,
)

__all__ = [
    "BATCH_LIMIT",
    "BatchOperation",
    "BatchResult",
    "ChangeSet",
    "DeletedEntity",
    "ENTITY_TYPES",
    "parse_batch_item",
    "parse_cdc",
]

BATCH_LIMIT = 30
ENTITY_TYPES: dict[str, type[Entity]] = {
    cls.ENTITY: cls for cls in (Customer, Item, Account, TaxCode, TaxRate, Term, Invoice, Payment)
}


@dataclass(frozen=True, slots=True)
class BatchOperation:
    """One item: ``operation`` on ``entity`` with ``body``, or a ``query`` (then no entity)."""

    bid: str
    operation: Literal["create", "update", "delete", "query"]
    entity: str = ""
    body: Json = field(default_factory=dict)
    query: str = ""

    def to_api(self) -> Json:
        if self.operation == "query":
            return {"bId": self.bid, "Query": self.query}
        return {"bId": self.bid, "operation": self.operation, self.entity: self.body}


@dataclass(frozen=True, slots=True)
class DeletedEntity:
    entity: str
    id: str
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    bid: str
    entity: Entity | None = None
    deleted: DeletedEntity | None = None
    query_results: list[Entity] = field(default_factory=list)
    error: QuickBooksRejected | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _entity_or_deleted(name: str, data: Json) -> Entity | DeletedEntity | None:
    if data.get("status") == "Deleted":
        return DeletedEntity(entity=name, id=text(data, "Id"), updated_at=meta_updated(data))
    cls = ENTITY_TYPES.get(name)
    return cls.from_api(data) if cls else None


def parse_batch_item(item: Json) -> BatchResult:
    bid = text(item, "bId")
    fault = parse_fault(item)
    if fault is not None:
        fault_type, errors = fault
        error_cls = (
            QuickBooksNotFound if any(e.code == "610" for e in errors) else QuickBooksRejected
        )
        return BatchResult(bid=bid, error=error_cls(fault_type, errors, status=200))
    query = item.get("QueryResponse")
    if isinstance(query, dict):
        found: list[Entity] = []
        for name, rows in query.items():
            cls = ENTITY_TYPES.get(name)
            if cls and isinstance(rows, list):
                found.extend(cls.from_api(row) for row in rows if isinstance(row, dict))
        return BatchResult(bid=bid, query_results=found)
    for name, value in item.items():
        if isinstance(value, dict) and name in ENTITY_TYPES:
            parsed = _entity_or_deleted(name, value)
            if isinstance(parsed, DeletedEntity):
                return BatchResult(bid=bid, deleted=parsed)
            return BatchResult(bid=bid, entity=parsed)
    return BatchResult(bid=bid)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Changed entities by QBO name, and the ids of the ones deleted since the given time."""

    changed: dict[str, list[Entity]] = field(default_factory=dict)
    deleted: list[DeletedEntity] = field(default_factory=list)

    def of(self, entity: str) -> list[Entity]:
        return self.changed.get(entity, [])


def parse_cdc(body: Any) -> ChangeSet:
    changes = ChangeSet()
    responses = body.get("CDCResponse") if isinstance(body, dict) else None
    for response in responses or []:
        for query in (response or {}).get("QueryResponse") or []:
            if not isinstance(query, dict):
                continue
            for name, rows in query.items():
                if not isinstance(rows, list):
                    continue
                for row in rows:
                    if not isinstance(row, dict):
                        continue
                    parsed = _entity_or_deleted(name, row)
                    if isinstance(parsed, DeletedEntity):
                        changes.deleted.append(parsed)
                    elif parsed is not None:
                        changes.changed.setdefault(name, []).append(parsed)
    return changes
