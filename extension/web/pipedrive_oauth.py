"""The two URLs registered in Pipedrive's Developer Hub (``manifest/app.json``).

- Installation URL ``/pipedrive/install``: redirect to Pipedrive's authorize page with a signed,
  expiring ``state``.
- Callback URL ``/pipedrive/callback``: ``GET`` finishes the OAuth install and sends the user to
  the app's settings page inside Pipedrive; ``DELETE`` is Pipedrive's uninstall notice; ``POST``
  its sharing notice. Pipedrive does not read the answers to DELETE and POST.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from extension.accounts.installs import (
    InvalidState,
    app_settings_url,
    authorize_url,
    complete_install,
    verify_state,
)
from extension.accounts.teardown import NoticeRefused, handle_sharing, handle_uninstall
from extension.pipedrive.errors import OAuthError, PipedriveError
from extension.services import get_services
from extension.web.body import read_limited
from extension.web.rendering import render_outcome

__all__ = ["routes"]

logger = logging.getLogger(__name__)
_NOTICE_LIMIT = 64 * 1024


def _callback_url(request: Request) -> str:
    # The registered callback URL, exactly: built from APP_BASE_URL, not from the Host header.
    settings = get_services(request).settings
    return settings.app_base_url + str(request.app.url_path_for("pipedrive_callback"))


def _page(request: Request, outcome: str, status_code: int, **details: str) -> Response:
    return render_outcome(request, "pipedrive_install.html", outcome, status_code, **details)


async def install(request: Request) -> Response:
    url = authorize_url(get_services(request), redirect_uri=_callback_url(request))
    return RedirectResponse(url, status_code=303)


async def callback(request: Request) -> Response:
    services = get_services(request)
    query = request.query_params
    if query.get("error"):
        denied = query["error"] == "user_denied"
        return _page(request, "denied" if denied else "error", 200 if denied else 400)
    try:
        verify_state(services, query.get("state"))
    except InvalidState as exc:
        return _page(request, "bad_state", 400, reason=exc.reason)
    code = query.get("code")
    if not code:
        return _page(request, "error", 400)
    try:
        result = await complete_install(services, code=code, redirect_uri=_callback_url(request))
    except OAuthError as exc:
        logger.info("Pipedrive refused an authorization code: %s", exc.error)
        return _page(request, "code_refused", 400)
    except PipedriveError as exc:
        logger.warning("Pipedrive install failed: %s", type(exc).__name__)
        return _page(request, "unavailable", 502)
    return RedirectResponse(app_settings_url(services, result.user.company_domain), status_code=303)


async def uninstall(request: Request) -> Response:
    async def body() -> Any:
        try:
            return json.loads(await read_limited(request, _NOTICE_LIMIT))
        except ValueError:
            return None

    try:
        outcome = await handle_uninstall(
            get_services(request), request.headers.get("authorization"), body
        )
    except NoticeRefused as exc:
        headers = {"WWW-Authenticate": 'Basic realm="pipedrive"'} if exc.status == 401 else None
        return JSONResponse(
            {"success": False, "error": exc.reason}, status_code=exc.status, headers=headers
        )
    return JSONResponse({"success": True, "outcome": outcome})


async def sharing_notice(request: Request) -> Response:
    try:
        body: Any = json.loads(await read_limited(request, _NOTICE_LIMIT))
    except ValueError:
        body = None
    recorded = await handle_sharing(get_services(request), body)
    return JSONResponse({"success": True, "recorded": recorded})


routes = [
    Route("/pipedrive/install", install, methods=["GET"], name="pipedrive_install"),
    Route("/pipedrive/callback", callback, methods=["GET"], name="pipedrive_callback"),
    Route("/pipedrive/callback", uninstall, methods=["DELETE"], name="pipedrive_uninstall"),
    Route("/pipedrive/callback", sharing_notice, methods=["POST"], name="pipedrive_sharing"),
]
