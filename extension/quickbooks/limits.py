"""Intuit's per-realm limits, kept by the client itself (reference/quickbooks.md §6.2).

- At most 10 requests in flight per realm: a semaphore per realm.
- 500 requests per minute per realm, and a 429 carries no ``Retry-After``: Intuit only says to
  wait. Each realm's requests are counted in one-minute windows (a window opens with the first
  request after the previous one ended). A 429 closes the realm until its window ends, so the
  wait is "the rest of this minute", neither a blind 60 s nor a 0.5 s retry that is refused
  again; while closed, calls for that realm fail at once with the time left, and nothing is
  sent to Intuit.

One :class:`RealmLimits` is shared by every QuickBooks client of the app (the lifespan makes it),
so two requests for the same realm see the same window. Semaphores belong to an event loop, so
each loop gets its own set.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RealmLimits", "MAX_IN_FLIGHT_PER_REALM", "WINDOW_SECONDS"]

MAX_IN_FLIGHT_PER_REALM = 10
WINDOW_SECONDS = 60.0


@dataclass(slots=True)
class _Window:
    started: float
    closed_until: float = 0.0


class RealmLimits:
    def __init__(
        self,
        *,
        max_in_flight: int = MAX_IN_FLIGHT_PER_REALM,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_in_flight = max_in_flight
        self._window = window
        self.clock = clock
        self._windows: dict[str, _Window] = {}
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"RealmLimits(realms={len(self._windows)})"

    def in_flight(self, realm_id: str) -> asyncio.Semaphore:
        per_loop = self._semaphores.setdefault(asyncio.get_running_loop(), {})
        if realm_id not in per_loop:
            per_loop[realm_id] = asyncio.Semaphore(self._max_in_flight)
        return per_loop[realm_id]

    def _current(self, realm_id: str) -> _Window:
        now = self.clock()
        window = self._windows.get(realm_id)
        if window is None or now >= window.started + self._window:
            closed_until = window.closed_until if window is not None else 0.0
            window = self._windows[realm_id] = _Window(started=now, closed_until=closed_until)
        return window

    def wait_left(self, realm_id: str) -> float:
        """Seconds until the realm may be called again (0 when it may be called now)."""
        window = self._windows.get(realm_id)
        if window is None:
            return 0.0
        return max(window.closed_until - self.clock(), 0.0)

    def note_request(self, realm_id: str) -> None:
        """Count a request into the realm's current window (opening one if none is open)."""
        self._current(realm_id)

    def throttled(self, realm_id: str, retry_after: float | None = None) -> float:
        """Intuit answered 429: close the realm for ``retry_after`` when it was given, else for
        the rest of the current window. Returns the wait."""
        window = self._current(realm_id)
        now = self.clock()
        until = now + retry_after if retry_after is not None else window.started + self._window
        # A 429 as the first request of a window means the whole minute is spent elsewhere.
        if until <= now:
            until = now + self._window
        window.closed_until = max(window.closed_until, until)
        return window.closed_until - now
