"""Is this process able to serve? The answer a load balancer or orchestrator asks ``/healthz``.

Only the database is checked: without it no page works, and it is the one dependency every
process shares. Pipedrive and QuickBooks are deliberately not asked: a health check that fails
when an upstream has an outage would take every process out of the load balancer at once, and
a poll every few seconds would spend the companies' API budgets for nothing.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from extension.services import Services
from extension.store.db import ping

__all__ = ["DatabaseHealth", "check_database", "DATABASE_TIMEOUT"]

logger = logging.getLogger(__name__)

# Well under the few seconds load balancers wait for an answer, and long enough for a busy pool.
DATABASE_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    reachable: bool
    elapsed_ms: float
    pid: int


async def check_database(
    services: Services, *, timeout: float = DATABASE_TIMEOUT
) -> DatabaseHealth:
    started = time.perf_counter()
    try:
        await ping(services.engine, timeout=timeout)
        reachable = True
    except TimeoutError:
        logger.warning("health check: the database did not answer within %.1f s", timeout)
        reachable = False
    # Whatever the driver raises (refused, unknown database, authentication, SSL), the answer
    # is the same "not reachable"; the log keeps the reason for whoever investigates.
    except Exception as exc:
        logger.warning(
            "health check: the database is not reachable: %s: %s", type(exc).__name__, exc
        )
        reachable = False
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    return DatabaseHealth(reachable=reachable, elapsed_ms=elapsed_ms, pid=os.getpid())
