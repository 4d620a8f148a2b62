"""The htmx protocol in one typed place (django-htmx's ``HtmxDetails`` and ``http`` helpers).

Handlers never spell ``HX-*`` header names. A fragment is returned only for an htmx request that
is not a history restore; URLs that can answer either way send ``Vary: HX-Request``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "HtmxDetails",
    "trigger_client_event",
    "reswap",
    "retarget",
    "vary_on_htmx",
]


@dataclass(frozen=True, slots=True)
class HtmxDetails:
    request: bool
    boosted: bool
    history_restore_request: bool
    target: str | None
    trigger: str | None
    current_url: str | None

    @classmethod
    def from_request(cls, request: Request) -> HtmxDetails:
        headers = request.headers
        return cls(
            request=headers.get("HX-Request") == "true",
            boosted=headers.get("HX-Boosted") == "true",
            history_restore_request=headers.get("HX-History-Restore-Request") == "true",
            target=headers.get("HX-Target"),
            trigger=headers.get("HX-Trigger"),
            current_url=headers.get("HX-Current-URL"),
        )

    @property
    def wants_fragment(self) -> bool:
        return self.request and not self.history_restore_request

    def __bool__(self) -> bool:
        return self.request


def _merge_trigger(response: Response, header: str, name: str, params: Any) -> None:
    existing = response.headers.get(header)
    events: dict[str, Any] = json.loads(existing) if existing else {}
    events[name] = params
    response.headers[header] = json.dumps(events, separators=(",", ":"))


def trigger_client_event(
    response: Response, name: str, params: Any = None, *, after: str = "receive"
) -> Response:
    """Ask htmx to fire ``name`` on the client (``after``: receive, settle or swap)."""
    header = {"receive": "HX-Trigger", "settle": "HX-Trigger-After-Settle"}.get(
        after, "HX-Trigger-After-Swap"
    )
    _merge_trigger(response, header, name, params if params is not None else {})
    return response


def reswap(response: Response, method: str) -> Response:
    response.headers["HX-Reswap"] = method
    return response


def retarget(response: Response, target: str) -> Response:
    response.headers["HX-Retarget"] = target
    return response


def vary_on_htmx(response: Response) -> Response:
    vary = response.headers.get("Vary")
    response.headers["Vary"] = f"{vary}, HX-Request" if vary else "HX-Request"
    return response
