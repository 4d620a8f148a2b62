"""Two real worker processes on one PostgreSQL database (``python -m extension serve
--workers 2``, as an operator runs it): one of them reconciles the company, its lease moves
to another process when that one is killed, and a clean stop gives the lease up.

No deal shows an invoice here, so a reconciliation asks QuickBooks nothing (a closed loopback
port in any case); each one is logged, and the log says which process ran it, which is the
point. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from extension.security.crypto import TokenCipher
from extension.store.db import create_engine, create_sessionmaker
from extension.store.invoice_models import InvoiceSyncState
from extension.store.models import Company, utcnow
from extension.store.quickbooks_models import QuickBooksConnection
from tests.integration.test_serving import (
    REAL_MODE,
    _environment,
    _healthz_until_two_workers_answer,
    _parent_of,
    _python_m_extension,
    serving,
    throwaway_postgres,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.postgres

COMPANY, REALM = 7_002_002, "9341453050071001"


async def _seed(url: str) -> None:
    """A company connected to QuickBooks, its tokens encrypted as the app stores them."""
    cipher = TokenCipher(secret_key=REAL_MODE["SECRET_KEY"], encryption_key=None)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            session.add(Company(id=COMPANY, name="Serving test", domain="serving"))
            await session.flush()
            session.add(
                QuickBooksConnection(
                    company_id=COMPANY,
                    realm_id=REALM,
                    access_token_enc=cipher.encrypt("access-token"),
                    refresh_token_enc=cipher.encrypt("refresh-token"),
                    access_token_expires_at=utcnow() + timedelta(hours=1),
                    connected_by_user_id=1,
                )
            )
    finally:
        await engine.dispose()


async def _holder(url: str) -> str | None:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            state = await session.scalar(select(InvoiceSyncState))
    finally:
        await engine.dispose()
    return state.lease_holder if state is not None else None


def _pid(holder: str | None) -> int | None:
    return int(holder.split(":")[1]) if holder else None


async def _until(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.2)


async def test_one_reconciler_among_two_processes_and_the_lease_moves(
    tmp_path: Path,
    throwaway_postgres: str,  # noqa: F811
) -> None:
    env = _environment(
        **REAL_MODE,
        DATABASE_URL=throwaway_postgres,
        LOG_FORMAT="json",
        LOG_LEVEL="debug",  # a round that asks QuickBooks nothing is logged at debug
        QBO_RECONCILE_SECONDS="1",  # renewals every second, a lease lapses after three
    )
    migrate = await asyncio.to_thread(
        subprocess.run, _python_m_extension("migrate"), env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr
    await _seed(throwaway_postgres)

    with serving(tmp_path, env, workers=2) as server:
        workers = {
            r.json()["pid"] for r in await _healthz_until_two_workers_answer(server.base_url)
        }
        assert len(workers) == 2

        async def held() -> bool:
            return _pid(await _holder(throwaway_postgres)) in workers

        await _until(held)
        first = await _holder(throwaway_postgres)
        # For several lease lengths, the same process holds it and only it reconciles.
        for _ in range(8):
            await asyncio.sleep(0.5)
            assert await _holder(throwaway_postgres) == first
        reconciled = [
            r["pid"]
            for r in server.records()
            if r["logger"] == "extension.invoicing.reconciler"
            and r["message"].startswith(f"reconciled company {COMPANY}")
        ]
        assert len(reconciled) >= 2 and set(reconciled) == {_pid(first)}

        # The holder dies without a word; once its lease lapses another process has it.
        killed = _pid(first)
        assert killed is not None
        os.kill(killed, signal.SIGKILL)

        async def moved() -> bool:
            pid = _pid(await _holder(throwaway_postgres))
            return pid is not None and pid != killed

        await _until(moved)
        successor = _pid(await _holder(throwaway_postgres))
        assert successor is not None and _parent_of(successor) == server.process.pid

        await asyncio.to_thread(server.stop)
    # Stopped cleanly: the lease is given up, not left to lapse.
    assert await _holder(throwaway_postgres) is None
