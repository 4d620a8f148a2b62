"""The error bodies the stand-in answers with, in Intuit's shapes (reference §6)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.responses import Response

__all__ = [
    "Fault",
    "fault_body",
    "json_response",
    "throttle_response",
    "gateway_401",
    "intuit_tid",
    "qbo_time",
]


def intuit_tid() -> str:
    return f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


def qbo_time(clock_now: Any) -> str:
    return str(clock_now.astimezone().isoformat(timespec="milliseconds"))


class Fault(Exception):
    """A business or validation error; rendered as HTTP 400 (or ``status``) with a Fault body."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        *,
        element: str | None = "",
        fault_type: str = "ValidationFault",
        status: int = 400,
    ) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        self.status = status

    def to_api(self) -> dict[str, Any]:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:  # deserializer and query faults carry no element
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def fault_body(fault: Fault, time: str) -> dict[str, Any]:
    return {"Fault": fault.to_api(), "time": time}


def _default(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, default=_default)
    return Response(
        content,
        status_code=status,
        media_type="application/json;charset=UTF-8",
        headers={"intuit_tid": intuit_tid(), **(headers or {})},
    )


def throttle_response(time: str) -> Response:
    """Intuit's 429: an XML body even when JSON was requested."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse time="{time}" xmlns="http://schema.intuit.com/finance/v3">'
        '<Fault type="SERVICE"><Error code="003001">'
        "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
        "<Detail>The request limit was reached.  Try again later</Detail>"
        "</Error></Fault></IntuitResponse>"
    )
    return Response(
        body, status_code=429, media_type="application/xml", headers={"intuit_tid": intuit_tid()}
    )


def gateway_401(epoch_ms: int, detail: str = "Token expired") -> Response:
    """The API gateway's lower-case body for an expired or unknown access token."""
    body: dict[str, Any] = {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_ms,
        "status": None,
        "cdcresponse": [],
    }
    return json_response(
        body,
        status=401,
        headers={"www-authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
    )
