"""Intuit webhook notifications: signature check and parsing of both formats (reference §5).

The signature is checked on the raw bytes before anything is parsed. The body is read as JSON
whatever the Content-Type says (CloudEvents arrive as ``application/cloudevents+json``). Legacy
bodies are an object with ``eventNotifications``; CloudEvents bodies are an array of events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["WebhookEvent", "verify_signature", "parse_notifications", "SIGNATURE_HEADER"]

SIGNATURE_HEADER = "intuit-signature"
_CLOUD_OPERATIONS = {
    "created": "Create",
    "updated": "Update",
    "deleted": "Delete",
    "voided": "Void",
    "emailed": "Emailed",
    "merged": "Merge",
}

_ENTITY_NAMES = {
    name.lower(): name
    for name in ("Invoice", "Payment", "Customer", "Item", "Account", "TaxCode", "Term",
                 "CreditMemo", "SalesReceipt", "Estimate", "RefundReceipt", "Vendor")
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    realm_id: str
    entity_name: str
    entity_id: str
    operation: str  # legacy names: Create, Update, Delete, Void, Emailed, Merge
    occurred_at: str
    dedup_key: str
    payload_format: Literal["legacy", "cloudevents"]
    # Merge: the id merged into ``entity_id`` (and deleted); empty for other operations.
    deleted_id: str = ""


def verify_signature(verifier_token: str, body: bytes, signature: str | None) -> bool:
    if not signature or not verifier_token:
        return False
    expected = base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode())


def _legacy(body: dict[str, Any]) -> list[WebhookEvent]:
    events = []
    for notification in body.get("eventNotifications") or []:
        if not isinstance(notification, dict):
            continue
        realm = str(notification.get("realmId", ""))
        change = notification.get("dataChangeEvent") or {}
        for entity in change.get("entities") or [] if isinstance(change, dict) else []:
            if not isinstance(entity, dict):
                continue
            name, eid = str(entity.get("name", "")), str(entity.get("id", ""))
            op, updated = str(entity.get("operation", "")), str(entity.get("lastUpdated", ""))
            deleted = entity.get("deletedId")
            events.append(
                WebhookEvent(
                    realm_id=realm,
                    entity_name=name,
                    entity_id=eid,
                    operation=op,
                    occurred_at=updated,
                    dedup_key=f"legacy:{realm}:{name}:{eid}:{op}:{updated}",
                    payload_format="legacy",
                    deleted_id=str(deleted) if deleted not in (None, "") else "",
                )
            )
    return events


def _cloud_event(event: dict[str, Any]) -> WebhookEvent | None:
    # type = qbo.<entity>.<verb>.v1
    parts = str(event.get("type", "")).split(".")
    if len(parts) < 3 or not event.get("id"):
        return None
    entity = _ENTITY_NAMES.get(parts[1].lower(), parts[1][:1].upper() + parts[1][1:])
    data = event.get("data")
    deleted = data.get("deletedid") if isinstance(data, dict) else None
    return WebhookEvent(
        realm_id=str(event.get("intuitaccountid", "")),
        entity_name=entity,
        entity_id=str(event.get("intuitentityid", "")),
        operation=_CLOUD_OPERATIONS.get(parts[2], parts[2]),
        occurred_at=str(event.get("time", "")),
        dedup_key=f"ce:{event['id']}",
        payload_format="cloudevents",
        deleted_id=str(deleted) if deleted not in (None, "") else "",
    )


def parse_notifications(body: bytes) -> list[WebhookEvent]:
    """Every event in the body; an unreadable body has none (and is not an error)."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    if isinstance(data, dict) and "eventNotifications" in data:
        return _legacy(data)
    if isinstance(data, dict) and "specversion" in data:
        data = [data]  # a single structured-mode event
    if isinstance(data, list):
        return [e for item in data if isinstance(item, dict) and (e := _cloud_event(item))]
    return []
