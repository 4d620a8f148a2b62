"""Signed webhook notifications from the stand-in to the app (reference §5).

After every change the stand-in POSTs one notification to the app's webhook URL, in the legacy
``eventNotifications`` shape or as a CloudEvents array, signed with ``intuit-signature``. Delivery
runs as a background task so the API answer never waits on the app; tests ``drain()`` it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

from extension.sandbox.quickbooks.state import Change

if TYPE_CHECKING:
    from extension.sandbox import Sandbox
    from extension.sandbox.quickbooks.standin import QuickBooksStandIn

__all__ = ["WebhookSender", "sign"]

logger = logging.getLogger(__name__)
_CLOUD_VERBS = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Emailed": "emailed",
    "Merge": "merged",
}


def sign(verifier_token: str, body: bytes) -> str:
    digest = hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def legacy_body(realm_id: str, changes: list[Change]) -> Any:
    entities = [
        {
            "name": c.entity,
            "id": c.entity_id,
            "operation": c.operation,
            "lastUpdated": c.at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        for c in changes
    ]
    return {
        "eventNotifications": [{"realmId": realm_id, "dataChangeEvent": {"entities": entities}}]
    }


def cloudevents_body(realm_id: str, changes: list[Change]) -> Any:
    return [
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "intuit.sandbox-standin",
            "type": f"qbo.{c.entity.lower()}.{_CLOUD_VERBS.get(c.operation, 'updated')}.v1",
            "datacontenttype": "application/json",
            "time": c.at.isoformat().replace("+00:00", "Z"),
            "intuitentityid": c.entity_id,
            "intuitaccountid": realm_id,
            "data": {},
        }
        for c in changes
    ]


class WebhookSender:
    def __init__(self, sandbox: Sandbox, stand_in: QuickBooksStandIn) -> None:
        self._sandbox = sandbox
        self._stand_in = stand_in
        self._pending: set[asyncio.Task[None]] = set()
        self.delivered: list[tuple[int, bytes]] = []  # (status, body) of each delivery

    def notify(self, realm_id: str, changes: list[Change]) -> None:
        if not changes or not self._stand_in.config.webhooks_enabled:
            return
        if self._stand_in.config.webhook_format == "legacy":
            payload = legacy_body(realm_id, changes)
        else:
            payload = cloudevents_body(realm_id, changes)
        task = asyncio.get_running_loop().create_task(self._deliver(json.dumps(payload).encode()))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        while self._pending:
            await asyncio.gather(*list(self._pending))

    async def _deliver(self, body: bytes) -> None:
        url = self._sandbox.settings.app_base_url + self._sandbox.manifest.quickbooks_webhook_url
        try:
            http = self._sandbox.app_http
        except RuntimeError:
            return  # no app attached (the stand-in used on its own)
        try:
            response = await http.post(
                url,
                content=body,
                headers={
                    "intuit-signature": sign(self._stand_in.verifier_token, body),
                    "content-type": "application/json; charset=utf-8",
                    "intuit-notification-schema-version": "0.1",
                    "user-agent": "intuit_notification_server/0.1",
                },
            )
        except Exception:  # the sandbox must survive an app that is down or failing
            logger.exception("stand-in webhook delivery failed")
            return
        self.delivered.append((response.status_code, body))
