"""Field definitions cached per company: custom-field hashes rarely change, and each list costs
20 tokens of the company's daily budget. ``refresh=True`` on the client bypasses the cache (after
an admin adds a field); an uninstall of the company's last user clears it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from extension.pipedrive.models import FieldSet

__all__ = ["FieldCache", "FIELD_CACHE_TTL"]

FIELD_CACHE_TTL = 900.0


class FieldCache:
    def __init__(
        self, *, ttl: float = FIELD_CACHE_TTL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[tuple[int, str], tuple[float, FieldSet]] = {}

    def get(self, company_id: int, entity: str) -> FieldSet | None:
        entry = self._entries.get((company_id, entity))
        if entry is None or self._clock() - entry[0] > self._ttl:
            return None
        return entry[1]

    def put(self, company_id: int, entity: str, fields: FieldSet) -> None:
        self._entries[(company_id, entity)] = (self._clock(), fields)

    def forget_company(self, company_id: int) -> None:
        self._entries = {k: v for k, v in self._entries.items() if k[0] != company_id}
