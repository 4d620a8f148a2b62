"""Adding, removing and reordering invoice lines on the submitted form itself.

The modal re-renders its lines from what the browser sent, not from a parsed draft: a value
that is not a number yet ("12,5,0") must come back exactly as typed. So lines are edited as
groups of raw fields (``lines-3-quantity`` → group 3, ``quantity``), then written back with
indexes 0, 1, 2… in their new order. Every line carries a ``key`` that never changes while the
modal is open; the page addresses a line by it (its item cell, its total) whatever its index.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from enum import StrEnum

from extension.invoicing.draft_form import MAX_FORM_LINES

__all__ = [
    "LineOp",
    "LINE_FIELDS",
    "line_groups",
    "with_lines",
    "new_line_key",
    "edit_lines",
    "ensure_keys",
]

_LINE_FIELD = re.compile(r"^lines-(0|[1-9][0-9]{0,3})-([a-z_]+)$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

# The fields a line has in the form, as parse_draft_form reads them, plus what only the page
# needs: its key and the names shown for its QuickBooks item.
LINE_FIELDS = (
    "key",
    "name",
    "description",
    "quantity",
    "unit_price",
    "discount",
    "discount_type",
    "tax_rate",
    "tax_code_id",
    "billing_frequency",
    "billing_cycles",
    "billing_start",
    "service_date",
    "item_id",
    "item_name",
    "product_id",
    "product_code",
    "deal_product_id",
)


class LineOp(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    UP = "up"
    DOWN = "down"


def new_line_key() -> str:
    return secrets.token_hex(6)


def line_groups(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The lines of a form in index order, each a mapping of its known fields."""
    groups: dict[int, dict[str, str]] = {}
    for name, value in form.items():
        match = _LINE_FIELD.match(name)
        if match and match.group(2) in LINE_FIELDS:
            groups.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [groups[index] for index in sorted(groups)][:MAX_FORM_LINES]


def ensure_keys(groups: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every line with a usable, distinct key (a missing or forged one gets a new key)."""
    seen: set[str] = set()
    out = []
    for group in groups:
        key = group.get("key", "")
        if not _KEY.match(key) or key in seen:
            key = new_line_key()
        seen.add(key)
        out.append({**group, "key": key})
    return out


def with_lines(form: Mapping[str, str], groups: list[dict[str, str]]) -> dict[str, str]:
    """The form with its lines replaced by ``groups``, numbered from 0 in order."""
    fields = {name: value for name, value in form.items() if not _LINE_FIELD.match(name)}
    for index, group in enumerate(groups):
        fields.update({f"lines-{index}-{name}": value for name, value in group.items()})
    return fields


def edit_lines(
    form: Mapping[str, str], op: LineOp, key: str, blank: Mapping[str, str]
) -> tuple[dict[str, str], str]:
    """The form after ``op`` on the line ``key`` (ADD appends ``blank`` after it, or at the
    end), and the key of the line the page should focus afterwards."""
    groups = ensure_keys(line_groups(form))
    at = next((i for i, g in enumerate(groups) if g["key"] == key), None)
    focus = key
    if op is LineOp.ADD:
        if len(groups) >= MAX_FORM_LINES:
            return with_lines(form, groups), focus
        added = {**blank, "key": new_line_key()}
        groups.insert(len(groups) if at is None else at + 1, added)
        focus = added["key"]
    elif at is None:
        pass  # a line removed in another request meanwhile: nothing to do
    elif op is LineOp.REMOVE:
        groups.pop(at)
        neighbour = groups[min(at, len(groups) - 1)] if groups else None
        focus = neighbour["key"] if neighbour else ""
    elif op is LineOp.UP and at > 0:
        groups[at - 1], groups[at] = groups[at], groups[at - 1]
    elif op is LineOp.DOWN and at < len(groups) - 1:
        groups[at + 1], groups[at] = groups[at], groups[at + 1]
    return with_lines(form, groups), focus
