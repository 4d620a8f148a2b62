"""Pipedrive's OAuth endpoints from the app's side (reference/pipedrive.md §2).

Token requests are form-encoded with the client credentials in HTTP Basic auth (the documented
and recommended way); ``api_domain`` comes from the token response. The ``state`` we send is an
itsdangerous HMAC signature with a timestamp, so the callback can refuse a missing, forged or
expired one without keeping anything server-side.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from extension.pipedrive.errors import OAuthError, PipedriveError, PipedriveUnavailable
from extension.pipedrive.models import TokenSet
from extension.settings import Settings

__all__ = [
    "STATE_MAX_AGE",
    "InvalidState",
    "issue_state",
    "verify_state",
    "authorize_url",
    "callback_url",
    "exchange_code",
    "refresh_tokens",
    "revoke_refresh_token",
    "basic_credentials",
]

STATE_MAX_AGE = 600  # the consent page may stay open a while; codes themselves live 5 minutes
_STATE_SALT = "pipedrive-oauth-state.v1"
_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class InvalidState(Exception):
    """The callback's ``state`` is missing, forged or expired (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(settings.secret_key), salt=_STATE_SALT)


def issue_state(settings: Settings) -> str:
    return _serializer(settings).dumps({"n": secrets.token_urlsafe(12)})


def verify_state(settings: Settings, state: str | None, *, max_age: int = STATE_MAX_AGE) -> None:
    if not state:
        raise InvalidState("missing")
    try:
        _serializer(settings).loads(state, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidState("expired") from exc
    except BadSignature as exc:
        raise InvalidState("forged") from exc


def callback_url(settings: Settings, path: str) -> str:
    return settings.app_base_url + path


def authorize_url(settings: Settings, *, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {"client_id": settings.pipedrive_client_id, "redirect_uri": redirect_uri, "state": state}
    )
    return f"{settings.pipedrive_oauth_url}/oauth/authorize?{query}"


def basic_credentials(settings: Settings) -> str:
    raw = f"{settings.pipedrive_client_id}:{settings.pipedrive_client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


async def _token_request(
    http: httpx.AsyncClient, settings: Settings, form: dict[str, str]
) -> dict[str, Any]:
    try:
        response = await http.post(
            f"{settings.pipedrive_oauth_url}/oauth/token",
            data=form,
            headers={"Authorization": basic_credentials(settings), "Accept": "application/json"},
            timeout=_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise PipedriveUnavailable(f"Pipedrive OAuth unreachable ({type(exc).__name__})") from None
    if response.status_code >= 500:
        raise PipedriveUnavailable("Pipedrive OAuth failed", status=response.status_code)
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        code = error if isinstance(error, str) else "invalid_request"
        raise OAuthError(
            f"Pipedrive refused the token request ({response.status_code} {code})",
            status=response.status_code,
            error=code,
        )
    return body


def _token_set(body: dict[str, Any], *, previous_api_domain: str = "") -> TokenSet:
    access, refresh = body.get("access_token"), body.get("refresh_token")
    api_domain = body.get("api_domain") or previous_api_domain
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise PipedriveError("token response without tokens")
    if not isinstance(api_domain, str) or urlsplit(api_domain).scheme not in {"http", "https"}:
        raise PipedriveError("token response without a usable api_domain")
    expires_in = body.get("expires_in")
    seconds = expires_in if isinstance(expires_in, int | float) and expires_in > 0 else 3600
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=datetime.now(UTC) + timedelta(seconds=float(seconds)),
        scope=str(body.get("scope") or ""),
        api_domain=api_domain.rstrip("/"),
    )


async def exchange_code(
    http: httpx.AsyncClient, settings: Settings, *, code: str, redirect_uri: str
) -> TokenSet:
    body = await _token_request(
        http,
        settings,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri},
    )
    return _token_set(body)


async def refresh_tokens(
    http: httpx.AsyncClient, settings: Settings, *, refresh_token: str, api_domain: str
) -> TokenSet:
    body = await _token_request(
        http, settings, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    return _token_set(body, previous_api_domain=api_domain)


async def revoke_refresh_token(
    http: httpx.AsyncClient, settings: Settings, refresh_token: str
) -> None:
    """Vendor-side uninstall: revoking the refresh token removes the whole authorization."""
    try:
        await http.post(
            f"{settings.pipedrive_oauth_url}/oauth/revoke",
            data={"token": refresh_token, "token_type_hint": "refresh_token"},
            headers={"Authorization": basic_credentials(settings)},
            timeout=_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise PipedriveUnavailable(f"Pipedrive OAuth unreachable ({type(exc).__name__})") from None
