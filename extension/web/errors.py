"""The one way from an exception to what the person sees (one handler per kind, one template).

- Upstream failures, refused permissions and oversized bodies: ``messages.message_for`` words
  them; an htmx request gets the ``message`` block of ``error.html`` with the real status
  (``_base.html`` tells htmx to swap 4xx/5xx fragments). When the request was
  loading a content region (the panel's, a modal's, the settings page's), the message takes
  that region's place, which is the swap the page expects; any other fragment call is
  retargeted (``HX-Retarget``/``HX-Reswap``) to the ``#app-error`` slot every page provides,
  so a failed button never blanks the part of the page it sat in. Other requests get a page.
- An unverified iframe: 401 page. A missing or dead session: 401 with ``X-Session-Expired``
  when the page can renew it through the SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from extension.accounts.permissions import PermissionDenied
from extension.htmx import HtmxDetails, reswap, retarget, trigger_client_event
from extension.pipedrive.errors import PipedriveError
from extension.quickbooks.errors import QuickBooksError
from extension.web.contexts import ErrorContext
from extension.web.iframe import SessionRejected, Unverified
from extension.web.messages import (
    BodyTooLarge,
    UserMessage,
    http_message,
    message_for,
    session_ended_message,
    unverified_message,
)
from extension.web.rendering import render

__all__ = [
    "exception_handlers",
    "SESSION_EXPIRED_HEADER",
    "ERROR_SLOT",
    "CONTENT_REGIONS",
]

SESSION_EXPIRED_HEADER = "X-Session-Expired"
ERROR_SLOT = "#app-error"
# Regions that load their content with a fragment call; an error is their content then.
CONTENT_REGIONS = frozenset({"panel-content", "modal-content", "settings-content"})


def render_message(request: Request, message: UserMessage) -> Response:
    htmx = HtmxDetails.from_request(request)
    if not htmx.wants_fragment:
        return render(
            request, "error.html", ErrorContext(message), status_code=message.status, vary=True
        )
    in_place = htmx.target in CONTENT_REGIONS
    context = ErrorContext(
        message,
        retry_url=str(request.url) if request.method == "GET" else None,
        retry_target=f"#{htmx.target}" if in_place else None,
    )
    # The real status, also for htmx: a forged or refused call is a 403 to any client, and
    # htmx is configured to swap error fragments (responseHandling in _base.html).
    response = render(
        request, "error.html", context, block="message", status_code=message.status, vary=True
    )
    if not in_place:
        retarget(response, ERROR_SLOT)
        reswap(response, "innerHTML")
    return response


async def _known_failure(request: Request, exc: Exception) -> Response:
    return render_message(request, message_for(exc))


async def _unverified(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", ErrorContext(unverified_message()), status_code=401)


async def _session_rejected(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SessionRejected)
    message = session_ended_message()
    response = render(
        request, "error.html", ErrorContext(message), block="message", status_code=401
    )
    if exc.expired:
        # The page renews through the SDK's get_signed_token and repeats the request.
        response.headers[SESSION_EXPIRED_HEADER] = "true"
    trigger_client_event(response, "app:session-rejected", {"expired": exc.expired})
    return response


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return render_message(request, http_message(exc.status_code))


def _handlers() -> Mapping[Any, ExceptionHandler]:
    known: dict[Any, ExceptionHandler] = {
        kind: _known_failure
        for kind in (PipedriveError, QuickBooksError, PermissionDenied, BodyTooLarge)
    }
    return {
        **known,
        Unverified: _unverified,
        SessionRejected: _session_rejected,
        HTTPException: _http_exception,
    }


exception_handlers = _handlers()
