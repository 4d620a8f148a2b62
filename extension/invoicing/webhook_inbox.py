"""Intuit's change notifications, verified and stored once per company (live updates).

The signature is checked on the raw bytes before anything is parsed; the web layer has already
refused a body over ``MAX_WEBHOOK_BYTES`` before it was read in full. Events are stored with an
upsert keyed by their de-duplication key, so a redelivery stores nothing twice. Nothing else
happens in the request: storing wakes this process's event worker
(``extension.invoicing.event_worker``), which reads QuickBooks and updates the mirror, so the
answer Intuit waits for (within 3 seconds) never waits on QuickBooks itself.
"""

from __future__ import annotations

from extension.quickbooks.webhooks import parse_notifications, verify_signature
from extension.services import Services
from extension.store.quickbooks_connections import companies_by_realm, store_webhook_events

__all__ = ["MAX_WEBHOOK_BYTES", "receive_notifications"]

# Intuit batches a few hundred entities at most; a megabyte is far beyond any real delivery.
MAX_WEBHOOK_BYTES = 1024 * 1024


async def receive_notifications(services: Services, body: bytes, signature: str | None) -> bool:
    """False when the signature does not match (nothing is read then)."""
    verifier = str(services.settings.qbo_webhook_verifier_token)
    if not verify_signature(verifier, body, signature):
        return False
    events = parse_notifications(body)
    if not events:
        return True
    async with services.sessionmaker() as session, session.begin():
        companies = await companies_by_realm(session, {e.realm_id for e in events})
        await store_webhook_events(
            session,
            [
                {
                    "company_id": company_id,
                    "dedup_key": e.dedup_key[:255],
                    "realm_id": e.realm_id[:32],
                    "entity_name": e.entity_name[:64],
                    "entity_id": e.entity_id[:64],
                    "operation": e.operation[:32],
                    "occurred_at": e.occurred_at[:64],
                    "payload_format": e.payload_format,
                    "deleted_id": e.deleted_id[:64],
                }
                for e in events
                for company_id in companies.get(e.realm_id, [])
            ],
        )
    services.events_stored.set()
    return True
