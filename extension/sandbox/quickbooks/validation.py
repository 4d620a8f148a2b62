"""A write body checked against the property tables, as QBO's deserializer and validators do.

``clean`` walks the body with the entity's table (``properties.SHAPES``) and answers a copy the
business rules can trust, or raises the Fault QBO sends:

- a property the table does not name: 2010, Jackson's "Unrecognized field" message with the
  class's known properties (recorded bodies, python-quickbooks#299 and #80);
- a value of the wrong JSON type or outside an enum: 2010, Jackson's "Can not deserialize"
  message (recorded body, python-quickbooks#145);
- a string over its documented maximum: 2050 with Intuit's detail (recorded bodies);
- an email address that is not one RFC 822 address: 2210 (Intuit's error-code list; the detail
  as recorded in QuickBooks-V3-DotNET-SDK#333).

Numbers and booleans sent as strings are accepted, as Jackson coerces them (Intuit's own Term
sample sends ``"DueDays": "120"``). Dates are ``yyyy-MM-dd`` (the samples, xs:date) or
``yyyy/MM/dd`` (the format Intuit's reference names for ``TxnDate``).

Read-only properties are checked for shape and then dropped: QBO ignores them. ``null``, empty
strings, empty objects and empty lists come back as ``None``, meaning "no value": QBO returns
only properties that have one (data-queries page), so a stored empty value is never echoed.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from extension.sandbox.quickbooks.faults import Fault
from extension.sandbox.quickbooks.properties import ENUMS, JAVA_CLASS, SHAPES, Prop

__all__ = ["clean", "unsupported", "parse_date"]

Json = dict[str, Any]
_PACKAGE = "com.intuit.schema.finance.v3."
_JAVA_TYPES = {"decimal": "java.math.BigDecimal", "integer": "java.lang.Integer",
               "boolean": "java.lang.Boolean", "date": "java.util.Date",
               "datetime": "java.util.Date", "text": "java.lang.String"}  # fmt: skip
_EMAIL = re.compile(r"^[^@\s,;<>()\[\]\"]+@[^@\s,;<>()\[\]\"]+\.[^@\s,;<>()\[\]\".]+$")
_SLASHED = re.compile(r"^(\d{4})/(\d{2})/(\d{2})$")
_TOKENS = {dict: "START_OBJECT", list: "START_ARRAY", str: "VALUE_STRING", bool: "VALUE_TRUE"}


def unsupported(detail: str) -> Fault:
    """2010 as QBO words it: the deserializer's message inside ``Property Name:…``."""
    return Fault(
        "2010",
        "Request has invalid or unsupported property",
        f"Property Name:{detail}\n specified is unsupported or invalid",
        element=None,
    )


def _java(shape: str) -> str:
    return _PACKAGE + JAVA_CLASS.get(shape, shape)


def _unknown_field(shape: str, key: str) -> Fault:
    known = ", ".join(f'"{name}"' for name in SHAPES[shape])
    return unsupported(
        f'Unrecognized field "{key}" (class {_java(shape)}), not marked as ignorable '
        f"({len(SHAPES[shape])} known properties: {known}])"
    )


def _token(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int | float | Decimal):
        return "VALUE_NUMBER_INT" if isinstance(value, int) else "VALUE_NUMBER_FLOAT"
    return _TOKENS.get(type(value), "VALUE_NULL")


def _wrong_token(java_type: str, value: Any) -> Fault:
    return unsupported(f"Can not deserialize instance of {java_type} out of {_token(value)} token")


def _not_valid(java_type: str, value: Any, reason: str = "not a valid representation") -> Fault:
    return unsupported(
        f'Can not deserialize value of type {java_type} from String "{value}": {reason}'
    )


def parse_date(value: str) -> date | None:
    """``yyyy-MM-dd`` (optionally with a zone, as xs:date allows) or ``yyyy/MM/dd``."""
    slashed = _SLASHED.match(value)
    if slashed:
        value = "-".join(slashed.groups())
    match = re.match(r"^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$", value)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def _length(prop: Prop, text: str, element: str) -> None:
    if prop.max_len and len(text) > prop.max_len:
        raise Fault(
            "2050",
            "String length is either shorter or longer than supported by specification",
            "String length specified does not match the supported length. "
            f"Min:0 Max:{prop.max_len:,} supported. Supplied length:{len(text):,}",
            element=element,
        )


def _scalar(prop: Prop, value: Any, element: str) -> Any:
    kind = prop.kind
    if kind == "enum":
        allowed = ENUMS[prop.shape]
        if not isinstance(value, str):
            raise _wrong_token(_PACKAGE + prop.shape, value)
        if value not in allowed:
            names = ", ".join(allowed)
            reason = f"value not one of declared Enum instance names: [{names}]"
            raise _not_valid(_PACKAGE + prop.shape, value, reason)
        return value
    java_type = _JAVA_TYPES[kind]
    if isinstance(value, dict | list):
        raise _wrong_token(java_type, value)
    if kind == "text":
        text = str(value).lower() if isinstance(value, bool) else str(value)
        _length(prop, text, element)
        return text
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _not_valid(java_type, value, 'only "true" or "false" recognized')
    if kind in ("decimal", "integer"):
        if isinstance(value, bool):
            raise _wrong_token(java_type, value)
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise _not_valid(java_type, value) from None
        if not number.is_finite() or (kind == "integer" and number != number.to_integral_value()):
            raise _not_valid(java_type, value)
        return int(number) if kind == "integer" else number
    if kind == "date":
        parsed = parse_date(str(value)) if isinstance(value, str) else None
        if parsed is None:
            raise _not_valid(java_type, value)
        return parsed.isoformat()
    try:  # datetime
        return datetime.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _not_valid(java_type, value) from None


def _email(shape: str, value: Json, element: str) -> None:
    address = value.get("Address")
    if shape == "EmailAddress" and address is not None and not _EMAIL.match(str(address)):
        raise Fault(
            "2210",
            "Invalid Email Address format",
            "Email Address does not conform to the syntax rules of RFC 822. "
            f"Supplied value: {address}",
            element=element,
        )


def _value(prop: Prop, value: Any, element: str, creating: bool) -> Any:
    if value is None or value == "" or value == {} or value == []:
        return None
    if prop.kind == "object":
        if not isinstance(value, dict):
            raise _wrong_token(_java(prop.shape), value)
        nested = _object(prop.shape, value, element, creating)
        return nested or None
    if prop.kind == "list":
        if not isinstance(value, list):
            raise _wrong_token("java.util.ArrayList", value)
        items = []
        for item in value:
            if not isinstance(item, dict):
                raise _wrong_token(_java(prop.shape), item)
            items.append(_object(prop.shape, item, element, creating))
        return items
    return _scalar(prop, value, element)


def _object(shape: str, body: Json, element: str, creating: bool) -> Json:
    table = SHAPES[shape]
    out: Json = {}
    for key, value in body.items():
        prop = table.get(key)
        if prop is None:
            raise _unknown_field(shape, key)
        checked = _value(prop, value, key, creating)
        if prop.access == "ro" or (prop.access == "create" and not creating):
            continue  # QBO ignores what a client may not write
        if checked is not None or shape in _TOP_LEVEL:
            out[key] = checked
    _email(shape, out, element)
    return out


_TOP_LEVEL = frozenset({"Customer", "Invoice", "Item", "Payment", "Account", "Term", "TaxCode"})


def clean(entity: str, body: Json, *, creating: bool) -> Json:
    """The body as QBO reads it: unknown or malformed properties refused, read-only ones
    dropped; at the top level a property sent empty maps to None ("clear it")."""
    return _object(entity, body, entity, creating)
