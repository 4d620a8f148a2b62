"""JSON to and from QuickBooks with money kept exact.

Amounts go out as the decimal digits they are, never through ``float`` (whose shortest repr is
exact only up to 15–17 significant digits and whose arithmetic is binary): each ``Decimal`` is
written as a JSON number with its own digits. Answers are read with ``parse_float=Decimal``.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

__all__ = ["encode_json", "decode_json", "MONEY_PLACES"]

MONEY_PLACES = Decimal("0.01")


def _number_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return format(value, "f")


def encode_json(value: Any) -> bytes:
    """Compact JSON in which every Decimal is a number with exactly its digits."""
    numbers: list[str] = []
    # Placeholders carry a random marker, so no string a user typed can collide with one.
    marker = secrets.token_hex(8)

    def swap(item: Any) -> Any:
        if isinstance(item, Decimal):
            numbers.append(_number_text(item))
            return f"\x00{marker}:{len(numbers) - 1}\x00"
        if isinstance(item, dict):
            return {k: swap(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [swap(v) for v in item]
        return item

    text = json.dumps(swap(value), separators=(",", ":"))
    for index, number in enumerate(numbers):
        text = text.replace(f'"\\u0000{marker}:{index}\\u0000"', number, 1)
    return text.encode()


def decode_json(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)
