"""Batch and change data capture on the stand-in (reference §4.2–4.3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from extension.sandbox.quickbooks import customers, items, payments, rules
from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.state import CompanyState

__all__ = ["run_batch", "run_cdc", "BATCH_LIMIT"]

Json = dict[str, Any]
BATCH_LIMIT = 30
_CDC_UNSUPPORTED = {"TaxCode", "TaxRate"}


def _one(company: CompanyState, item: Json) -> Json:
    from extension.sandbox.quickbooks.api import ENTITY_NAMES, answer_query, render

    bid = str(item.get("bId", ""))
    try:
        if "Query" in item:
            return {"bId": bid, "QueryResponse": answer_query(company, str(item["Query"]))}
        operation = str(item.get("operation", ""))
        entity = next((k for k in item if k.lower() in ENTITY_NAMES and k != "bId"), "")
        body = item.get(entity)
        if not entity or not isinstance(body, dict):
            raise Fault("2010", "Request has invalid or unsupported property", "No entity")
        if entity == "Invoice" and operation == "delete":
            return {"bId": bid, "Invoice": rules.delete_invoice(company, body)}
        if entity == "Invoice" and operation == "update":
            saved = rules.update_invoice(company, body)
        elif entity == "Customer" and operation == "update":
            saved = customers.update_customer(company, body)
        elif operation == "create" and entity == "Invoice":
            saved = rules.create_invoice(company, body)
        elif operation == "create" and entity == "Customer":
            saved = customers.create_customer(company, body)
        elif operation == "create" and entity == "Item":
            saved = items.create_item(company, body)
        elif operation == "create" and entity == "Payment":
            saved = payments.create_payment(company, body)
        else:
            raise Fault("500", "Unsupported Operation", f"{operation} {entity}")
        return {"bId": bid, entity: render(company, entity, saved)}
    except Fault as fault:
        return {"bId": bid, "Fault": fault.to_api()}


def run_batch(company: CompanyState, body: Json) -> list[Json]:
    items = body.get("BatchItemRequest")
    if not isinstance(items, list) or not items:
        raise Fault(
            "2020", "Required param missing", "BatchItemRequest", element="BatchItemRequest"
        )
    if len(items) > BATCH_LIMIT:
        # Code and message from Intuit's error-code list; its detail wording is not recorded
        # anywhere we could find, so this one is ours.
        raise Fault(
            "1040",
            "Batch size exceeds allowed limit",
            f"Batch size exceeds allowed limit : The maximum number of items in a batch "
            f"request is {BATCH_LIMIT}. Supplied: {len(items)}",
        )
    # Items are independent: each one is a unit of its own, failures do not roll others back.
    return [_one(company, item) for item in items if isinstance(item, dict)]


def _since(value: str, now: datetime, zone: tzinfo) -> datetime:
    """changedSince as an instant; a date or a time without offset is the company's local."""
    try:
        since = datetime.fromisoformat(value) if "T" in value else None
        if since is None:
            since = datetime.combine(date.fromisoformat(value), datetime.min.time(), zone)
    except ValueError as exc:
        raise Fault("2010", "Request has invalid or unsupported property", "changedSince") from exc
    since = since if since.tzinfo else since.replace(tzinfo=zone)
    if now - since > timedelta(days=30):
        raise Fault("6000", "A business validation error has occurred",
                    "changedSince must be within the last 30 days")  # fmt: skip
    return since


def run_cdc(company: CompanyState, entities: str, changed_since: str) -> Json:
    from extension.sandbox.quickbooks.api import ENTITY_NAMES, render

    now = company.clock.now()
    since = _since(
        rules.required({"changedSince": changed_since}, "changedSince"), now, company.zone
    )
    names = [ENTITY_NAMES.get(e.strip().lower(), "") for e in entities.split(",") if e.strip()]
    if not names or "" in names or _CDC_UNSUPPORTED & set(names):
        raise Fault("2010", "Request has invalid or unsupported property", "entities")
    responses: list[Json] = []
    for name in names:
        changed = {c.entity_id for c in company.changes if c.entity == name and c.at >= since}
        rows = [render(company, name, company.table(name)[i]) for i in sorted(changed)
                if i in company.table(name)]  # fmt: skip
        for (entity, entity_id), at in company.deleted.items():
            if entity == name and at >= since:
                stamp = company.stamp(at)
                rows.append(
                    {"domain": "QBO", "status": "Deleted", "Id": entity_id,
                     "MetaData": {"LastUpdatedTime": stamp}}
                )  # fmt: skip
        if rows:
            responses.append({name: rows[:1000], "startPosition": 1, "maxResults": len(rows)})
    return {"CDCResponse": [{"QueryResponse": responses or [{}]}], "time": company.time()}
