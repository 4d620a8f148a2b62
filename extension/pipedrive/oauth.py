"""Pipedrive's OAuth endpoints from the app's side (reference/pipedrive.md §2).

Token requests are form-encoded with the client credentials in HTTP Basic auth (the documented
and recommended way). What the token endpoint's refusals mean, and so what the app does:

- ``invalid_grant`` (400/401): the grant is dead → ``OAuthError`` with that code; the caller
  forgets the tokens and asks the user to authorize again. Nothing else means that.
- ``invalid_client``: our own client id/secret are wrong → ``OAuthError``; tokens are kept.
- 429 → ``PipedriveRateLimited``; 5xx, timeouts, a 403 or anything that is not Pipedrive's JSON
  (a proxy) → ``PipedriveUnavailable``; any other refusal (``invalid_request`` …) →
  ``OAuthError``. The caller keeps the tokens for all of them and asks to try again.

``api_domain`` decides where bearer tokens are sent, so it is accepted only on
``https://*.pipedrive.com`` or, when the OAuth server is not Pipedrive's own (an outside
Pipedrive-compatible server, or the local sandbox), on that server's own origin.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from extension.pipedrive.errors import (
    OAuthError,
    PipedriveError,
    PipedriveRateLimited,
    PipedriveUnavailable,
)
from extension.pipedrive.models import TokenSet
from extension.upstream_retry import parse_retry_after

__all__ = ["PipedriveOAuthConfig", "PipedriveOAuth", "api_domain_allowed", "PIPEDRIVE_OAUTH_URL"]

PIPEDRIVE_OAUTH_URL = "https://oauth.pipedrive.com"
_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@dataclass(frozen=True, slots=True)
class PipedriveOAuthConfig:
    client_id: str
    client_secret: str = field(repr=False)
    oauth_url: str = PIPEDRIVE_OAUTH_URL


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, (parts.netloc or "").lower()


def api_domain_allowed(api_domain: str, oauth_url: str) -> bool:
    scheme, host = _origin(api_domain)
    hostname = (urlsplit(api_domain).hostname or "").lower()
    if scheme == "https" and hostname.endswith(".pipedrive.com"):
        return True
    if _origin(oauth_url) == _origin(PIPEDRIVE_OAUTH_URL):
        return False  # Pipedrive's own OAuth server only hands out its own domains
    return (scheme, host) == _origin(oauth_url)


class PipedriveOAuth:
    def __init__(self, http: httpx.AsyncClient, config: PipedriveOAuthConfig) -> None:
        self._http = http
        self.config = config

    def __repr__(self) -> str:
        return f"PipedriveOAuth(client_id={self.config.client_id!r})"

    @property
    def basic_credentials(self) -> str:
        raw = f"{self.config.client_id}:{self.config.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def verify_basic_auth(self, header: str | None) -> bool:
        """Pipedrive's uninstall notice carries our own client credentials (constant time)."""
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() != "basic" or not value:
            return False
        try:
            presented = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        expected = f"{self.config.client_id}:{self.config.client_secret}".encode()
        return hmac.compare_digest(presented, expected)

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {"client_id": self.config.client_id, "redirect_uri": redirect_uri, "state": state}
        )
        return f"{self.config.oauth_url}/oauth/authorize?{query}"

    async def exchange_code(self, *, code: str, redirect_uri: str) -> TokenSet:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return self._token_set(await self._token_request(form))

    async def refresh(self, *, refresh_token: str, api_domain: str) -> TokenSet:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token_set(await self._token_request(form), previous_api_domain=api_domain)

    async def revoke(self, refresh_token: str) -> None:
        """Vendor-side uninstall: revoking the refresh token removes the whole authorization."""
        try:
            await self._http.post(
                f"{self.config.oauth_url}/oauth/revoke",
                data={"token": refresh_token, "token_type_hint": "refresh_token"},
                headers={"Authorization": self.basic_credentials},
                timeout=_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise PipedriveUnavailable(
                f"Pipedrive OAuth unreachable ({type(exc).__name__})"
            ) from None

    async def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        try:
            response = await self._http.post(
                f"{self.config.oauth_url}/oauth/token",
                data=form,
                headers={"Authorization": self.basic_credentials, "Accept": "application/json"},
                timeout=_TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise PipedriveUnavailable(
                f"Pipedrive OAuth unreachable ({type(exc).__name__})",
                timed_out=isinstance(exc, httpx.TimeoutException),
            ) from None
        status = response.status_code
        if status == 429:
            raise PipedriveRateLimited(
                "Pipedrive OAuth rate limit reached",
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if status >= 500:
            raise PipedriveUnavailable("Pipedrive OAuth failed", status=status)
        try:
            body = response.json()
        except ValueError:
            body = None
        if status == 200 and isinstance(body, dict):
            return body
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, str) or status == 403:
            # Not an OAuth answer at all: a proxy, a firewall or an outage page.
            raise PipedriveUnavailable("Pipedrive OAuth answered unexpectedly", status=status)
        raise OAuthError(
            f"Pipedrive refused the token request ({status} {error[:40]})",
            status=status,
            error=error[:40],
        )

    def _token_set(self, body: dict[str, Any], *, previous_api_domain: str = "") -> TokenSet:
        access, refresh = body.get("access_token"), body.get("refresh_token")
        api_domain = body.get("api_domain") or previous_api_domain
        if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
            raise PipedriveError("token response without tokens")
        if not isinstance(api_domain, str) or not api_domain_allowed(
            api_domain, self.config.oauth_url
        ):
            raise PipedriveError("token response with an api_domain we do not send tokens to")
        expires_in = body.get("expires_in")
        seconds = expires_in if isinstance(expires_in, int | float) and expires_in > 0 else 3600
        return TokenSet(
            access_token=access,
            refresh_token=refresh,
            expires_at=datetime.now(UTC) + timedelta(seconds=float(seconds)),
            scope=str(body.get("scope") or ""),
            api_domain=api_domain.rstrip("/"),
        )
