"""The webhook receiver: signature first, both formats, each event stored once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.invoice_models import InvoiceDraft, InvoiceLineDraft
from extension.sandbox.quickbooks import QuickBooksStandIn
from extension.sandbox.quickbooks.seed import US_REALM_ID
from extension.sandbox.quickbooks.webhooks_out import WebhookSender
from extension.services import Services
from extension.store.quickbooks_models import QuickBooksWebhookEvent

URL = "/quickbooks/webhooks"
CLOUD = [
    {
        "specversion": "1.0",
        "id": "88cd52aa-33b6-4351-9aa4-47572edbd068",
        "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
        "type": "qbo.invoice.voided.v1",
        "time": "2025-09-10T21:31:25.179851517Z",
        "intuitentityid": "99",
        "intuitaccountid": US_REALM_ID,
    }
]
LEGACY = {
    "eventNotifications": [
        {
            "realmId": US_REALM_ID,
            "dataChangeEvent": {
                "entities": [
                    {
                        "name": "Invoice",
                        "id": "130",
                        "operation": "Void",
                        "lastUpdated": "2025-09-08T20:52:31.657Z",
                    },
                    {
                        "name": "Payment",
                        "id": "7",
                        "operation": "Create",
                        "lastUpdated": "2025-09-08T20:52:31.657Z",
                    },
                ]
            },
        }
    ]
}


def signed(services: Services, body: bytes) -> dict[str, str]:
    key = str(services.settings.qbo_webhook_verifier_token).encode()
    return {
        "intuit-signature": base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
    }


async def stored(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, str, str]]:
    async with db() as session:
        rows = await session.execute(
            select(
                QuickBooksWebhookEvent.entity_name,
                QuickBooksWebhookEvent.entity_id,
                QuickBooksWebhookEvent.operation,
                QuickBooksWebhookEvent.payload_format,
            ).order_by(QuickBooksWebhookEvent.id)
        )
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_cloudevents_stored_once_whatever_the_content_type(
    client: httpx.AsyncClient,
    services: Services,
    db: async_sessionmaker[AsyncSession],
    connected: int,
) -> None:
    body = json.dumps(CLOUD).encode()
    headers = {**signed(services, body), "content-type": "application/cloudevents+json"}
    first = await client.post(URL, content=body, headers=headers)
    again = await client.post(URL, content=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert await stored(db) == [("Invoice", "99", "Void", "cloudevents")]


async def test_legacy_notifications_are_stored_once(
    client: httpx.AsyncClient,
    services: Services,
    db: async_sessionmaker[AsyncSession],
    connected: int,
) -> None:
    body = json.dumps(LEGACY).encode()
    for _ in range(2):
        response = await client.post(URL, content=body, headers=signed(services, body))
        assert response.status_code == 200
    assert await stored(db) == [
        ("Invoice", "130", "Void", "legacy"),
        ("Payment", "7", "Create", "legacy"),
    ]


async def test_a_bad_signature_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    services: Services,
    db: async_sessionmaker[AsyncSession],
    connected: int,
) -> None:
    body = json.dumps(CLOUD).encode()
    tampered = body.replace(b'"99"', b'"98"')
    response = await client.post(URL, content=tampered, headers=signed(services, body))
    missing = await client.post(URL, content=body)
    assert response.status_code == missing.status_code == 401
    assert await stored(db) == []


async def test_the_stand_in_notifies_the_app_after_a_change(
    qb: QuickBooksClient,
    qbo: QuickBooksStandIn,
    qbo_webhooks: WebhookSender,
    db: async_sessionmaker[AsyncSession],
) -> None:
    for fmt in ("cloudevents", "legacy"):
        qbo.config.webhook_format = fmt  # type: ignore[assignment]
        line = InvoiceLineDraft(item_id="1", amount=Decimal("100"))
        invoice = await qb.create_invoice(InvoiceDraft(customer_id="2", lines=(line,)))
        await qbo_webhooks.drain()
        assert ("Invoice", invoice.id, "Create", fmt) in await stored(db)
    assert {status for status, _ in qbo_webhooks.delivered} == {200}


async def test_app_shutdown_waits_for_webhook_deliveries_in_flight(settings) -> None:  # type: ignore[no-untyped-def]
    """A delivery still running when the app stops finishes first, so it never writes to a
    database (or event loop) that is already gone."""
    from datetime import UTC, datetime

    from extension.app import create_app
    from extension.sandbox.quickbooks import webhook_sender
    from extension.sandbox.quickbooks.state import Change

    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        sandbox = state["services"].sandbox
        assert sandbox is not None
        sender = webhook_sender(sandbox)
        sender.notify(US_REALM_ID, [Change("Invoice", "1", "Create", datetime.now(UTC))])
        assert sender.delivered == []  # still in flight when shutdown begins
    assert [status for status, _ in sender.delivered] == [200]


async def test_a_body_over_the_limit_is_refused_before_any_hmac(
    client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed: list[int] = []
    real_new = hmac.new

    def counting_new(key: bytes, msg: bytes = b"", digestmod: object = None) -> object:
        hashed.append(len(msg))
        return real_new(key, msg, digestmod)  # type: ignore[arg-type]

    monkeypatch.setattr(hmac, "new", counting_new)
    huge = b"[" + b" " * (2 * 1024 * 1024) + b"]"
    verifier = str(services.settings.qbo_webhook_verifier_token)
    signature = base64.b64encode(real_new(verifier.encode(), huge, hashlib.sha256).digest())
    response = await client.post(
        URL,
        content=huge,
        headers={"intuit-signature": signature.decode(), "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert hashed == []

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(3):  # no Content-Length: the ceiling applies while reading
            yield b" " * (512 * 1024)

    streamed = await client.post(URL, content=chunks(), headers={"intuit-signature": "x"})
    assert streamed.status_code == 413
    assert hashed == []


def test_a_merge_names_the_customer_merged_away_in_both_formats() -> None:
    from extension.quickbooks.webhooks import parse_notifications

    legacy = {"eventNotifications": [{"realmId": US_REALM_ID, "dataChangeEvent": {"entities": [
        {"name": "Customer", "id": "123", "operation": "Merge", "deletedId": "27",
         "lastUpdated": "2025-12-04T15:25:05Z"}]}}]}  # fmt: skip
    cloud = [{"specversion": "1.0", "id": "c-123", "source": "intuit.x",
              "type": "qbo.customer.merged.v1", "time": "2025-12-04T15:25:05Z",
              "intuitentityid": "123", "intuitaccountid": US_REALM_ID,
              "data": {"deletedid": "27"}}]  # fmt: skip
    for body in (legacy, cloud):
        (event,) = parse_notifications(json.dumps(body).encode())
        assert (event.entity_name, event.entity_id, event.operation, event.deleted_id) == (
            "Customer",
            "123",
            "Merge",
            "27",
        )
    (plain,) = parse_notifications(json.dumps(CLOUD).encode())
    assert plain.deleted_id == ""
