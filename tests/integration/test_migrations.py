"""Alembic migrations produce exactly the schema the models declare, on every backend."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from extension.store import tables  # noqa: F401
from extension.store.db import create_engine
from extension.store.migrate import upgrade_async
from extension.store.models import Base
from tests.conftest import _PG_ADMIN_URL, _create_pg_database, _drop_pg_database


async def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: object) -> list[object]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})  # type: ignore[arg-type]
                return list(compare_metadata(context, Base.metadata))

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


async def test_sqlite_migrations_match_models(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    await upgrade_async(url)
    assert await _diff(url) == []


async def test_postgresql_migrations_match_models() -> None:
    if _PG_ADMIN_URL is None:
        if os.environ.get("CI"):
            pytest.fail("CI must reach PostgreSQL on 127.0.0.1:5432 (or TEST_DATABASE_URL)")
        pytest.skip("PostgreSQL is not reachable here")
    name = "migrate_" + secrets.token_hex(4)
    url = await _create_pg_database(_PG_ADMIN_URL, name)
    try:
        await upgrade_async(url)
        assert await _diff(url) == []
        engine = create_engine(url)
        async with engine.connect() as conn:
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        await engine.dispose()
        assert version
    finally:
        await _drop_pg_database(_PG_ADMIN_URL, name)
