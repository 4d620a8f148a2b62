"""One place that turns refusals into responses a framed page can show."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from extension.htmx import trigger_client_event
from extension.services import get_services
from extension.web.iframe import SessionRejected, Unverified

__all__ = ["exception_handlers", "SESSION_EXPIRED_HEADER"]

SESSION_EXPIRED_HEADER = "X-Session-Expired"


async def _unverified(request: Request, exc: Exception) -> Response:
    templates = get_services(request).templates
    return templates.TemplateResponse(
        request, "error.html", {"kind": "unverified"}, status_code=401
    )


async def _session_rejected(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SessionRejected)
    templates = get_services(request).templates
    response = templates.TemplateResponse(
        request, "error.html", {"kind": "session"}, status_code=401, block_name="message"
    )
    if exc.expired:
        # The page renews through the SDK's get_signed_token and repeats the request.
        response.headers[SESSION_EXPIRED_HEADER] = "true"
    trigger_client_event(response, "app:session-rejected", {"expired": exc.expired})
    return response


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    templates = get_services(request).templates
    context: dict[str, Any] = {"kind": "http", "status": exc.status_code, "detail": exc.detail}
    return templates.TemplateResponse(
        request, "error.html", context, status_code=exc.status_code, block_name="message"
    )


exception_handlers: Mapping[Any, ExceptionHandler] = {
    Unverified: _unverified,
    SessionRejected: _session_rejected,
    HTTPException: _http_exception,
}
