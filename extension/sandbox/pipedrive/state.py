"""The Pipedrive stand-in's memory: OAuth grants, live tokens, installs, rate-limit settings.

One ``PipedriveStandIn`` per sandbox, created with the sandbox's routes and found again with
``stand_in(sandbox)``. Everything follows Pipedrive's documented OAuth behaviour
(reference/pipedrive.md §2): authorization codes are single-use and live 5 minutes, access
tokens 60 minutes, the refresh token is the same one on every refresh and dies when the user
uninstalls or it is revoked. Time comes from ``clock`` so tests can move it without sleeping.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from extension.sandbox.pipedrive.ratelimit import RateLimiter
from extension.sandbox.seed import COMPANY_ID, USERS, SandboxUser

if TYPE_CHECKING:
    from extension.sandbox import Sandbox

__all__ = [
    "PipedriveStandIn",
    "ApiRequest",
    "Preferences",
    "Grant",
    "OAuthFailure",
    "stand_in",
    "CODE_TTL",
    "ACCESS_TTL",
]

CODE_TTL = 300.0
ACCESS_TTL = 3600
SCOPE = "base,deals:read,contacts:read,products:read"


class OAuthFailure(Exception):
    """A documented ``/oauth/token`` refusal: HTTP status, OAuth error code, Pipedrive's message."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


@dataclass(slots=True)
class _Code:
    user_id: int
    client_id: str
    redirect_uri: str
    issued_at: float
    used: bool = False


@dataclass(frozen=True, slots=True)
class ApiRequest:
    """One API request as the stand-in answered it: what it cost from the company's daily
    budget (the endpoint's published ``x-token-cost``; 0 when refused) and its status."""

    method: str
    path: str
    token_cost: int
    status: int


@dataclass(frozen=True, slots=True)
class Preferences:
    """A user's language, "Date/number format" and time zone in Pipedrive."""

    language_code: str
    country_code: str
    locale: str
    timezone_name: str


@dataclass(frozen=True, slots=True)
class Grant:
    """What ``/oauth/token`` answers: the documented token response fields."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    api_domain: str


@dataclass(slots=True)
class PipedriveStandIn:
    client_id: str
    client_secret: str
    api_domain: str
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    latency: float = 0.0
    limiter: RateLimiter = field(default_factory=RateLimiter)
    # Every API request answered, in order (the "wire" tests and benchmarks count).
    requests: list[ApiRequest] = field(default_factory=list)
    _codes: dict[str, _Code] = field(default_factory=dict)
    # access token -> (user id, expires at); refresh token -> user id
    _access: dict[str, tuple[int, float]] = field(default_factory=dict)
    _refresh: dict[str, int] = field(default_factory=dict)
    installed: set[int] = field(default_factory=set)
    # An admin made a user admin or took it away in Pipedrive's company settings.
    admin_changes: dict[int, bool] = field(default_factory=dict)
    # A user changed their own preferences in Pipedrive (what /users/me then reports).
    preference_changes: dict[int, Preferences] = field(default_factory=dict)

    # ---- users -----------------------------------------------------------------------------

    def user(self, user_id: int) -> SandboxUser | None:
        seeded = next((u for u in USERS if u.id == user_id), None)
        changed = self.preference_changes.get(user_id)
        if seeded is None or changed is None:
            return seeded
        return replace(
            seeded,
            language_code=changed.language_code,
            country_code=changed.country_code,
            locale=changed.locale,
            timezone_name=changed.timezone_name,
        )

    def is_admin(self, user_id: int) -> bool:
        user = self.user(user_id)
        return self.admin_changes.get(user_id, user.is_admin if user else False)

    @property
    def company_id(self) -> int:
        return COMPANY_ID

    # ---- OAuth -----------------------------------------------------------------------------

    def issue_code(self, user_id: int, client_id: str, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(24)
        self._codes[code] = _Code(user_id, client_id, redirect_uri, self.clock())
        return code

    def exchange_code(self, client_id: str, code: str, redirect_uri: str) -> Grant:
        entry = self._codes.get(code)
        if entry is None or entry.used or entry.client_id != client_id:
            raise OAuthFailure(400, "invalid_grant", "Invalid grant: authorization_code is invalid")
        entry.used = True  # single use, even when the rest of the request fails
        if self.clock() - entry.issued_at > CODE_TTL:
            raise OAuthFailure(
                400, "invalid_grant", "Invalid grant: authorization_code has expired"
            )
        if redirect_uri != entry.redirect_uri:
            raise OAuthFailure(400, "invalid_request", "Invalid request: redirect_uri is invalid")
        refresh = "r:" + secrets.token_urlsafe(32)
        self._refresh[refresh] = entry.user_id
        self.installed.add(entry.user_id)
        return self._grant(entry.user_id, refresh)

    def refresh(self, refresh_token: str) -> Grant:
        user_id = self._refresh.get(refresh_token)
        if user_id is None:
            raise OAuthFailure(400, "invalid_grant", "Invalid grant: refresh_token is invalid")
        # Pipedrive documents that the same refresh token is issued again.
        return self._grant(user_id, refresh_token)

    def _grant(self, user_id: int, refresh_token: str) -> Grant:
        access = f"v1u:{secrets.token_urlsafe(32)}"
        self._access[access] = (user_id, self.clock() + ACCESS_TTL)
        return Grant(access, refresh_token, ACCESS_TTL, SCOPE, self.api_domain)

    def revoke(self, token: str, hint: str | None) -> None:
        """RFC 7009: unknown tokens are fine; a refresh token takes the whole install with it."""
        if token in self._access:
            del self._access[token]
            return
        user_id = self._refresh.get(token)
        if user_id is not None:
            self._forget_user(user_id)

    def uninstall(self, user_id: int) -> None:
        self._forget_user(user_id)

    def _forget_user(self, user_id: int) -> None:
        self.installed.discard(user_id)
        self._access = {t: v for t, v in self._access.items() if v[0] != user_id}
        self._refresh = {t: u for t, u in self._refresh.items() if u != user_id}

    def authenticate(self, access_token: str) -> int | None:
        entry = self._access.get(access_token)
        if entry is None or self.clock() >= entry[1]:
            return None
        return entry[0]

    def expire_access_tokens(self, user_id: int) -> None:
        """Test and demo hook: the user's access tokens stop working, as after 60 minutes."""
        self._access = {t: v for t, v in self._access.items() if v[0] != user_id}

    def kill_refresh_tokens(self, user_id: int) -> None:
        """Test and demo hook: the refresh token dies (60 days unused) but nothing else changes."""
        self._refresh = {t: u for t, u in self._refresh.items() if u != user_id}

    async def delay(self) -> None:
        if self.latency > 0:
            await self.sleep(self.latency)


_REGISTRY: weakref.WeakKeyDictionary[Sandbox, PipedriveStandIn] = weakref.WeakKeyDictionary()


def stand_in(sandbox: Sandbox) -> PipedriveStandIn:
    """The stand-in state owned by this sandbox (created on first use)."""
    state = _REGISTRY.get(sandbox)
    if state is None:
        settings = sandbox.settings
        state = PipedriveStandIn(
            client_id=settings.pipedrive_client_id,
            client_secret=str(settings.pipedrive_client_secret),
            api_domain=f"{sandbox.base_url}/pipedrive/company/northwind-sandbox",
        )
        _REGISTRY[sandbox] = state
    return state
