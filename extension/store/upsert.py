"""``INSERT … ON CONFLICT`` for whichever database the session is bound to.

SQLite and PostgreSQL both have it with the same SQLAlchemy API, so every get-or-insert two
requests can race is one statement instead of read-then-insert.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["insert_for"]


def insert_for(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
