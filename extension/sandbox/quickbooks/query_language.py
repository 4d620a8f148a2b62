"""Parsing QBO's query language (reference §4.1; Intuit's "Query operations and syntax" page).

``SELECT * | COUNT(*) | Prop[, Prop…] | *, Prop… FROM Entity [WHERE a op v [AND …]]
[ORDERBY|ORDER BY f [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS m]`` with ``= < > <= >= IN LIKE``.
"Reserved words, entity names, and attribute names are not case sensitive"; strings are
single-quoted with ``\\'`` escapes. What cannot be parsed is 4000 ``QueryParserError``; what
parses but names nothing QBO knows is 4001, decided in ``query_engine``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from extension.sandbox.quickbooks.faults import Fault

__all__ = ["ParsedQuery", "parse_query", "parse_error"]

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:\\.|[^'\\])*')|(?P<op><=|>=|=|<|>|\(|\)|,|\*)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*(?:\(\*\))?)|(?P<number>-?\d+(?:\.\d+)?))"
)
_CLAUSES = ("WHERE", "ORDERBY", "ORDER", "STARTPOSITION", "MAXRESULTS")


@dataclass(slots=True)
class ParsedQuery:
    entity: str
    count: bool = False
    fields: tuple[str, ...] | None = None  # None: every property (``*``)
    also: tuple[str, ...] = ()  # named after ``*`` (``*, Sku``): checked, all returned anyway
    conditions: list[tuple[str, str, Any]] = field(default_factory=list)
    order_by: str = ""
    descending: bool = False
    start_position: int = 1
    max_results: int = 100


def parse_error(detail: str) -> Fault:
    return Fault("4000", "Error parsing query", f"QueryParserError: {detail}", element=None)


def _tokens(sql: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    sql = sql.strip()
    if not sql:
        raise parse_error("The query provided was empty")
    while pos < len(sql):
        match = _TOKEN.match(sql, pos)
        if not match or match.end() == pos:
            raise parse_error(f'Encountered "{sql[pos : pos + 10]}"')
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
    raise parse_error(f'Encountered "{value}"')


class _Reader:
    def __init__(self, sql: str) -> None:
        self.tokens = _tokens(sql)
        self.pos = 0

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise parse_error('Encountered "<EOF>"')
        self.pos += 1
        return self.tokens[self.pos - 1]

    def keyword(self, word: str) -> bool:
        if self.pos < len(self.tokens) and self.tokens[self.pos][1].upper() == word:
            self.pos += 1
            return True
        return False

    def name(self) -> str:
        kind, value = self.take()
        if kind != "word":
            raise parse_error(f'Encountered "{value}"')
        return value

    def integer(self) -> int:
        kind, value = self.take()
        if kind != "number" or not value.isdigit():
            raise parse_error(f'Encountered "{value}"')
        return int(value)


def _selection(reader: _Reader, parsed: ParsedQuery) -> None:
    if reader.keyword("COUNT(*)"):
        parsed.count = True
        return
    names: list[str] = []
    star = False
    while True:
        kind, value = reader.take()
        if value == "*":
            star = True
        elif kind == "word" and value.upper() != "FROM":
            names.append(value)
        else:
            raise parse_error(f'Encountered "{value}"')
        if not reader.keyword(","):
            break
    # ``*, Sku`` asks for everything plus Sku (python-quickbooks sends it for Item)
    parsed.fields = None if star else tuple(names)
    parsed.also = tuple(names) if star else ()


def _conditions(reader: _Reader, parsed: ParsedQuery) -> None:
    while True:
        name = reader.name()
        op = reader.take()[1].upper()
        if op == "IN":
            if reader.take()[1] != "(":
                raise parse_error('Encountered "IN" without "("')
            values = []
            while True:
                values.append(_literal(*reader.take()))
                separator = reader.take()[1]
                if separator == ")":
                    break
                if separator != ",":
                    raise parse_error(f'Encountered "{separator}"')
            parsed.conditions.append((name, "IN", values))
        elif op in ("=", "<", ">", "<=", ">=", "LIKE"):
            parsed.conditions.append((name, op, _literal(*reader.take())))
        else:
            raise parse_error(f'Encountered "{op}"')
        if not reader.keyword("AND"):
            break


def parse_query(sql: str) -> ParsedQuery:
    reader = _Reader(sql)
    if not reader.keyword("SELECT"):
        raise parse_error(f'Encountered "{reader.tokens[0][1]}". Was expecting: "select"')
    placeholder = ParsedQuery(entity="")
    _selection(reader, placeholder)
    if not reader.keyword("FROM"):
        raise parse_error('Was expecting: "from"')
    placeholder.entity = reader.name()
    if reader.keyword("WHERE"):
        _conditions(reader, placeholder)
    while reader.pos < len(reader.tokens):
        if reader.keyword("ORDERBY") or (reader.keyword("ORDER") and reader.keyword("BY")):
            placeholder.order_by = reader.name()
            placeholder.descending = reader.keyword("DESC")
            if not placeholder.descending:
                reader.keyword("ASC")
        elif reader.keyword("STARTPOSITION"):
            placeholder.start_position = max(reader.integer(), 1)
        elif reader.keyword("MAXRESULTS"):
            placeholder.max_results = min(reader.integer(), 1000)
        else:
            raise parse_error(f'Encountered "{reader.tokens[reader.pos][1]}"')
    return placeholder
