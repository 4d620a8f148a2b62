"""Intuit OAuth 2.0: authorize URL, code exchange, refresh and revoke (reference §1).

The client authenticates with HTTP Basic (``client_secret_basic``) and sends form bodies; the
revoke endpoint takes JSON. Tokens live in :class:`TokenSet`, whose repr hides them.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from extension.quickbooks.errors import (
    QuickBooksAuthError,
    QuickBooksError,
    QuickBooksUnavailable,
    error_from_response,
)

__all__ = ["TokenSet", "IntuitOAuth", "InvalidGrant", "OAUTH_TIMEOUT"]

logger = logging.getLogger(__name__)
OAUTH_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


class InvalidGrant(QuickBooksAuthError):
    """The code or refresh token is no longer valid (``invalid_grant``)."""


@dataclass(frozen=True, slots=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    refresh_token_expires_in: int
    refresh_token_hard_expires_in: int | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> TokenSet:
        hard = data.get("x_refresh_token_hard_expires_in")
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            expires_in=int(data.get("expires_in", 3600)),
            refresh_token_expires_in=int(data.get("x_refresh_token_expires_in", 8726400)),
            refresh_token_hard_expires_in=int(hard) if hard is not None else None,
        )


class IntuitOAuth:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        client_id: str,
        client_secret: str,
        authorize_url: str,
        token_url: str,
        revoke_url: str,
        redirect_uri: str,
        scopes: list[str],
    ) -> None:
        self._http = http
        self.client_id = client_id
        self._basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.authorize_endpoint = authorize_url
        self.token_url = token_url
        self.revoke_url = revoke_url
        self.redirect_uri = redirect_uri
        self.scopes = scopes

    def __repr__(self) -> str:
        return f"IntuitOAuth(client_id={self.client_id!r})"

    def authorize_url(self, state: str) -> str:
        query = urlencode(
            {
                "client_id": self.client_id,
                "response_type": "code",
                "scope": " ".join(self.scopes),
                "redirect_uri": self.redirect_uri,
                "state": state,
            }
        )
        return f"{self.authorize_endpoint}?{query}"

    async def exchange_code(self, code: str) -> TokenSet:
        # One request only: exchanging a code twice can invalidate its tokens at Intuit.
        return await self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )

    async def refresh(self, refresh_token: str) -> TokenSet:
        return await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )

    async def revoke(self, token: str) -> None:
        try:
            response = await self._http.post(
                self.revoke_url,
                content=json.dumps({"token": token}),
                headers={
                    "Authorization": self._basic,
                    "Accept": "application/json",
                    "Content-Type": "application/json",
                },
                timeout=OAUTH_TIMEOUT,
            )
        except httpx.TransportError as exc:
            raise QuickBooksUnavailable("Intuit revoke endpoint unreachable") from exc
        if response.status_code != 200:
            tid = response.headers.get("intuit_tid", "")
            logger.warning("Intuit revoke failed: HTTP %s intuit_tid=%s", response.status_code, tid)
            raise QuickBooksAuthError(
                f"revoke failed (HTTP {response.status_code})",
                status=response.status_code,
                intuit_tid=tid,
            )

    async def _token_request(self, form: dict[str, str]) -> TokenSet:
        try:
            response = await self._http.post(
                self.token_url,
                data=form,
                headers={
                    "Authorization": self._basic,
                    "Accept": "application/json",
                    "x-include-refresh-token-hard-expires-in": "true",
                },
                timeout=OAUTH_TIMEOUT,
            )
        except httpx.TransportError as exc:
            raise QuickBooksUnavailable("Intuit token endpoint unreachable") from exc
        tid = response.headers.get("intuit_tid", "")
        body: Any = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and "access_token" in body:
            return TokenSet.from_api(body)
        logger.warning(
            "Intuit token request (%s) failed: HTTP %s intuit_tid=%s",
            form["grant_type"],
            response.status_code,
            tid,
        )
        if isinstance(body, dict) and body.get("error") == "invalid_grant":
            raise InvalidGrant("invalid_grant", status=response.status_code, intuit_tid=tid)
        error = error_from_response(
            response.status_code, response.headers, response.content, intuit_tid=tid
        )
        if isinstance(error, QuickBooksError):
            raise error
        raise QuickBooksUnavailable("unexpected token response", intuit_tid=tid)
