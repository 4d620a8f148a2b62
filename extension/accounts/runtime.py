"""In-process state the accounts layer keeps for the life of the app (the lifespan owns it).

- refresh locks: one ``asyncio.Lock`` per grant, so coroutines of this process queue for a
  refresh instead of all spending the same refresh token (processes are serialized by the row
  lock in the database as well);
- Pipedrive's field definitions per company (they cost 20 API tokens each);
- Intuit's per-realm limits (in flight, throttle windows);
- the retry policy both clients use (its sleep is what tests replace).
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass, field

from extension.pipedrive.fields import FieldCache
from extension.quickbooks.limits import RealmLimits
from extension.upstream_retry import RetryPolicy

__all__ = ["AccountsRuntime"]


@dataclass
class AccountsRuntime:
    fields: FieldCache = field(default_factory=FieldCache)
    realm_limits: RealmLimits = field(default_factory=RealmLimits)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    _locks: dict[Hashable, asyncio.Lock] = field(default_factory=dict)

    def refresh_lock(self, key: Hashable) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())
