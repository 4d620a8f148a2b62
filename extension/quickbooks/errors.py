"""One small error hierarchy for everything QuickBooks Online answers.

QBO reports failures in several shapes (reference §6): the ``Fault`` envelope (capitalised keys),
the API gateway's lower-case ``fault`` body on expired-token 401s, XML ``IntuitResponse`` bodies on
429 throttling (even when JSON was asked for), OAuth ``{"error": ...}`` bodies, and 5xx responses
with no body at all. :func:`error_from_response` turns any of them into one of the classes below.

Messages never include tokens: gateway details such as ``"Token expired: AB01..."`` quote the
token, so authentication details are dropped, never stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

__all__ = [
    "FaultError",
    "QuickBooksError",
    "QuickBooksUnavailable",
    "QuickBooksAuthError",
    "QuickBooksReconnectRequired",
    "QuickBooksNotFound",
    "QuickBooksRateLimited",
    "QuickBooksRejected",
    "error_from_response",
    "parse_fault",
]

STALE_OBJECT = "5010"
OBJECT_NOT_FOUND = "610"
_DEFAULT_THROTTLE_WAIT = 60.0  # Intuit: "wait 60 s after a 429" when no Retry-After is sent.


@dataclass(frozen=True, slots=True)
class FaultError:
    code: str
    message: str
    detail: str = ""
    element: str = ""


class QuickBooksError(Exception):
    """Base class; ``intuit_tid`` identifies the failed call for Intuit support."""

    def __init__(self, message: str, *, status: int | None = None, intuit_tid: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.intuit_tid = intuit_tid


class QuickBooksUnavailable(QuickBooksError):
    """Network failure, timeout or 5xx: QuickBooks could not be reached or did not answer."""

    def __init__(self, message: str, *, timed_out: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.timed_out = timed_out


class QuickBooksAuthError(QuickBooksError):
    """The access token was refused (401/403) or the OAuth grant failed."""


class QuickBooksReconnectRequired(QuickBooksAuthError):
    """The connection is unusable (refresh chain lost, revoked, never connected): reconnect."""


class QuickBooksRateLimited(QuickBooksError):
    """Throttled (429 / ThrottleExceeded); ``retry_after`` is how long the realm rests, in s."""

    def __init__(self, message: str, *, retry_after: float, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class QuickBooksRejected(QuickBooksError):
    """QBO refused the request with a Fault (validation, business rule, stale object...)."""

    def __init__(self, fault_type: str, errors: list[FaultError], **kwargs: Any) -> None:
        first = errors[0] if errors else FaultError(code="", message="Unknown fault")
        super().__init__(f"{fault_type} {first.code}: {first.message}", **kwargs)
        self.fault_type = fault_type
        self.errors = errors
        self.code = first.code
        self.detail = first.detail
        self.element = first.element
        self.fault_message = first.message

    @property
    def is_stale_object(self) -> bool:
        return self.code == STALE_OBJECT


class QuickBooksNotFound(QuickBooksRejected):
    """Error 610 (deleted or unknown object), or a 404."""


def _text(value: object) -> str:
    return "" if value is None else str(value)


def parse_fault(body: Any) -> tuple[str, list[FaultError]] | None:
    """The fault type and errors of a JSON body in either casing, or None if it has no fault."""
    if not isinstance(body, Mapping):
        return None
    fault = body.get("Fault") or body.get("fault")
    if not isinstance(fault, Mapping):
        return None
    raw_errors = fault.get("Error") or fault.get("error") or []
    errors = []
    for item in raw_errors if isinstance(raw_errors, list) else [raw_errors]:
        if not isinstance(item, Mapping):
            continue
        errors.append(
            FaultError(
                code=_text(item.get("code") or item.get("Code")),
                message=_text(item.get("Message") or item.get("message")),
                detail=_text(item.get("Detail") or item.get("detail")),
                element=_text(item.get("element") or item.get("Element")),
            )
        )
    return _text(fault.get("type") or fault.get("Type")), errors


def _parse_xml_fault(content: bytes) -> tuple[str, list[FaultError]] | None:
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None
    # Namespace-agnostic: Intuit uses xmlns="http://schema.intuit.com/finance/v3".
    fault = next((el for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Fault"), None)
    if fault is None:
        return None
    errors = []
    for el in fault.iter():
        if el.tag.rsplit("}", 1)[-1] != "Error":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in el}
        errors.append(
            FaultError(
                code=el.get("code", ""),
                message=fields.get("Message", ""),
                detail=fields.get("Detail", ""),
                element=el.get("element", ""),
            )
        )
    return fault.get("type", ""), errors


_THROTTLE_CODES = {"3001", "003001"}
_AUTH_CODES = {"3200", "003200", "100", "120"}
_DIGITS = re.compile(r"^\d+$")


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after", "").strip()
    if _DIGITS.match(value):
        return float(value)
    return None


def error_from_response(
    status: int, headers: Mapping[str, str], content: bytes, *, intuit_tid: str = ""
) -> QuickBooksError | None:
    """The error a response stands for, or None when it is a success."""
    body: Any = None
    if content:
        try:
            body = json.loads(content)
        except ValueError:
            body = None
    parsed = parse_fault(body)
    if parsed is None and content and content.lstrip().startswith(b"<"):
        parsed = _parse_xml_fault(content)
    if status < 400 and parsed is None:
        return None
    fault_type, errors = parsed if parsed is not None else ("", [])
    codes = {e.code for e in errors}
    common: dict[str, Any] = {"status": status, "intuit_tid": intuit_tid}
    if status == 429 or codes & _THROTTLE_CODES:
        wait = _retry_after(headers) or _DEFAULT_THROTTLE_WAIT
        return QuickBooksRateLimited("QuickBooks throttled the request", retry_after=wait, **common)
    if status == 401 or fault_type.upper().startswith("AUTHENTICATION") or codes & _AUTH_CODES:
        # The detail of a gateway 401 quotes the token; keep only the code.
        code = next(iter(codes), "")
        return QuickBooksAuthError(f"QuickBooks refused the access token ({code})", **common)
    if status == 403 or fault_type == "AuthorizationFault":
        return QuickBooksAuthError("QuickBooks refused access to this company", **common)
    if status >= 500 and not (errors and fault_type == "ValidationFault"):
        return QuickBooksUnavailable(f"QuickBooks answered HTTP {status}", **common)
    if OBJECT_NOT_FOUND in codes or (status == 404 and not errors):
        return QuickBooksNotFound(fault_type or "NotFound", errors, **common)
    if isinstance(body, Mapping) and "error" in body and not errors:
        # OAuth endpoints: {"error": "invalid_grant", "error_description": "..."}
        return QuickBooksAuthError(f"OAuth error: {_text(body.get('error'))}", **common)
    return QuickBooksRejected(fault_type or "UnknownFault", errors, **common)
