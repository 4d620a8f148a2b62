"""Shared fixtures: settings, a database per test (SQLite always, PostgreSQL when reachable),
the app with its lifespan running in-process. Helpers (installing users, session headers,
acting as Pipedrive and Intuit) are in ``tests/support.py``.

PostgreSQL is used when ``TEST_DATABASE_URL`` is set or 127.0.0.1:5432 answers; each test run
creates its own throw-away database there, so parallel runs never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp

from extension.app import create_app
from extension.services import Services
from extension.settings import Settings
from extension.store import tables  # noqa: F401  (every model registered)
from extension.store.db import create_engine
from extension.store.models import Base
from tests.support import BASE_URL, PipedriveFrames, RunningApp, make_settings

T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: they are the slowest, and they run no event loop of pytest's."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# ---- which databases ---------------------------------------------------------------------


def _postgres_admin_url() -> str | None:
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        return explicit
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    except OSError:
        return None


_PG_ADMIN_URL = _postgres_admin_url()
BACKENDS = ["sqlite"] + (["postgresql"] if _PG_ADMIN_URL else [])


async def _create_pg_database(admin_url: str, name: str) -> str:
    from extension.settings import Settings as _S  # noqa: F401  (keeps import order stable)

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def _drop_pg_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even while another loop runs here
    (Playwright's sync API keeps one running in the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test run, with every table created once."""
    if _PG_ADMIN_URL is None:
        yield None
        return
    name = f"test_{secrets.token_hex(6)}"
    url = run_sync(_create_pg_database(_PG_ADMIN_URL, name))

    async def create_all() -> None:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()

    run_sync(create_all())
    yield url
    run_sync(_drop_pg_database(_PG_ADMIN_URL, name))


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None
) -> AsyncIterator[str]:
    """An empty database with the current schema: a new SQLite file, or PostgreSQL truncated."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        await engine.dispose()
        yield url
        return
    assert postgres_url is not None
    engine = create_engine(postgres_url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()
    yield postgres_url


# ---- the app -----------------------------------------------------------------------------


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def running_app(settings: Settings) -> AsyncIterator[RunningApp]:
    application = create_app(settings)
    async with application.router.lifespan_context(application) as state:
        yield RunningApp(application, dict(state or {}))


@pytest.fixture
def services(running_app: RunningApp) -> Services:
    """The running app's services (engine, clients, signer) as handlers see them."""
    return running_app.services


@pytest.fixture
async def client(running_app: RunningApp) -> AsyncIterator[httpx.AsyncClient]:
    asgi: ASGIApp = running_app
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture
def db(services: Services) -> async_sessionmaker[AsyncSession]:
    return services.sessionmaker


# ---- acting as Pipedrive ------------------------------------------------------------------


@pytest.fixture
def frames(settings: Settings) -> PipedriveFrames:
    return PipedriveFrames(settings)
