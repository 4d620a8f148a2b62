"""The stand-in's OAuth server: authorize (consent page), token, revoke (reference/pipedrive.md §2).

- ``GET /oauth/authorize?client_id&redirect_uri&state``: a consent page for the Pipedrive user
  signed in to the sandbox (a cookie set by the host page's "Install app", switchable on the
  page). "Allow" redirects to ``redirect_uri?code=…&state=…``, "Deny" to
  ``redirect_uri?error=user_denied&state=…``. An unknown client or a redirect URI that is not
  the app's registered callback URL gets ``{"error": "Invalid redirect URL"}`` and no redirect.
- ``POST /oauth/token``: form-encoded, client credentials in HTTP Basic auth (or, not
  recommended, in the body). Grant types ``authorization_code`` and ``refresh_token``.
- ``POST /oauth/revoke``: RFC 7009; 200 even for an unknown token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from extension.sandbox.pipedrive.state import OAuthFailure, PipedriveStandIn
from extension.sandbox.seed import USERS

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = ["routes", "USER_COOKIE"]

USER_COOKIE = "pd_sandbox_user"
_FORM = "application/x-www-form-urlencoded"


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret) if sep else None
    if form.get("client_id") and form.get("client_secret"):
        return form["client_id"], form["client_secret"]
    return None


def _error(status: int, error: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"success": False, "error": error, "message": message, "error_description": message},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def routes(sandbox: Sandbox, state: PipedriveStandIn) -> list[BaseRoute]:
    settings = sandbox.settings
    callback_url = settings.app_base_url + sandbox.manifest.callback_url

    def _valid_client(client_id: str | None, redirect_uri: str | None) -> bool:
        return client_id == state.client_id and redirect_uri == callback_url

    def _signed_in(request: Request) -> int:
        raw = request.cookies.get(USER_COOKIE, "")
        return int(raw) if raw.isdigit() and state.user(int(raw)) else USERS[0].id

    async def authorize(request: Request) -> Response:
        query = request.query_params
        if not _valid_client(query.get("client_id"), query.get("redirect_uri")):
            return JSONResponse({"error": "Invalid redirect URL"}, status_code=400)
        context = {
            "app_name": sandbox.manifest.name,
            "scopes": sandbox.manifest.pipedrive_scopes,
            "users": USERS,
            "signed_in": _signed_in(request),
            "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"],
            "state": query.get("state", ""),
        }
        return sandbox.templates.TemplateResponse(
            request, "sandbox/pipedrive_authorize.html", context
        )

    async def decide(request: Request) -> Response:
        form = await request.form()
        client_id, redirect_uri = str(form.get("client_id", "")), str(form.get("redirect_uri", ""))
        if not _valid_client(client_id, redirect_uri):
            return JSONResponse({"error": "Invalid redirect URL"}, status_code=400)
        raw_user = str(form.get("user_id", ""))
        user = state.user(int(raw_user)) if raw_user.isdigit() else None
        params: dict[str, str] = {}
        if form.get("decision") == "allow" and user is not None:
            params["code"] = state.issue_code(user.id, client_id, redirect_uri)
        else:
            params["error"] = "user_denied"
        if form.get("state"):
            params["state"] = str(form["state"])
        response = RedirectResponse(f"{redirect_uri}?{urlencode(params)}", status_code=303)
        if user is not None:
            response.set_cookie(USER_COOKIE, str(user.id), httponly=True, samesite="lax")
        return response

    async def token(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != _FORM:
            return _error(
                400, "invalid_request", "content must be application/x-www-form-urlencoded"
            )
        form = {k: str(v) for k, v in (await request.form()).items()}
        credentials = _client_credentials(request, form)
        if credentials is None:
            return _error(
                400, "invalid_client", "Invalid client: cannot retrieve client credentials"
            )
        client_id, secret = credentials
        if not (
            hmac.compare_digest(client_id.encode(), state.client_id.encode())
            and hmac.compare_digest(secret.encode(), state.client_secret.encode())
        ):
            return _error(400, "invalid_client", "Invalid client: client is invalid")
        grant_type = form.get("grant_type")
        try:
            if not grant_type:
                raise OAuthFailure(400, "invalid_request", "Missing parameter: grant_type")
            if grant_type == "authorization_code":
                grant = state.exchange_code(
                    client_id, form.get("code", ""), form.get("redirect_uri", "")
                )
            elif grant_type == "refresh_token":
                grant = state.refresh(form.get("refresh_token", ""))
            else:
                raise OAuthFailure(
                    400, "unsupported_grant_type", "Unsupported grant type: grant_type is invalid"
                )
        except OAuthFailure as failure:
            return _error(failure.status, failure.error, failure.message)
        return JSONResponse(
            {
                "access_token": grant.access_token,
                "token_type": "Bearer",
                "refresh_token": grant.refresh_token,
                "scope": grant.scope,
                "expires_in": grant.expires_in,
                "api_domain": grant.api_domain,
            },
            headers={"Cache-Control": "no-store"},
        )

    async def revoke(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        credentials = _client_credentials(request, form)
        if credentials is None or not hmac.compare_digest(
            f"{credentials[0]}:{credentials[1]}".encode(),
            f"{state.client_id}:{state.client_secret}".encode(),
        ):
            return _error(400, "invalid_client", "Invalid client: client is invalid")
        state.revoke(form.get("token", ""), form.get("token_type_hint"))
        return Response(status_code=200)

    return [
        Route("/oauth/authorize", authorize, methods=["GET"], name="authorize"),
        Route("/oauth/authorize", decide, methods=["POST"], name="authorize_decision"),
        Route("/oauth/token", token, methods=["POST"], name="token"),
        Route("/oauth/revoke", revoke, methods=["POST"], name="revoke"),
    ]
