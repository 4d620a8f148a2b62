"""Ids that arrive from outside (URL paths, forms, ``selectedIds``, modal ``data``, webhooks).

Only ASCII digits make an id: ``str.isdigit`` also accepts ``"²"`` and other Unicode digits,
which ``int()`` then refuses (or reads as something else), so a hand-edited URL could crash a
handler. Everything that turns outside text into an id, or puts an id into an upstream URL
path, goes through here. This module imports nothing of the product.
"""

from __future__ import annotations

__all__ = ["MAX_ID_DIGITS", "parse_id", "is_id_text"]

# Pipedrive ids are 64-bit integers (our BIGINT columns); QuickBooks ids and realms are digit
# strings of similar length.
MAX_ID_DIGITS = 18


def is_id_text(value: str) -> bool:
    """True for 1–18 ASCII digits and nothing else (no sign, space or Unicode digit)."""
    return 0 < len(value) <= MAX_ID_DIGITS and value.isascii() and value.isdigit()


def parse_id(value: object) -> int | None:
    """A positive id from text or a JSON number; None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**MAX_ID_DIGITS else None
    if isinstance(value, str):
        text = value.strip()
        if is_id_text(text) and int(text) > 0:
            return int(text)
    return None
