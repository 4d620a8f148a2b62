"""The reconciler's state per company and realm: its change-data-capture checkpoint and a lease,
so that with several app processes on one database one of them reconciles a realm at a time.

The lease rule:

- **Acquire** is one ``INSERT … ON CONFLICT DO UPDATE … WHERE`` the lease is free, expired or
  already ours. Among any number of concurrent acquirers, in one process or many, exactly one
  gets the row back; the others get nothing and stay idle until the next round.
- A holder that dies stops renewing; once ``lease_expires_at`` has passed, the next acquirer
  takes the lease over. The lease should be a few times the reconciler's round so that one
  slow round does not hand it over.
- **Renew** and **release** act only while the caller is still the holder.
- **Advancing the checkpoint** requires holding the lease in the same statement (a fencing
  check): a holder that lost its lease while CDC was running cannot move the checkpoint its
  successor now owns. The checkpoint only moves forward; advancing it also records when the
  reconciliation completed (``reconciled_at``), which says when the next one is due.
- **Candidates** are the connected companies whose lease is free, expired or the caller's: one
  query per round, so a process does not knock on every lease another process holds.

Times come from the caller (``now``), the app's clock: processes on several hosts need their
clocks in sync (NTP) to well within the lease length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from extension.store.invoice_models import InvoiceSyncState
from extension.store.models import utcnow
from extension.store.quickbooks_models import QuickBooksConnection
from extension.store.upsert import insert_for

__all__ = [
    "LeaseCandidate",
    "lease_candidates",
    "acquire_reconciler_lease",
    "renew_reconciler_lease",
    "release_reconciler_lease",
    "cdc_checkpoint",
    "advance_cdc_checkpoint",
]


def _key(company_id: int, realm_id: str) -> tuple[ColumnElement[bool], ...]:
    return (InvoiceSyncState.company_id == company_id, InvoiceSyncState.realm_id == realm_id)


@dataclass(frozen=True, slots=True)
class LeaseCandidate:
    company_id: int
    realm_id: str
    held_by_caller: bool
    reconciled_at: datetime | None


async def lease_candidates(
    session: AsyncSession, *, holder: str, now: datetime
) -> list[LeaseCandidate]:
    """Every connected company (its current realm) whose lease ``holder`` could take or holds."""
    state = InvoiceSyncState
    rows = await session.execute(
        select(
            QuickBooksConnection.company_id,
            QuickBooksConnection.realm_id,
            state.lease_holder,
            state.reconciled_at,
        )
        .outerjoin(
            state,
            and_(
                state.company_id == QuickBooksConnection.company_id,
                state.realm_id == QuickBooksConnection.realm_id,
            ),
        )
        .where(
            QuickBooksConnection.needs_reconnect.is_(False),
            or_(
                state.lease_holder.is_(None),
                state.lease_holder == holder,
                state.lease_expires_at <= now,
            ),
        )
        .order_by(QuickBooksConnection.company_id)
    )
    return [
        LeaseCandidate(company_id, realm_id, lease_holder == holder, reconciled_at)
        for company_id, realm_id, lease_holder, reconciled_at in rows
    ]


async def acquire_reconciler_lease(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    *,
    holder: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Become (or stay) the realm's reconciler until ``now + ttl``; False if another holds it."""
    at = now or utcnow()
    stmt = insert_for(session, InvoiceSyncState).values(
        company_id=company_id,
        realm_id=realm_id,
        lease_holder=holder,
        lease_expires_at=at + ttl,
        updated_at=at,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["company_id", "realm_id"],
        set_={
            "lease_holder": stmt.excluded.lease_holder,
            "lease_expires_at": stmt.excluded.lease_expires_at,
            "updated_at": stmt.excluded.updated_at,
        },
        where=or_(
            InvoiceSyncState.lease_holder.is_(None),
            InvoiceSyncState.lease_holder == holder,
            InvoiceSyncState.lease_expires_at <= at,
        ),
    ).returning(InvoiceSyncState.lease_holder)
    return bool(await session.scalar(stmt) == holder)


async def renew_reconciler_lease(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    *,
    holder: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> bool:
    """Extend the lease; False when the caller no longer holds it (then it must stop)."""
    at = now or utcnow()
    renewed = await session.scalar(
        update(InvoiceSyncState)
        .where(*_key(company_id, realm_id), InvoiceSyncState.lease_holder == holder)
        .values(lease_expires_at=at + ttl, updated_at=at)
        .returning(InvoiceSyncState.lease_holder)
    )
    return renewed is not None


async def release_reconciler_lease(
    session: AsyncSession, company_id: int, realm_id: str, *, holder: str
) -> bool:
    """Give the lease up (on shutdown), so another process need not wait for it to expire."""
    released = await session.scalar(
        update(InvoiceSyncState)
        .where(*_key(company_id, realm_id), InvoiceSyncState.lease_holder == holder)
        .values(lease_holder=None, lease_expires_at=None, updated_at=utcnow())
        .returning(InvoiceSyncState.realm_id)
    )
    return released is not None


async def cdc_checkpoint(session: AsyncSession, company_id: int, realm_id: str) -> datetime | None:
    """The instant up to which changes were applied; None before the first reconciliation."""
    return await session.scalar(
        select(InvoiceSyncState.cdc_checkpoint).where(*_key(company_id, realm_id))
    )


async def advance_cdc_checkpoint(
    session: AsyncSession,
    company_id: int,
    realm_id: str,
    *,
    holder: str,
    to: datetime,
    now: datetime | None = None,
) -> bool:
    """Move the checkpoint forward to ``to`` (never back) while the caller holds an unexpired
    lease; False, changing nothing, when it does not."""
    at = now or utcnow()
    checkpoint = InvoiceSyncState.cdc_checkpoint
    advanced = await session.scalar(
        update(InvoiceSyncState)
        .where(
            *_key(company_id, realm_id),
            InvoiceSyncState.lease_holder == holder,
            InvoiceSyncState.lease_expires_at > at,
        )
        .values(
            cdc_checkpoint=case((or_(checkpoint.is_(None), checkpoint < to), to), else_=checkpoint),
            reconciled_at=at,
            updated_at=at,
        )
        .returning(InvoiceSyncState.realm_id)
    )
    return advanced is not None
