"""A small builder for QBO's query language (reference §4.1).

Values are always quoted and escaped here (customer names contain apostrophes: ``Amy's``), so
callers never splice strings into SQL. Conditions are ANDed; QBO has no OR.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

__all__ = ["Query", "quote", "contains_pattern", "MAX_RESULTS_LIMIT"]

MAX_RESULTS_LIMIT = 1000
_OPERATORS = frozenset({"=", "<", ">", "<=", ">=", "LIKE"})

Value = str | int | Decimal | bool | date | datetime


def quote(value: Value) -> str:
    """One literal: booleans and numbers bare, everything else single-quoted with ``\\'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def contains_pattern(term: str) -> str | None:
    """A ``LIKE`` pattern matching values that contain ``term``, as closely as QBO allows.

    QBO's ``LIKE`` knows one wildcard, ``%``, and no way to escape it, so a ``%`` the user typed
    cannot be searched for literally. The pattern uses the longest stretch of ``term`` without
    one (``'50% off'`` → ``'%50%'``); callers then keep only the rows that really contain the
    whole term. None when nothing searchable is left (``'%'``, blanks).
    """
    pieces = [piece.strip() for piece in term.split("%")]
    longest = max(pieces, key=len, default="")
    return f"%{longest}%" if longest else None


def _check_field(name: str) -> str:
    if not name.replace(".", "").replace("_", "").isalnum():
        raise ValueError(f"not a field name: {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class Query:
    entity: str
    conditions: tuple[str, ...] = ()
    order_by: str = ""
    descending: bool = False
    start_position: int = 1
    max_results: int = 100
    count: bool = False

    def where(self, field: str, op: str, value: Value) -> Query:
        op = op.upper()
        if op not in _OPERATORS:
            raise ValueError(f"unsupported operator {op!r}")
        condition = f"{_check_field(field)} {op} {quote(value)}"
        return replace(self, conditions=(*self.conditions, condition))

    def where_in(self, field: str, values: Iterable[Value]) -> Query:
        literals = ", ".join(quote(v) for v in values)
        if not literals:
            raise ValueError("IN needs at least one value")
        condition = f"{_check_field(field)} IN ({literals})"
        return replace(self, conditions=(*self.conditions, condition))

    def ordered_by(self, field: str, *, descending: bool = False) -> Query:
        return replace(self, order_by=_check_field(field), descending=descending)

    def page(self, start_position: int, max_results: int) -> Query:
        if start_position < 1 or not 1 <= max_results <= MAX_RESULTS_LIMIT:
            raise ValueError("STARTPOSITION is 1-based and MAXRESULTS is 1..1000")
        return replace(self, start_position=start_position, max_results=max_results)

    def counting(self) -> Query:
        return replace(self, count=True)

    def next_page(self) -> Query:
        return replace(self, start_position=self.start_position + self.max_results)

    def to_sql(self) -> str:
        parts = [f"SELECT {'COUNT(*)' if self.count else '*'} FROM {_check_field(self.entity)}"]
        if self.conditions:
            parts.append("WHERE " + " AND ".join(self.conditions))
        if self.count:
            return " ".join(parts)
        if self.order_by:
            parts.append(f"ORDERBY {self.order_by} {'DESC' if self.descending else 'ASC'}")
        parts.append(f"STARTPOSITION {self.start_position} MAXRESULTS {self.max_results}")
        return " ".join(parts)
