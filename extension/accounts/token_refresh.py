"""The one way a stored OAuth grant is refreshed, for Pipedrive and QuickBooks alike.

Refresh tokens are precious: QuickBooks rotates them (a lost one means reconnecting by hand) and
Pipedrive's die after 60 days unused. So exactly one refresh per grant runs at a time:

1. an in-process ``asyncio.Lock`` per grant (``AccountsRuntime.refresh_lock``), then
2. the grant's row write-locked in the database (``FOR UPDATE`` on PostgreSQL, the write lock on
   SQLite) for the whole refresh, so another process waits and then finds the new tokens;
3. if the stored access token differs from the one that was refused and is still fresh,
   someone refreshed while we waited: use theirs;
4. otherwise call the token endpoint and store the new pair in the same transaction, before
   either token is used.

Only a refusal that means the grant is dead (``is_dead``) gives up the grant, and only after a
second look: if another process rotated the refresh token meanwhile, the newer one is tried
once. Every other failure (rate limit, outage, our own misconfiguration) propagates with the
stored tokens untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from extension.accounts.runtime import AccountsRuntime
from extension.store.grants import IssuedTokens, StoredGrant

__all__ = ["GrantStore", "Access", "GrantLost", "refresh_grant", "expiring"]


class GrantStore(Protocol):
    """Storage of one grant (implemented in ``extension.store.grants``)."""

    async def load_locked(self, session: AsyncSession) -> StoredGrant | None: ...

    async def save(self, session: AsyncSession, tokens: IssuedTokens) -> None: ...

    async def mark_dead(self, session: AsyncSession, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Access:
    token: str = field(repr=False)
    expires_at: datetime | None


class GrantLost(Exception):
    """The grant is gone (never stored, marked dead, unreadable, or refused for good)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def expiring(expires_at: datetime | None, margin: timedelta, now: datetime) -> bool:
    return expires_at is None or expires_at - margin <= now


async def refresh_grant(
    *,
    sessionmaker: async_sessionmaker[AsyncSession],
    runtime: AccountsRuntime,
    lock_key: Hashable,
    store: GrantStore,
    rejected: str | None,
    refresh: Callable[[str], Awaitable[IssuedTokens]],
    is_dead: Callable[[Exception], str | None],
    margin: timedelta,
    now: Callable[[], datetime],
) -> Access:
    """A usable access token for the grant, refreshing it at most once across the app.

    ``is_dead`` names why a refusal killed the grant, or returns None for any other failure.
    """
    async with runtime.refresh_lock(lock_key):
        for attempt in (1, 2):
            refused, reason = "", ""
            async with sessionmaker() as session, session.begin():
                grant = await store.load_locked(session)
                if grant is None:
                    raise GrantLost("not connected")
                if (
                    grant.access_token
                    and grant.access_token != rejected
                    and not expiring(grant.expires_at, margin, now())
                ):
                    return Access(grant.access_token, grant.expires_at)  # refreshed meanwhile
                if grant.refresh_token:
                    try:
                        tokens = await refresh(grant.refresh_token)
                    except Exception as exc:
                        dead = is_dead(exc)
                        if dead is None:
                            raise  # rolls back: the stored tokens stay as they were
                        refused, reason = grant.refresh_token, dead
                    else:
                        await store.save(session, tokens)
                        return Access(tokens.access_token, tokens.expires_at)
                else:
                    # No configured key reads it: as lost as a refused one. Marked in this
                    # transaction, which commits before GrantLost is raised below.
                    await store.mark_dead(session, "unreadable")
                    reason = "unreadable"
            if reason == "unreadable":
                raise GrantLost(reason)
            async with sessionmaker() as session, session.begin():
                grant = await store.load_locked(session)
                if grant is None:
                    raise GrantLost("not connected")
                if attempt == 1 and grant.refresh_token and grant.refresh_token != refused:
                    continue  # another process rotated it: try once with the newer token
                await store.mark_dead(session, reason)
            raise GrantLost(reason)
    raise AssertionError("unreachable")
