"""The reconciler's lease and CDC checkpoint: one holder, takeover after expiry, fencing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from extension.store.sync_state import (
    acquire_reconciler_lease,
    advance_cdc_checkpoint,
    cdc_checkpoint,
    release_reconciler_lease,
    renew_reconciler_lease,
)
from tests.store.conftest import COMPANY, NOW, OTHER_REALM, REALM, Sessions, concurrently

TTL = timedelta(minutes=5)


async def _acquire(db: Sessions, holder: str, minutes: float = 0, realm: str = REALM) -> bool:
    async with db() as session, session.begin():
        return await acquire_reconciler_lease(
            session, COMPANY, realm, holder=holder, ttl=TTL, now=NOW + timedelta(minutes=minutes)
        )


async def _advance(db: Sessions, holder: str, to_minutes: float, minutes: float = 0) -> bool:
    async with db() as session, session.begin():
        return await advance_cdc_checkpoint(
            session,
            COMPANY,
            REALM,
            holder=holder,
            to=NOW + timedelta(minutes=to_minutes),
            now=NOW + timedelta(minutes=minutes),
        )


async def _checkpoint(db: Sessions) -> object:
    async with db() as session:
        return await cdc_checkpoint(session, COMPANY, REALM)


async def test_one_holder_at_a_time_and_a_takeover_after_expiry(db: Sessions) -> None:
    assert await _acquire(db, "process-a")
    assert await _acquire(db, "process-a", minutes=1)  # acquiring again is renewing
    assert not await _acquire(db, "process-b", minutes=2)
    assert await _acquire(db, "process-b", minutes=2, realm=OTHER_REALM)  # each realm its own
    assert not await _acquire(db, "process-b", minutes=5.9)  # a's lease runs to minute 6
    assert await _acquire(db, "process-b", minutes=6)  # a died: b takes over
    assert not await _acquire(db, "process-a", minutes=7)


async def test_renew_and_release_only_by_the_holder(db: Sessions) -> None:
    await _acquire(db, "process-a")
    async with db() as session, session.begin():
        assert not await renew_reconciler_lease(
            session, COMPANY, REALM, holder="process-b", ttl=TTL, now=NOW
        )
        assert await renew_reconciler_lease(
            session, COMPANY, REALM, holder="process-a", ttl=TTL, now=NOW + timedelta(minutes=4)
        )
    assert not await _acquire(db, "process-b", minutes=8)  # renewed at 4 until 9
    async with db() as session, session.begin():
        assert not await release_reconciler_lease(session, COMPANY, REALM, holder="process-b")
        assert await release_reconciler_lease(session, COMPANY, REALM, holder="process-a")
    assert await _acquire(db, "process-b", minutes=8)  # released: no need to wait


async def test_the_checkpoint_moves_forward_and_only_for_the_holder(db: Sessions) -> None:
    assert await _checkpoint(db) is None
    assert not await _advance(db, "process-a", 1)  # no lease yet
    await _acquire(db, "process-a")
    assert await _advance(db, "process-a", 3)
    assert await _advance(db, "process-a", 2)  # held, but never backwards
    assert await _checkpoint(db) == NOW + timedelta(minutes=3)
    assert not await _advance(db, "process-a", 9, minutes=5)  # the lease ran out
    await _acquire(db, "process-b", minutes=5)
    assert not await _advance(db, "process-a", 9, minutes=5.5)  # fenced off: b owns it now
    assert await _advance(db, "process-b", 4, minutes=5.5)
    assert await _checkpoint(db) == NOW + timedelta(minutes=4)


@pytest.mark.parametrize("expired", [False, True])
async def test_of_ten_concurrent_acquirers_in_two_processes_one_holds(
    db: Sessions, other_db: Sessions, expired: bool
) -> None:
    if expired:
        assert await _acquire(db, "dead-process", minutes=-10)

    async def acquire(session: AsyncSession, index: int) -> bool:
        return await acquire_reconciler_lease(
            session, COMPANY, REALM, holder=f"process-{index}", ttl=TTL, now=NOW
        )

    results = await concurrently([db, other_db], 10, acquire)
    assert [r for r in results if not isinstance(r, bool)] == []
    assert results.count(True) == 1
    winner = f"process-{results.index(True)}"
    assert await _advance(db, winner, 1)
    assert not await _advance(db, "dead-process", 2)
