"""A ``PipedriveClient`` for one user, with tokens that refresh themselves safely.

Access tokens live 60 minutes; we refresh when one has (nearly) expired and once when
Pipedrive answers 401. Only one refresh per user runs at a time: an ``asyncio.Lock`` per user
inside this process, and a database lock across processes (``lock_installation``: a row lock on
PostgreSQL, the write lock on SQLite) held while the token endpoint is called, so a second
process waits and then finds the new token instead of spending the refresh token again. The new
tokens are stored in that same transaction. A refresh token Pipedrive no longer accepts marks the
installation ``needs_reauth``; the panel then asks the user to authorize again.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from extension.pipedrive.client import PipedriveClient
from extension.pipedrive.errors import OAuthError, ReauthorizationNeeded
from extension.pipedrive.fields import FieldCache
from extension.pipedrive.models import TokenSet
from extension.pipedrive.oauth import refresh_tokens
from extension.security.crypto import TokenCipher, TokenDecryptionError
from extension.services import Services
from extension.store.installations import get_installation, lock_installation, record_audit
from extension.store.models import Installation

__all__ = ["client_for_user", "runtime_for", "PipedriveRuntime", "UserTokens", "apply_tokens"]

# Refresh a little early so a token does not expire between our check and Pipedrive's.
_EXPIRY_MARGIN = timedelta(seconds=60)


@dataclass
class PipedriveRuntime:
    """Per-app, in-process state: refresh locks per user and the field-definition cache."""

    fields: FieldCache = field(default_factory=FieldCache)
    _locks: dict[tuple[int, int], asyncio.Lock] = field(default_factory=dict)

    def lock(self, company_id: int, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault((company_id, user_id), asyncio.Lock())


# Keyed by the app's pooled Pipedrive client, which lives exactly as long as the app's lifespan.
_RUNTIMES: weakref.WeakKeyDictionary[httpx.AsyncClient, PipedriveRuntime] = (
    weakref.WeakKeyDictionary()
)


def runtime_for(services: Services) -> PipedriveRuntime:
    runtime = _RUNTIMES.get(services.pipedrive_http)
    if runtime is None:
        runtime = _RUNTIMES[services.pipedrive_http] = PipedriveRuntime()
    return runtime


def apply_tokens(installation: Installation, tokens: TokenSet, cipher: TokenCipher) -> None:
    installation.access_token_enc = cipher.encrypt(tokens.access_token)
    installation.refresh_token_enc = cipher.encrypt(tokens.refresh_token)
    installation.token_expires_at = tokens.expires_at
    installation.api_domain = tokens.api_domain
    installation.scopes = tokens.scope
    installation.needs_reauth = False


def _expiring(expires_at: datetime | None) -> bool:
    return expires_at is None or expires_at - _EXPIRY_MARGIN <= datetime.now(UTC)


class UserTokens:
    """The ``TokenSource`` for one installation. Its ``repr`` shows ids only."""

    def __init__(
        self,
        services: Services,
        *,
        company_id: int,
        user_id: int,
        access_token: str,
        expires_at: datetime | None,
    ) -> None:
        self._services = services
        self.company_id = company_id
        self.user_id = user_id
        self._access = access_token
        self._expires_at = expires_at

    def __repr__(self) -> str:
        return f"UserTokens(company_id={self.company_id}, user_id={self.user_id})"

    async def access_token(self) -> str:
        if _expiring(self._expires_at):
            return await self._refresh(stale=self._access)
        return self._access

    async def after_unauthorized(self, rejected: str) -> str:
        return await self._refresh(stale=rejected)

    async def mark_needs_reauth(self) -> None:
        async with self._services.sessionmaker() as session, session.begin():
            installation = await lock_installation(session, self.company_id, self.user_id)
            if installation is not None:
                self._revoke_locally(installation)
                await record_audit(
                    session, self.company_id, self.user_id, "pipedrive.needs_reauth", {}
                )

    @staticmethod
    def _revoke_locally(installation: Installation) -> None:
        installation.needs_reauth = True
        installation.access_token_enc = None
        installation.refresh_token_enc = None
        installation.token_expires_at = None

    async def _refresh(self, *, stale: str) -> str:
        services = self._services
        cipher = services.cipher
        dead = False
        lock = runtime_for(services).lock(self.company_id, self.user_id)
        async with lock, services.sessionmaker() as session, session.begin():
            installation = await lock_installation(session, self.company_id, self.user_id)
            if installation is None or installation.needs_reauth:
                raise ReauthorizationNeeded("the app is not authorized for this user")
            try:
                current = (
                    cipher.decrypt(installation.access_token_enc)
                    if installation.access_token_enc
                    else None
                )
                refresh = cipher.decrypt(installation.refresh_token_enc or "")
            except TokenDecryptionError:
                current, refresh = None, ""
            if current and current != stale and not _expiring(installation.token_expires_at):
                # Another request (or process) refreshed while we waited for the lock.
                self._access, self._expires_at = current, installation.token_expires_at
                return current
            try:
                if not refresh:
                    raise OAuthError("no refresh token", status=None, error="invalid_grant")
                tokens = await refresh_tokens(
                    services.pipedrive_http,
                    services.settings,
                    refresh_token=refresh,
                    api_domain=installation.api_domain,
                )
            except OAuthError as exc:
                # invalid_client is our configuration, not the user's grant: keep the grant.
                if exc.error == "invalid_client":
                    raise
                dead = True
                self._revoke_locally(installation)
                await record_audit(
                    session,
                    self.company_id,
                    self.user_id,
                    "pipedrive.needs_reauth",
                    {"reason": exc.error},
                )
            else:
                apply_tokens(installation, tokens, cipher)
                self._access, self._expires_at = tokens.access_token, tokens.expires_at
        if dead:
            raise ReauthorizationNeeded("Pipedrive no longer accepts the refresh token")
        return self._access


async def client_for_user(services: Services, company_id: int, user_id: int) -> PipedriveClient:
    """A client acting as this user (so Pipedrive applies their visibility), or raise
    ``ReauthorizationNeeded`` when they have not installed the app or must authorize again."""
    async with services.sessionmaker() as session:
        installation = await get_installation(session, company_id, user_id)
    if installation is None or installation.needs_reauth or not installation.refresh_token_enc:
        raise ReauthorizationNeeded("the app is not authorized for this user")
    try:
        access = services.cipher.decrypt(installation.access_token_enc or "")
    except TokenDecryptionError:
        access = ""  # unreadable (key rotated): the first call refreshes
    tokens = UserTokens(
        services,
        company_id=company_id,
        user_id=user_id,
        access_token=access,
        expires_at=installation.token_expires_at if access else None,
    )
    return PipedriveClient(
        services.pipedrive_http,
        api_domain=installation.api_domain,
        tokens=tokens,
        company_id=company_id,
        field_cache=runtime_for(services).fields,
    )
