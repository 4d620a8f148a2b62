"""The life of a stored webhook event: claimed by one worker at a time, then applied once.

- **Claim** is one ``UPDATE … WHERE id IN (oldest claimable) AND <still claimable> RETURNING``.
  An event is claimable while it is not applied and nobody holds an unexpired claim on it. On
  PostgreSQL the inner select skips rows another claimer has locked (``SKIP LOCKED``), and the
  outer condition is checked again on the locked row, so two processes never take the same
  event at the same moment; SQLite runs one writer at a time anyway.
- A worker that dies holding a claim simply stops: once ``claim_expires_at`` has passed, the
  next claim takes the event again. Applying is idempotent (QuickBooks is read again, and the
  mirror keeps the newest version), so an event applied twice changes nothing the second time.
- **Finish** marks events applied with an outcome; **release** gives a claim back after a
  failed attempt with the time it may be tried again, and after ``max_attempts`` marks the
  event ``failed`` (the reconciler's change data capture reaches the same change anyway).
- **Prune** forgets applied events once Intuit can no longer redeliver them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from extension.store.quickbooks_models import QuickBooksWebhookEvent as Event

__all__ = [
    "ClaimedEvent",
    "claim_events",
    "finish_events",
    "release_events",
    "prune_events",
]


@dataclass(frozen=True, slots=True)
class ClaimedEvent:
    id: int
    company_id: int
    realm_id: str
    entity_name: str
    entity_id: str
    operation: str
    occurred_at: str
    deleted_id: str
    attempts: int


def _claimable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Event.processed_at.is_(None),
        or_(Event.claim_expires_at.is_(None), Event.claim_expires_at <= now),
    )


async def claim_events(
    session: AsyncSession, *, holder: str, now: datetime, ttl: timedelta, limit: int
) -> list[ClaimedEvent]:
    """Claim up to ``limit`` of the oldest claimable events for ``holder`` until ``now + ttl``."""
    oldest = select(Event.id).where(*_claimable(now)).order_by(Event.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    rows = await session.execute(
        update(Event)
        .where(Event.id.in_(oldest.scalar_subquery()), *_claimable(now))
        .values(claimed_by=holder, claim_expires_at=now + ttl, attempts=Event.attempts + 1)
        .returning(
            Event.id,
            Event.company_id,
            Event.realm_id,
            Event.entity_name,
            Event.entity_id,
            Event.operation,
            Event.occurred_at,
            Event.deleted_id,
            Event.attempts,
        )
    )
    claimed = [ClaimedEvent(*row) for row in rows]
    return sorted(claimed, key=lambda event: event.id)


async def finish_events(
    session: AsyncSession, ids: Iterable[int], *, outcome: str, now: datetime
) -> int:
    """Mark these events applied with ``outcome`` (whoever holds them: applied is applied)."""
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    result = await session.execute(
        update(Event)
        .where(Event.id.in_(wanted), Event.processed_at.is_(None))
        .values(processed_at=now, outcome=outcome, claimed_by=None, claim_expires_at=None)
    )
    return int(cast(CursorResult[Any], result).rowcount)


async def release_events(
    session: AsyncSession,
    ids: Iterable[int],
    *,
    holder: str,
    retry_at: datetime,
    max_attempts: int,
    now: datetime,
) -> int:
    """Give back ``holder``'s claims after a failed attempt: claimable again at ``retry_at``,
    or ``failed`` for good after ``max_attempts``. Returns how many were given up."""
    wanted = sorted(set(ids))
    if not wanted:
        return 0
    mine = (Event.id.in_(wanted), Event.claimed_by == holder, Event.processed_at.is_(None))
    given_up = await session.execute(
        update(Event)
        .where(*mine, Event.attempts >= max_attempts)
        .values(processed_at=now, outcome="failed", claimed_by=None, claim_expires_at=None)
    )
    await session.execute(
        update(Event).where(*mine).values(claimed_by=None, claim_expires_at=retry_at)
    )
    return int(cast(CursorResult[Any], given_up).rowcount)


async def prune_events(session: AsyncSession, company_id: int, *, before: datetime) -> int:
    """Forget the company's events applied before ``before``."""
    result = await session.execute(
        delete(Event).where(
            Event.company_id == company_id,
            Event.processed_at.is_not(None),
            Event.processed_at < before,
        )
    )
    return int(cast(CursorResult[Any], result).rowcount)
