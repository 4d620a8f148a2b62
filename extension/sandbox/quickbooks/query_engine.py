"""Running a parsed query against the stand-in's records, typed by the property tables.

4001 answers follow recorded QBO bodies: ``Metadata not found for Entity: X`` for an entity QBO
does not have, ``Property X not found for Entity Y`` for a property it does not have (in WHERE,
ORDERBY or the select list), ``property 'X' is not queryable`` for one it has but does not index.
Values compare by the property's type: money as numbers, dates as dates, ``MetaData`` times as
instants (a literal without an offset is read in the company's zone), text without regard to
case ("attribute values are also not case sensitive", Intuit's query page).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.properties import (
    ENTITIES,
    SCALAR_OF,
    SHAPES,
    Prop,
    entity_name,
)
from extension.sandbox.quickbooks.query_language import ParsedQuery

__all__ = ["prepare", "run_query", "NAME_LISTS"]

Json = dict[str, Any]
NAME_LISTS = {"Customer", "Item", "Account", "Term", "TaxCode", "TaxRate"}


def _invalid(detail: str) -> Fault:
    return Fault("4001", "Invalid query", f"QueryValidationError: {detail}", element=None)


def _property(entity: str, path: str) -> tuple[str, Prop]:
    """The canonical dotted name and the property a query names (names are case-insensitive)."""
    shape, parts, prop = entity, [], None
    for part in path.split("."):
        table = SHAPES.get(shape, {})
        key = next((k for k in table if k.lower() == part.lower()), None)
        if key is None:
            raise _invalid(f"Property {path} not found for Entity {entity}")
        parts.append(key)
        prop = table[key]
        shape = prop.shape
    assert prop is not None
    queryable = prop.query and (prop.kind != "object" or prop.shape in SCALAR_OF)
    if not queryable:
        raise _invalid(f"property '{path}' is not queryable")
    return ".".join(parts), prop


def prepare(parsed: ParsedQuery) -> ParsedQuery:
    """Checks every name against the tables and spells them canonically; 4001 if one is wrong."""
    entity = entity_name(parsed.entity)
    if entity is None:
        raise _invalid(f"Metadata not found for Entity: {parsed.entity}")
    parsed.entity = entity
    if entity not in ENTITIES:
        return parsed  # a QBO entity the stand-in keeps none of: an empty answer
    if parsed.fields is not None:
        parsed.fields = tuple(_property(entity, name)[0] for name in parsed.fields)
    parsed.also = tuple(_property(entity, name)[0] for name in parsed.also)
    parsed.conditions = [(_property(entity, n)[0], op, v) for n, op, v in parsed.conditions]
    if parsed.order_by:
        parsed.order_by = _property(entity, parsed.order_by)[0]
    return parsed


def _lookup(record: Json, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _instant(text: str, zone: tzinfo) -> datetime:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), time(), zone)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _typed(prop: Prop, value: Any, zone: tzinfo, name: str) -> Any:
    """A value (stored or literal) as the property's type, for comparing and sorting."""
    if isinstance(value, dict):
        value = value.get(SCALAR_OF.get(prop.shape, "value"))
    if value is None:
        return None
    try:
        if prop.kind in ("decimal", "integer"):
            return Decimal(str(value))
        if prop.kind == "boolean":
            return value if isinstance(value, bool) else str(value).lower() == "true"
        if prop.kind == "date":
            return date.fromisoformat(str(value)[:10])
        if prop.kind == "datetime":
            return _instant(str(value), zone)
    except (InvalidOperation, ValueError):
        raise _invalid(f"value '{value}' is not valid for property '{name}'") from None
    return str(value).casefold()


def _matches(entity: str, record: Json, condition: tuple[str, str, Any], zone: tzinfo) -> bool:
    name, op, expected = condition
    prop = _property(entity, name)[1]
    value = _typed(prop, _lookup(record, name), zone, name)
    if op == "IN":
        return any(value == _typed(prop, item, zone, name) for item in expected)
    if value is None:
        return False
    if op == "LIKE":
        pattern = ".*".join(re.escape(p) for p in str(expected).casefold().split("%"))
        return re.fullmatch(pattern, str(value), re.DOTALL) is not None
    other = _typed(prop, expected, zone, name)
    comparisons = {"=": value == other, "<": value < other, ">": value > other,
                   "<=": value <= other, ">=": value >= other}  # fmt: skip
    return bool(comparisons[op])


def _project(record: Json, fields: tuple[str, ...]) -> Json:
    """A row of a field-list query: the named properties, flagged ``sparse`` as QBO does."""
    row: Json = {"domain": "QBO", "sparse": True}
    for name in ("Id", "SyncToken", *fields):
        value = _lookup(record, name)
        if value is None:
            continue
        target = row
        *parents, last = name.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return row


def run_query(query: ParsedQuery, records: list[Json], zone: tzinfo) -> Json:
    """The ``QueryResponse`` for a prepared query; no rows is ``{}``."""
    if query.entity not in ENTITIES:
        return {"totalCount": 0} if query.count else {}
    entity = query.entity
    rows = [r for r in records if all(_matches(entity, r, c, zone) for c in query.conditions)]
    if query.entity in NAME_LISTS and not any(n == "Active" for n, _, _ in query.conditions):
        rows = [r for r in rows if r.get("Active", True)]  # inactive names hidden by default
    if query.count:
        return {"totalCount": len(rows)}
    if query.order_by:
        prop = _property(query.entity, query.order_by)[1]

        def key(row: Json) -> tuple[bool, Any]:
            value = _typed(prop, _lookup(row, query.order_by), zone, query.order_by)
            return (value is not None, value if value is not None else 0)

        rows.sort(key=key, reverse=query.descending)
    else:
        rows.sort(key=lambda r: int(r["Id"]) if str(r.get("Id", "")).isdigit() else 0)
    page = rows[query.start_position - 1 : query.start_position - 1 + query.max_results]
    if not page:
        return {}
    if query.fields is not None:
        page = [_project(row, query.fields) for row in page]
    return {
        query.entity: page,
        "startPosition": query.start_position,
        "maxResults": len(page),
        "totalCount": len(rows),
    }
