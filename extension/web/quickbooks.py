"""Connecting a company's QuickBooks (in its own window), and receiving Intuit's webhooks.

- ``GET /quickbooks/connect``: the window the settings page opened. It asks its opener for a
  one-time ticket over ``postMessage`` and POSTs it here (``static/js/quickbooks-connect.js``);
  the ticket is never in a URL (see ``extension.accounts.quickbooks_connect``).
- ``POST /quickbooks/connect``: redeem the ticket, bind the OAuth state to this browser with a
  nonce cookie, go to Intuit's consent page.
- ``GET /quickbooks/callback``: Intuit's redirect (the registered redirect URI).
- ``POST /quickbooks/webhooks``: Intuit's change notifications.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from extension.accounts.quickbooks_connect import (
    STATE_MAX_AGE,
    ConnectRefused,
    finish_connect,
    start_connect,
)
from extension.invoicing.webhook_inbox import MAX_WEBHOOK_BYTES, receive_notifications
from extension.quickbooks.errors import QuickBooksError
from extension.quickbooks.webhooks import SIGNATURE_HEADER
from extension.security.headers import content_security_policy
from extension.services import get_services
from extension.web.body import read_limited
from extension.web.rendering import render_outcome

__all__ = ["routes"]

logger = logging.getLogger(__name__)
_NONCE_COOKIE = "qbo_oauth_nonce"
_TICKET_FORM_LIMIT = 4096


def _page(request: Request, status: int, outcome: str, **details: str) -> Response:
    return render_outcome(request, "quickbooks_connected.html", outcome, status, **details)


async def connect_window(request: Request) -> Response:
    """The new window's first page: it fetches its ticket from the settings page."""
    return _page(request, 200, "starting")


async def connect_start(request: Request) -> Response:
    services = get_services(request)
    form = await request.form(max_files=0, max_fields=4, max_part_size=_TICKET_FORM_LIMIT)
    try:
        start = await start_connect(services, str(form.get("ticket", "")))
    except ConnectRefused as exc:
        return _page(request, 403 if exc.outcome == "forbidden" else 400, exc.outcome)
    response = RedirectResponse(start.authorize_url, status_code=303)
    response.set_cookie(
        _NONCE_COOKIE,
        start.nonce,
        max_age=STATE_MAX_AGE,
        httponly=True,
        secure=services.settings.app_base_url.startswith("https://"),
        samesite="lax",
        path="/quickbooks",
    )
    # CSP's form-action also governs where a form's redirect may lead: Intuit's consent page.
    parts = urlsplit(services.settings.qbo_authorize_url)
    policy = content_security_policy().replace(
        "form-action 'self'", f"form-action 'self' {parts.scheme}://{parts.netloc}"
    )
    response.headers["Content-Security-Policy"] = policy
    return response


async def callback(request: Request) -> Response:
    services = get_services(request)
    query = request.query_params
    try:
        connected = await finish_connect(
            services,
            state=query.get("state", ""),
            nonce_cookie=request.cookies.get(_NONCE_COOKIE, ""),
            code=query.get("code", ""),
            realm_id=query.get("realmId", ""),
            error=query.get("error", ""),
        )
    except ConnectRefused as exc:
        status = {"cancelled": 200, "forbidden": 403}.get(exc.outcome, 400)
        return _page(request, status, exc.outcome)
    except QuickBooksError as exc:
        logger.warning(
            "QuickBooks connect failed: %s intuit_tid=%s", type(exc).__name__, exc.intuit_tid
        )
        return _page(request, 502, "failed")
    response = _page(request, 200, "connected", company_name=connected.company_name)
    response.delete_cookie(_NONCE_COOKIE, path="/quickbooks")
    return response


async def webhooks(request: Request) -> Response:
    body = await read_limited(request, MAX_WEBHOOK_BYTES)
    verified = await receive_notifications(
        get_services(request), body, request.headers.get(SIGNATURE_HEADER)
    )
    # Always 200 once the signature is good: a 4xx makes Intuit retry the whole batch.
    return Response(status_code=200 if verified else 401)


routes = [
    Route("/quickbooks/connect", connect_window, methods=["GET"], name="quickbooks_connect"),
    Route("/quickbooks/connect", connect_start, methods=["POST"], name="quickbooks_connect_start"),
    Route("/quickbooks/callback", callback, methods=["GET"], name="quickbooks_callback"),
    Route("/quickbooks/webhooks", webhooks, methods=["POST"], name="quickbooks_webhooks"),
]
