"""Renewing the page's session token with a fresh Pipedrive JWT (SDK ``get_signed_token``)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from extension.accounts.users import refresh_user_details
from extension.security.iframe_jwt import InvalidIframeToken, verify_iframe_token
from extension.security.session import AppSession
from extension.services import get_services
from extension.web.body import read_limited

__all__ = ["routes"]


async def renew_session(request: Request) -> Response:
    """Exchange a Pipedrive-signed JWT for a new session token (JSON)."""
    services = get_services(request)
    try:
        body = json.loads(await read_limited(request, 8192))
    except ValueError:
        return JSONResponse({"error": "invalid body"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "invalid body"}, status_code=400)
    query = {k: str(body.get(k, "")) for k in ("userId", "companyId")}
    try:
        identity = verify_iframe_token(
            str(body.get("token", "")), query, str(services.settings.pipedrive_jwt_secret)
        )
    except InvalidIframeToken:
        return JSONResponse({"error": "unverified"}, status_code=401)
    # A new session is a moment to re-read the admin flag (cached for a few minutes).
    user = await refresh_user_details(services, identity.company_id, identity.user_id)
    if user is None:
        return JSONResponse({"error": "not installed"}, status_code=401)
    token = services.session_signer.issue(
        AppSession(company_id=identity.company_id, user_id=identity.user_id)
    )
    return JSONResponse(
        {"session": token, "expires_in": services.session_signer.ttl_seconds},
        headers={"Cache-Control": "no-store"},
    )


routes = [Route("/session/renew", renew_session, methods=["POST"], name="session_renew")]
