"""``EXPLAIN`` for any SQLAlchemy statement, with its parameters bound as the real query's are.

SQLite answers ``EXPLAIN QUERY PLAN`` with one row per step (the detail is the last column);
PostgreSQL answers ``EXPLAIN`` with one text line per plan node.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["explain"]


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: ClauseElement, analyze: bool) -> None:
        self.statement = statement
        self.analyze = analyze


@compiles(_Explain, "sqlite")
def _explain_sqlite(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN QUERY PLAN " + str(compiler.process(element.statement, **kw))


@compiles(_Explain, "postgresql")
def _explain_postgresql(element: _Explain, compiler: Any, **kw: Any) -> str:
    options = "(ANALYZE, BUFFERS) " if element.analyze else ""
    return f"EXPLAIN {options}" + str(compiler.process(element.statement, **kw))


async def explain(session: AsyncSession, statement: ClauseElement, *, analyze: bool = False) -> str:
    """The plan as text, one line per step or node (``analyze``: PostgreSQL runs it too)."""
    rows = await session.execute(_Explain(statement, analyze))
    return "\n".join(str(row[-1]) for row in rows)
