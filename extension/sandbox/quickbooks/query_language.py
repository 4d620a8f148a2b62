"""The subset of QBO's query language the stand-in understands (reference §4.1).

``SELECT * | COUNT(*) FROM Entity [WHERE a op v [AND ...]] [ORDERBY f [ASC|DESC]]
[STARTPOSITION n] [MAXRESULTS m]`` with ``= < > <= >= IN LIKE``; keywords and names are
case-insensitive; strings are single-quoted with ``\\'`` escapes. Parse errors are 4000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from extension.sandbox.quickbooks.faults import Fault

__all__ = ["ParsedQuery", "parse_query", "run_query"]

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:\\.|[^'\\])*')|(?P<op><=|>=|=|<|>|\(|\)|,|\*)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*(?:\(\*\))?)|(?P<number>-?\d+(?:\.\d+)?))"
)
NAME_LISTS = {"Customer", "Item", "Account", "Term", "TaxCode", "TaxRate"}


@dataclass(slots=True)
class ParsedQuery:
    entity: str
    count: bool
    conditions: list[tuple[str, str, Any]] = field(default_factory=list)
    order_by: str = ""
    descending: bool = False
    start_position: int = 1
    max_results: int = 100


def _error(detail: str) -> Fault:
    return Fault("4000", "Error parsing query", f"QueryParserError: {detail}")


def _tokens(sql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    sql = sql.strip()
    while pos < len(sql):
        match = _TOKEN.match(sql, pos)
        if not match or match.end() == pos:
            raise _error(f'Encountered "{sql[pos : pos + 10]}"')
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(kind: str, value: str) -> Any:
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if kind == "number":
        return Decimal(value)
    if kind == "word" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _error(f'Encountered "{value}"')


def parse_query(sql: str) -> ParsedQuery:
    tokens = _tokens(sql)
    pos = 0

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(tokens):
            raise _error("unexpected end of query")
        pos += 1
        return tokens[pos - 1]

    def keyword(word: str) -> bool:
        nonlocal pos
        if pos < len(tokens) and tokens[pos][1].upper() == word:
            pos += 1
            return True
        return False

    if not keyword("SELECT"):
        raise _error("query must start with SELECT")
    _, what = take()
    count = what.upper() == "COUNT(*)"
    if what != "*" and not count:
        raise _error("only SELECT * and SELECT COUNT(*) are supported")
    if not keyword("FROM"):
        raise _error("FROM expected")
    _, entity = take()
    parsed = ParsedQuery(entity=entity[:1].upper() + entity[1:], count=count)
    if keyword("WHERE"):
        while True:
            _, name = take()
            _, op = take()
            op = op.upper()
            if op == "IN":
                if take()[1] != "(":
                    raise _error("( expected after IN")
                values = []
                while True:
                    kind, raw = take()
                    values.append(_literal(kind, raw))
                    sep = take()[1]
                    if sep == ")":
                        break
                    if sep != ",":
                        raise _error(", expected")
                parsed.conditions.append((name, "IN", values))
            elif op in ("=", "<", ">", "<=", ">=", "LIKE"):
                kind, raw = take()
                parsed.conditions.append((name, op, _literal(kind, raw)))
            else:
                raise _error(f"unsupported operator {op}")
            if not keyword("AND"):
                break
    while pos < len(tokens):
        if keyword("ORDERBY") or (keyword("ORDER") and keyword("BY")):
            parsed.order_by = take()[1]
            if keyword("DESC"):
                parsed.descending = True
            else:
                keyword("ASC")
        elif keyword("STARTPOSITION"):
            parsed.start_position = int(take()[1])
        elif keyword("MAXRESULTS"):
            parsed.max_results = min(int(take()[1]), 1000)
        else:
            raise _error(f'Encountered "{tokens[pos][1]}"')
    return parsed


def _field(record: dict[str, Any], name: str) -> Any:
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        key = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(key) if key else None
    if isinstance(value, dict) and "value" in value:
        return value["value"]  # CustomerRef = '1' compares the ref's value
    return value


def _comparable(value: Any, other: Any) -> tuple[Any, Any]:
    if isinstance(other, Decimal) or isinstance(value, Decimal | int | float):
        try:
            return Decimal(str(value)), Decimal(str(other))
        except InvalidOperation:
            pass
    return str(value), str(other)


def _matches(record: dict[str, Any], name: str, op: str, expected: Any) -> bool:
    value = _field(record, name)
    if op == "IN":
        return any(_matches(record, name, "=", item) for item in expected)
    if value is None:
        return False
    if isinstance(expected, bool):
        return bool(value) == expected and op == "="
    if op == "LIKE":
        pattern = "^" + ".*".join(re.escape(p) for p in str(expected).split("%")) + "$"
        return re.match(pattern, str(value), re.IGNORECASE | re.DOTALL) is not None
    left, right = _comparable(value, expected)
    if op == "=":
        return bool(left == right)
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def run_query(query: ParsedQuery, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``QueryResponse`` for ``query`` over ``records``; no rows is ``{}``."""
    rows = [r for r in records if all(_matches(r, *c) for c in query.conditions)]
    filters_active = any(name.lower() == "active" for name, _, _ in query.conditions)
    if query.entity in NAME_LISTS and not filters_active:
        rows = [r for r in rows if r.get("Active", True)]  # inactive names hidden by default
    if query.count:
        return {"totalCount": len(rows)}
    if query.order_by:
        rows.sort(key=lambda r: str(_field(r, query.order_by) or ""), reverse=query.descending)
    else:
        rows.sort(key=lambda r: int(r["Id"]) if str(r.get("Id", "")).isdigit() else 0)
    page = rows[query.start_position - 1 : query.start_position - 1 + query.max_results]
    if not page:
        return {}
    return {
        query.entity: page,
        "startPosition": query.start_position,
        "maxResults": len(page),
        "totalCount": len(rows),
    }
