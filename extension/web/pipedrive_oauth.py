"""The two URLs registered in Pipedrive's Developer Hub (``manifest/app.json``).

- Installation URL ``/pipedrive/install``: redirect to Pipedrive's authorize page with a signed,
  expiring ``state``.
- Callback URL ``/pipedrive/callback``: ``GET`` finishes the OAuth install and sends the user to
  the app's settings page inside Pipedrive; ``DELETE`` is Pipedrive's uninstall notice; ``POST``
  its sharing notice. Pipedrive does not read the answers to DELETE and POST.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from extension.pipedrive.errors import OAuthError, PipedriveError, PipedriveUnavailable
from extension.pipedrive.install import app_settings_url, complete_install
from extension.pipedrive.oauth import InvalidState, authorize_url, issue_state, verify_state
from extension.pipedrive.uninstall import (
    parse_notice,
    record_sharing_change,
    uninstall_user,
    verify_pipedrive_basic_auth,
)
from extension.services import get_services

__all__ = ["routes"]

logger = logging.getLogger("extension.pipedrive")


def _callback_url(request: Request) -> str:
    # The registered callback URL, exactly: built from APP_BASE_URL, not from the Host header.
    settings = get_services(request).settings
    return settings.app_base_url + str(request.app.url_path_for("pipedrive_callback"))


def _page(request: Request, outcome: str, status_code: int, **context: Any) -> Response:
    templates = get_services(request).templates
    response = templates.TemplateResponse(
        request,
        "pipedrive_install.html",
        {"outcome": outcome, **context},
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def install(request: Request) -> Response:
    settings = get_services(request).settings
    url = authorize_url(settings, redirect_uri=_callback_url(request), state=issue_state(settings))
    return RedirectResponse(url, status_code=303)


async def callback(request: Request) -> Response:
    services = get_services(request)
    query = request.query_params
    if query.get("error"):
        denied = query["error"] == "user_denied"
        return _page(request, "denied" if denied else "error", 200 if denied else 400)
    try:
        verify_state(services.settings, query.get("state"))
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
    except PipedriveUnavailable:
        return _page(request, "unavailable", 502)
    except PipedriveError as exc:
        logger.warning("Pipedrive install failed: %s", type(exc).__name__)
        return _page(request, "unavailable", 502)
    return RedirectResponse(
        app_settings_url(services.settings, result.user.company_domain), status_code=303
    )


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


async def uninstall(request: Request) -> Response:
    services = get_services(request)
    # Credentials first: nothing of the request is read before they check out.
    if not verify_pipedrive_basic_auth(services.settings, request.headers.get("authorization")):
        return JSONResponse(
            {"success": False, "error": "unauthorized"},
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="pipedrive"'},
        )
    notice = parse_notice(await _json(request))
    if notice is None or notice.client_id != services.settings.pipedrive_client_id:
        return JSONResponse({"success": False, "error": "malformed notice"}, status_code=400)
    outcome = await uninstall_user(services, notice)
    return JSONResponse({"success": True, "outcome": outcome})


async def sharing_notice(request: Request) -> Response:
    recorded = await record_sharing_change(get_services(request), await _json(request))
    return JSONResponse({"success": True, "recorded": recorded})


routes = [
    Route("/pipedrive/install", install, methods=["GET"], name="pipedrive_install"),
    Route("/pipedrive/callback", callback, methods=["GET"], name="pipedrive_callback"),
    Route("/pipedrive/callback", uninstall, methods=["DELETE"], name="pipedrive_uninstall"),
    Route("/pipedrive/callback", sharing_notice, methods=["POST"], name="pipedrive_sharing"),
]
