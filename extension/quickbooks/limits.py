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

Background work (applying webhook events, reconciling) goes through a :class:`BackgroundShare`
of the same limits: it counts in the realm's window and slots like anyone else, but may take
only a bounded part of them (a few of the ten slots, a fifth of the 500 requests a minute),
and after a 429 it rests one window longer than the people using the app do, so the minute
after a throttle belongs to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Limits",
    "RealmLimits",
    "BackgroundShare",
    "MAX_IN_FLIGHT_PER_REALM",
    "WINDOW_SECONDS",
    "BACKGROUND_IN_FLIGHT",
    "BACKGROUND_PER_MINUTE",
]

MAX_IN_FLIGHT_PER_REALM = 10
WINDOW_SECONDS = 60.0
# What background work may use of each realm's budget, per process (reference §6.2: 10 in
# flight, 500 a minute): the rest is always left to the people using the app.
BACKGROUND_IN_FLIGHT = 3
BACKGROUND_PER_MINUTE = 100


class Limits(Protocol):
    """What the transport asks of a realm's limits before and after each request."""

    def wait_left(self, realm_id: str) -> float: ...

    def in_flight(self, realm_id: str) -> AbstractAsyncContextManager[Any]: ...

    def note_request(self, realm_id: str) -> None: ...

    def throttled(self, realm_id: str, retry_after: float | None = None) -> float: ...


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

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    @property
    def window(self) -> float:
        return self._window

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


class BackgroundShare:
    """A bounded share of a :class:`RealmLimits` for work nobody is waiting on."""

    def __init__(
        self,
        shared: RealmLimits,
        *,
        max_in_flight: int = BACKGROUND_IN_FLIGHT,
        per_minute: int = BACKGROUND_PER_MINUTE,
    ) -> None:
        self.shared = shared
        self._max_in_flight = max_in_flight
        self._per_minute = per_minute
        self._sent: dict[str, deque[float]] = {}
        self._rest_until: dict[str, float] = {}
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"BackgroundShare(in_flight={self._max_in_flight}, per_minute={self._per_minute})"

    def _recent(self, realm_id: str) -> deque[float]:
        sent = self._sent.setdefault(realm_id, deque())
        horizon = self.shared.clock() - self.shared.window
        while sent and sent[0] <= horizon:
            sent.popleft()
        return sent

    def wait_left(self, realm_id: str) -> float:
        now = self.shared.clock()
        waits = [self.shared.wait_left(realm_id), self._rest_until.get(realm_id, 0.0) - now]
        sent = self._recent(realm_id)
        if len(sent) >= self._per_minute:
            waits.append(sent[0] + self.shared.window - now)
        return max(max(waits), 0.0)

    @contextlib.asynccontextmanager
    async def in_flight(self, realm_id: str) -> AsyncIterator[None]:
        per_loop = self._semaphores.setdefault(asyncio.get_running_loop(), {})
        own = per_loop.setdefault(realm_id, asyncio.Semaphore(self._max_in_flight))
        async with own, self.shared.in_flight(realm_id):
            yield

    def note_request(self, realm_id: str) -> None:
        self.shared.note_request(realm_id)
        self._recent(realm_id).append(self.shared.clock())

    def throttled(self, realm_id: str, retry_after: float | None = None) -> float:
        wait = self.shared.throttled(realm_id, retry_after)
        rest = wait + self.shared.window
        self._rest_until[realm_id] = max(
            self._rest_until.get(realm_id, 0.0), self.shared.clock() + rest
        )
        return rest
