"""Fixtures for the storage tests: engines on each backend, companies, and a way to run many
writers against the database at the same moment.

Concurrency here is real at the database: every writer has its own session and connection
(aiosqlite runs each SQLite connection in its own thread; PostgreSQL has one backend process
per connection), and a barrier releases them together so their statements overlap. A second
engine stands for a second app process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from extension.store.db import create_engine, create_sessionmaker
from extension.store.models import AuditEvent, Company

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]

COMPANY = 501
OTHER_COMPANY = 502
REALM = "9130350000000001"
OTHER_REALM = "9130350000000002"
USER = 11
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def other_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A second engine on the same database: what a second app process would have."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> Sessions:
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        session.add_all(
            [
                Company(id=COMPANY, name="Acme", domain="acme"),
                Company(id=OTHER_COMPANY, name="Globex", domain="globex"),
            ]
        )
    return sessions


@pytest.fixture
def other_db(other_engine: AsyncEngine, db: Sessions) -> Sessions:
    return create_sessionmaker(other_engine)


def is_postgres(db: Sessions) -> bool:
    bind = db.kw["bind"]
    assert isinstance(bind, AsyncEngine)
    return bind.dialect.name == "postgresql"


async def concurrently(
    makers: list[Sessions], count: int, act: Callable[[AsyncSession, int], Awaitable[T]]
) -> list[T | BaseException]:
    """Run ``act`` ``count`` times at once, each in its own session and transaction (spread over
    the given engines), committed at the end; results, or the exception each raised."""
    barrier = asyncio.Barrier(count)

    async def one(index: int) -> T:
        async with makers[index % len(makers)]() as session, session.begin():
            await session.execute(select(1))  # connection checked out before the start
            await barrier.wait()
            return await act(session, index)

    return await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)


async def audit_actions(
    db: Sessions, company_id: int = COMPANY
) -> list[tuple[str, dict[str, object]]]:
    async with db() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.company_id == company_id).order_by(AuditEvent.id)
        )
        return [(row.action, dict(row.detail)) for row in rows]


async def count_rows(db: Sessions, model: type[object], company_id: int | None = None) -> int:
    async with db() as session:
        stmt = select(func.count()).select_from(model)
        if company_id is not None:
            stmt = stmt.where(model.company_id == company_id)  # type: ignore[attr-defined]
        return int(await session.scalar(stmt) or 0)
