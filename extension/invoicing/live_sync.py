"""The background work that keeps the mirror current, owned by the app's lifespan.

Tasks per process, started after the database and clients and stopped before them:

- the **event worker** (``event_worker``): wakes the moment a webhook request of this process
  stored events (``Services.events_stored``), and every few seconds otherwise, which is how it
  finds events another process stored;
- the **reconciler** (``reconciler``): every tick takes free or expired leases and reconciles
  the companies that are due, while a heartbeat beside it renews the leases it holds.

Both call QuickBooks through one :class:`~extension.quickbooks.limits.BackgroundShare` of the
process's realm limits. Stopping asks both to finish the round they are in, cancels them
after a short grace (an event being applied is simply claimed again later), and gives the
reconciler's leases up so another process takes over at once.

``QBO_BACKGROUND_SYNC=0`` leaves a process without them (it still stores webhook events, which
the processes that run them apply).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from extension.invoicing.event_worker import EventWorker
from extension.invoicing.reconciler import Reconciler
from extension.quickbooks.limits import BackgroundShare
from extension.services import Services

__all__ = ["LiveSync", "live_sync", "process_holder", "EVENT_POLL_SECONDS"]

logger = logging.getLogger(__name__)

# How often a worker looks for events another process stored (its own wake it at once).
EVENT_POLL_SECONDS = 2.0
_STOP_GRACE = 5.0
_AFTER_FAILURE = 5.0


def process_holder() -> str:
    """This process's name in claims and leases: host, pid and a nonce (a restarted process
    with a recycled pid is still someone else)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


async def _pause(stop: asyncio.Event, seconds: float, *also: asyncio.Event) -> None:
    """Wait ``seconds``, or less when ``stop`` (or one of ``also``) is set."""
    waits = [asyncio.ensure_future(event.wait()) for event in (stop, *also)]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


@dataclass
class LiveSync:
    worker: EventWorker
    reconciler: Reconciler
    stop: asyncio.Event
    poll_seconds: float = EVENT_POLL_SECONDS

    async def work(self) -> None:
        doorbell = self.worker.services.events_stored
        while not self.stop.is_set():
            doorbell.clear()  # before the round: a ring during it starts the next one
            try:
                claimed = await self.worker.apply_pending()
            except Exception:
                logger.exception("the event worker's round failed")
                await _pause(self.stop, _AFTER_FAILURE)
                continue
            if not claimed:
                await _pause(self.stop, self.poll_seconds, doorbell)

    async def reconcile(self) -> None:
        while not self.stop.is_set():
            try:
                await self.reconciler.round()
            except Exception:
                logger.exception("the reconciler's round failed")
            await _pause(self.stop, self.reconciler.tick)

    async def heartbeat(self) -> None:
        while not self.stop.is_set():
            await _pause(self.stop, self.reconciler.tick)
            try:
                await self.reconciler.heartbeat()
            except Exception:
                logger.exception("the reconciler's leases could not be renewed")


@contextlib.asynccontextmanager
async def live_sync(services: Services) -> AsyncIterator[LiveSync | None]:
    """Run the event worker and the reconciler for as long as the block runs."""
    settings = services.settings
    if not settings.background_sync:
        yield None
        return
    holder = process_holder()
    limits = BackgroundShare(services.runtime.realm_limits)
    sync = LiveSync(
        worker=EventWorker(services, holder, limits),
        reconciler=Reconciler(
            services,
            holder,
            limits,
            interval=timedelta(seconds=settings.reconcile_interval),
        ),
        stop=asyncio.Event(),
    )
    tasks = [
        asyncio.create_task(sync.work(), name="quickbooks-event-worker"),
        asyncio.create_task(sync.reconcile(), name="quickbooks-reconciler"),
        asyncio.create_task(sync.heartbeat(), name="quickbooks-reconciler-leases"),
    ]
    try:
        yield sync
    finally:
        sync.stop.set()
        _, running = await asyncio.wait(tasks, timeout=_STOP_GRACE)
        for task in running:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await sync.reconciler.release_all()
        except Exception:
            logger.exception("the reconciler's leases could not be given up; they will expire")
