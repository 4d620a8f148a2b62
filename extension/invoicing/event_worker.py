"""The event worker: applies stored webhook notifications to the mirror, never in a request.

Each round claims a batch of pending events (``extension.store.webhook_events``), groups them
by company and applies each company's batch at once (``change_apply``: a few ``Id IN (…)``
queries however many events there are), then marks each event with its outcome:

- ``applied``: it concerned an invoice linked to a deal (or a payment of one, or a linked
  contact's customer), now current in the mirror;
- ``ignored``: it did not (another entity, an invoice on no deal, a realm the company is no
  longer connected to);
- ``not_connected``: the company's QuickBooks needs reconnecting; once it is, the reconciler's
  change data capture catches up;
- on a failure QuickBooks may recover from (unreachable, throttled) the claim is given back
  with a later retry time; after ``MAX_ATTEMPTS`` the event is ``failed`` (the reconciler
  reaches the same change).

QuickBooks is called through the background share of the realm's limits, so this never takes
what the people using the app need.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from extension.accounts.quickbooks_connection import client_for_company
from extension.invoicing.change_apply import Settled, apply_changes
from extension.invoicing.change_plan import ChangePlan, plan_changes
from extension.quickbooks.errors import (
    QuickBooksError,
    QuickBooksRateLimited,
    QuickBooksReconnectRequired,
)
from extension.quickbooks.limits import Limits
from extension.services import Services
from extension.store.models import utcnow
from extension.store.quickbooks_connections import load_connection
from extension.store.webhook_events import (
    ClaimedEvent,
    claim_events,
    finish_events,
    release_events,
)

__all__ = ["EventWorker", "CLAIM_TTL", "MAX_ATTEMPTS", "CLAIM_LIMIT"]

logger = logging.getLogger(__name__)

# Longer than one company's batch can take (three queries, each with its retries), so a live
# worker's claim does not run out under it; a dead worker's events wait at most this long.
CLAIM_TTL = timedelta(minutes=5)
CLAIM_LIMIT = 1000  # as many ids as one Id IN (…) query takes
MAX_ATTEMPTS = 8
_FIRST_RETRY = 5.0
_LAST_RETRY = 600.0


def _retry_delay(attempts: int) -> float:
    return float(min(_FIRST_RETRY * 2 ** max(attempts - 1, 0), _LAST_RETRY))


def _outcomes(plan: ChangePlan, settled: Settled) -> dict[str, set[int]]:
    outcomes: dict[str, set[int]] = defaultdict(set)
    outcomes["ignored"] |= plan.ignored
    for event_id, invoice_id in plan.by_invoice.items():
        outcomes["applied" if invoice_id in settled.invoices else "ignored"].add(event_id)
    for event_id, payment_id in plan.by_payment.items():
        outcomes["applied" if payment_id in settled.payments else "ignored"].add(event_id)
    for event_id, customer_id in plan.by_customer.items():
        outcomes["applied" if customer_id in settled.customers else "ignored"].add(event_id)
    return outcomes


@dataclass
class EventWorker:
    """Applies this process's share of pending events; ``holder`` names the process."""

    services: Services
    holder: str
    limits: Limits

    async def apply_pending(self, *, now: datetime | None = None) -> int:
        """One round: claim, apply per company, record outcomes. Returns how many events it
        claimed (0: nothing is waiting that may be tried now)."""
        at = now or utcnow()
        async with self.services.sessionmaker() as session, session.begin():
            claimed = await claim_events(
                session, holder=self.holder, now=at, ttl=CLAIM_TTL, limit=CLAIM_LIMIT
            )
        by_company: dict[int, list[ClaimedEvent]] = defaultdict(list)
        for event in claimed:
            by_company[event.company_id].append(event)
        for company_id, events in by_company.items():
            await self._apply_company(company_id, events, at)
        return len(claimed)

    async def _apply_company(
        self, company_id: int, events: list[ClaimedEvent], now: datetime
    ) -> None:
        services = self.services
        async with services.sessionmaker() as session:
            connection = await load_connection(session, company_id)
        realm_id = connection.realm_id if connection is not None else None
        elsewhere = {e.id for e in events if e.realm_id != realm_id}
        ours = [e for e in events if e.id not in elsewhere]
        if connection is not None and connection.needs_reconnect and ours:
            await self._finish({"not_connected": {e.id for e in ours}, "ignored": elsewhere})
            return
        plan = plan_changes(ours, now=now)
        outcomes: dict[str, set[int]] = {"ignored": elsewhere | plan.ignored}
        pending = [e for e in ours if e.id not in plan.ignored]
        if not plan.empty:
            try:
                client = await client_for_company(services, company_id, limits=self.limits)
                settled = await apply_changes(services, company_id, client, plan)
            except QuickBooksReconnectRequired:
                outcomes["not_connected"] = {e.id for e in pending}
            except QuickBooksError as exc:
                await self._retry(company_id, pending, exc, now)
                await self._finish(outcomes)
                return
            except Exception:
                # A bug must not lose events: they are tried again later, and logged.
                logger.exception("applying QuickBooks events of company %s failed", company_id)
                await self._retry(company_id, pending, None, now)
                await self._finish(outcomes)
                return
            else:
                for outcome, ids in _outcomes(plan, settled).items():
                    outcomes[outcome] = outcomes.get(outcome, set()) | ids
                logger.info(
                    "applied %d QuickBooks events of company %s with %d requests",
                    len(ours),
                    company_id,
                    settled.requests,
                )
        await self._finish(outcomes)

    async def _retry(
        self,
        company_id: int,
        events: list[ClaimedEvent],
        error: QuickBooksError | None,
        now: datetime,
    ) -> None:
        attempts = max((e.attempts for e in events), default=1)
        delay = _retry_delay(attempts)
        if isinstance(error, QuickBooksRateLimited):
            delay = max(delay, error.retry_after)
        if error is not None:
            logger.warning(
                "QuickBooks events of company %s wait %.0f s: %s", company_id, delay, error
            )
        async with self.services.sessionmaker() as session, session.begin():
            given_up = await release_events(
                session,
                [e.id for e in events],
                holder=self.holder,
                retry_at=now + timedelta(seconds=delay),
                max_attempts=MAX_ATTEMPTS,
                now=now,
            )
        if given_up:
            logger.warning(
                "%d QuickBooks events of company %s failed %d times; the reconciler covers them",
                given_up,
                company_id,
                MAX_ATTEMPTS,
            )

    async def _finish(self, outcomes: dict[str, set[int]]) -> None:
        now = utcnow()
        async with self.services.sessionmaker() as session, session.begin():
            for outcome, ids in sorted(outcomes.items()):
                await finish_events(session, ids, outcome=outcome, now=now)
