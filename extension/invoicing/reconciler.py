"""The reconciler: whatever webhooks missed reaches the mirror through change data capture.

Intuit's own advice (reference §5.4): webhooks can be lost or refused, so ask ``cdc`` for
everything changed since the last known point. Every few minutes (``QBO_RECONCILE_SECONDS``),
for each connected QuickBooks company:

- ``GET /cdc?entities=Invoice,Payment&changedSince=<checkpoint>``: one request whose answer
  holds the changed invoices and payments themselves, applied like webhook events
  (``change_apply``; only the invoices linked to a deal, plus those a changed payment pays or
  paid, which costs one more query);
- when there is no checkpoint yet, or it is older than QuickBooks keeps changes (30 days; CDC
  then refuses, error 2190), or the answer is cut at QuickBooks' 1,000 objects: every linked
  invoice is read again by ``Id IN (…)`` instead.

The checkpoint moves to the round's start less a small overlap (clocks differ, and a change
committed while CDC ran must not fall between two rounds); reading a change twice is harmless.

One process reconciles a company at a time: a lease per company and realm in the database
(``extension.store.sync_state``), renewed every tick by a heartbeat of its own (so a round
that waits long on QuickBooks does not let the lease lapse), expiring a few ticks after its
holder stops. A process reconciles a company at once when it takes its lease (start-up, or a
dead holder's lease taken over), then whenever a round is due.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from extension.accounts.quickbooks_connection import client_for_company
from extension.invoicing.change_apply import apply_changes
from extension.invoicing.change_plan import ChangePlan
from extension.invoicing.draft_recovery import settle_abandoned_posts
from extension.invoicing.mirror_sync import read_by_ids
from extension.quickbooks.bulk import ChangeSet
from extension.quickbooks.errors import (
    QuickBooksError,
    QuickBooksRateLimited,
    QuickBooksReconnectRequired,
    QuickBooksRejected,
)
from extension.quickbooks.invoice_models import Invoice, Payment
from extension.quickbooks.limits import Limits
from extension.services import Services
from extension.store.deal_links import linked_invoice_ids
from extension.store.models import utcnow
from extension.store.sync_state import (
    acquire_reconciler_lease,
    advance_cdc_checkpoint,
    cdc_checkpoint,
    lease_candidates,
    release_reconciler_lease,
    renew_reconciler_lease,
)
from extension.store.webhook_events import prune_events

__all__ = [
    "Reconciler",
    "Reconciled",
    "reconcile_company",
    "CDC_ENTITIES",
    "CDC_REACH",
    "OVERLAP",
]

logger = logging.getLogger(__name__)

CDC_ENTITIES = ("Invoice", "Payment")
# QuickBooks answers CDC for the last 30 days; an hour's margin keeps clocks out of it.
CDC_REACH = timedelta(days=30) - timedelta(hours=1)
CDC_CAP = 1000
OVERLAP = timedelta(minutes=2)
# Intuit stops redelivering well within this; applied events are forgotten after it.
KEEP_EVENTS = timedelta(days=14)
MAX_TICK = 30.0


@dataclass(frozen=True, slots=True)
class Reconciled:
    how: Literal["cdc", "full"]
    requests: int
    invoices: int


def _plan(changes: ChangeSet, now: datetime) -> tuple[ChangePlan, list[Invoice], list[Payment]]:
    plan = ChangePlan()
    for gone in changes.deleted:
        if gone.entity == "Invoice":
            plan.deleted_invoices[gone.id] = gone.updated_at or now
        elif gone.entity == "Payment":
            plan.deleted_payments.add(gone.id)
    invoices = [i for i in changes.of("Invoice") if isinstance(i, Invoice)]
    payments = [p for p in changes.of("Payment") if isinstance(p, Payment)]
    return plan, invoices, payments


def _cut(changes: ChangeSet) -> bool:
    """QuickBooks returns at most 1,000 objects: a full answer may be missing some."""
    counts = [len(changes.of(entity)) for entity in CDC_ENTITIES] + [len(changes.deleted)]
    return sum(counts) >= CDC_CAP


async def reconcile_company(
    services: Services,
    company_id: int,
    realm_id: str,
    *,
    holder: str,
    limits: Limits,
    now: datetime | None = None,
) -> Reconciled | None:
    """One round for one company whose lease ``holder`` holds; None when the company is now
    connected to another realm. Raises the client's errors (then nothing moves)."""
    started = now or utcnow()
    async with services.sessionmaker() as session:
        checkpoint = await cdc_checkpoint(session, company_id, realm_id)
        ids = await linked_invoice_ids(session, company_id, realm_id)
    client = await client_for_company(services, company_id, limits=limits)
    if client.realm_id != realm_id:
        return None
    result: Reconciled | None = None
    if not ids:
        # No deal shows an invoice of this company: nothing to ask QuickBooks about.
        result = Reconciled("cdc", 0, 0)
    elif checkpoint is not None and started - checkpoint <= CDC_REACH:
        try:
            changes = await client.change_data_capture(CDC_ENTITIES, since=checkpoint)
        except QuickBooksRejected as exc:
            # 2190: changedSince is further back than QuickBooks keeps changes.
            logger.info("CDC refused for company %s (%s): reading every invoice", company_id, exc)
        else:
            if not _cut(changes):
                plan, invoices, payments = _plan(changes, started)
                settled = await apply_changes(
                    services, company_id, client, plan, invoices=invoices, payments=payments
                )
                result = Reconciled("cdc", 1 + settled.requests, len(settled.invoices))
    if result is None:
        await read_by_ids(services, company_id, client, ids)
        result = Reconciled("full", -(-len(ids) // CDC_CAP), len(ids))
    async with services.sessionmaker() as session, session.begin():
        moved = await advance_cdc_checkpoint(
            session, company_id, realm_id, holder=holder, to=started - OVERLAP, now=now
        )
        if moved:
            await prune_events(session, company_id, before=started - KEEP_EVENTS)
    if not moved:
        logger.warning("reconciler lost the lease of company %s during a round", company_id)
    return result


@dataclass
class Reconciler:
    """This process's reconciler: takes the leases it can, reconciles what is due."""

    services: Services
    holder: str
    limits: Limits
    interval: timedelta
    held: set[tuple[int, str]] = field(default_factory=set)
    _not_before: dict[tuple[int, str], float] = field(default_factory=dict)

    @property
    def tick(self) -> float:
        """How often leases are renewed and due rounds looked for (seconds): a quarter of the
        interval, so a round starts at most a quarter late; at most 30 s, at least 1 s."""
        return max(1.0, min(MAX_TICK, self.interval.total_seconds() / 4))

    @property
    def lease_ttl(self) -> timedelta:
        return timedelta(seconds=3 * self.tick)

    async def round(self, *, now: datetime | None = None) -> list[tuple[int, str]]:
        """Renew or take every lease this process may hold; reconcile those due. Returns the
        companies reconciled."""
        at = now or utcnow()
        services = self.services
        async with services.sessionmaker() as session:
            candidates = await lease_candidates(session, holder=self.holder, now=at)
        reconciled: list[tuple[int, str]] = []
        seen: set[tuple[int, str]] = set()
        for candidate in candidates:
            key = (candidate.company_id, candidate.realm_id)
            async with services.sessionmaker() as session, session.begin():
                taken = await acquire_reconciler_lease(
                    session, *key, holder=self.holder, ttl=self.lease_ttl, now=at
                )
            if not taken:
                continue
            seen.add(key)
            newly = key not in self.held
            self.held.add(key)
            last = candidate.reconciled_at
            due = newly or last is None or at - last >= self.interval
            resting = time.monotonic() < self._not_before.get(key, 0.0)
            if due and not resting and await self._reconcile(key, now):
                reconciled.append(key)
        # Leases that are no longer ours to renew: taken over, or the company disconnected.
        for key in self.held - seen:
            self.held.discard(key)
            self._not_before.pop(key, None)
        return reconciled

    async def _reconcile(self, key: tuple[int, str], now: datetime | None) -> bool:
        company_id, realm_id = key
        try:
            # Drafts whose process died mid-post: their invoices then show on their deals.
            await settle_abandoned_posts(self.services, company_id, realm_id, limits=self.limits)
        except QuickBooksError as exc:
            # They wait for the next round (or their person); the round itself goes on.
            logger.warning("finishing abandoned drafts of company %s failed: %s", company_id, exc)
        try:
            done = await reconcile_company(
                self.services, company_id, realm_id, holder=self.holder, limits=self.limits, now=now
            )
        except QuickBooksReconnectRequired:
            self._rest(key, self.interval.total_seconds())
            return False
        except QuickBooksRateLimited as exc:
            self._rest(key, exc.retry_after)
            return False
        except QuickBooksError as exc:
            logger.warning("reconciling company %s failed: %s", company_id, exc)
            self._rest(key, min(60.0, self.interval.total_seconds()))
            return False
        self._not_before.pop(key, None)
        if done is not None:
            # A round that asked QuickBooks nothing is routine: say it only when debugging.
            logger.log(
                logging.INFO if done.requests else logging.DEBUG,
                "reconciled company %s by %s: %d requests, %d invoices",
                company_id,
                done.how,
                done.requests,
                done.invoices,
            )
        return done is not None

    async def heartbeat(self, *, now: datetime | None = None) -> None:
        """Renew every lease held, whatever a round is doing; forget those lost."""
        at = now or utcnow()
        for key in sorted(self.held):
            async with self.services.sessionmaker() as session, session.begin():
                kept = await renew_reconciler_lease(
                    session, *key, holder=self.holder, ttl=self.lease_ttl, now=at
                )
            if not kept:
                self.held.discard(key)

    def _rest(self, key: tuple[int, str], seconds: float) -> None:
        self._not_before[key] = time.monotonic() + seconds

    async def release_all(self) -> None:
        """Give every lease up (shutdown), so another process need not wait for them."""
        for company_id, realm_id in sorted(self.held):
            async with self.services.sessionmaker() as session, session.begin():
                await release_reconciler_lease(session, company_id, realm_id, holder=self.holder)
        self.held.clear()
