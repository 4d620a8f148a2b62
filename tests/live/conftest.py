"""Live status: the sandbox company of tests/panel with QuickBooks connected, and helpers to
deliver the stand-in's webhooks, run the event worker and the reconciler the way their
background tasks do, and read what the mirror and the events table hold."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from extension.invoicing.event_worker import EventWorker
from extension.invoicing.reconciler import Reconciler
from extension.quickbooks.limits import BackgroundShare
from extension.sandbox.quickbooks import webhook_sender
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.services import Services
from extension.store.invoice_models import MirroredInvoice
from extension.store.quickbooks_models import QuickBooksWebhookEvent
from tests.panel.conftest import Sandbox, sandbox  # noqa: F401  (the fixture, shared)
from tests.support import COMPANY_ID

__all__ = [
    "pay_on_page",
    "worker_for",
    "reconciler_for",
    "deliver",
    "signed_post",
    "mirrored",
    "events",
    "api_requests",
]


def worker_for(services: Services, holder: str = "worker-a") -> EventWorker:
    return EventWorker(services, holder, BackgroundShare(services.runtime.realm_limits))


def reconciler_for(
    services: Services, holder: str = "reconciler-a", interval: float = 300.0
) -> Reconciler:
    return Reconciler(
        services,
        holder,
        BackgroundShare(services.runtime.realm_limits),
        interval=timedelta(seconds=interval),
    )


async def deliver(sb: Sandbox) -> None:
    """Let the stand-in's webhook deliveries in flight reach the app."""
    assert sb.services.sandbox is not None
    await webhook_sender(sb.services.sandbox).drain()


async def pay_on_page(sb: Sandbox, invoice_id: str, amount: str) -> None:
    """What a bookkeeper does on the stand-in's payment page (its webhook leaves with it)."""
    response = await sb.client.post(
        "/sandbox/quickbooks/payments",
        data={"realm_id": US_REALM_ID, "invoice_id": invoice_id, "amount": amount},
    )
    assert response.status_code == 303, response.text


def signature(services: Services, body: bytes) -> str:
    key = str(services.settings.qbo_webhook_verifier_token).encode()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


async def signed_post(
    client: httpx.AsyncClient, services: Services, payload: Any
) -> httpx.Response:
    """What Intuit sends: the JSON body signed with the verifier token."""
    body = json.dumps(payload).encode()
    return await client.post(
        "/quickbooks/webhooks",
        content=body,
        headers={"intuit-signature": signature(services, body), "content-type": "application/json"},
    )


def cloud_event(
    entity: str, entity_id: str, verb: str, event_id: str, *, time: str, data: Any = None
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "intuit.test",
        "type": f"qbo.{entity.lower()}.{verb}.v1",
        "datacontenttype": "application/json",
        "time": time,
        "intuitentityid": entity_id,
        "intuitaccountid": US_REALM_ID,
        "data": data or {},
    }


async def mirrored(sb: Sandbox, invoice_id: str) -> MirroredInvoice | None:
    async with sb.db() as session:
        return await session.scalar(
            select(MirroredInvoice).where(
                MirroredInvoice.company_id == COMPANY_ID,
                MirroredInvoice.invoice_id == invoice_id,
            )
        )


async def events(sb: Sandbox) -> list[QuickBooksWebhookEvent]:
    async with sb.db() as session:
        rows = await session.scalars(
            select(QuickBooksWebhookEvent).order_by(QuickBooksWebhookEvent.id)
        )
        return list(rows)


def api_requests(sb: Sandbox) -> list[str]:
    """The stand-in's API calls since the last clear, as ``METHOD path?query=…`` lines."""
    lines = []
    for request in sb.qbo.requests:
        tail = request.path.split(f"/v3/company/{US_REALM_ID}/", 1)[-1]
        query = request.query.get("query") or request.query.get("entities") or ""
        lines.append(f"{request.method} {tail} {query}".strip())
    return lines


def money(value: Any) -> Decimal:
    return Decimal(str(value))
