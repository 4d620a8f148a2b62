"""Acting as a Pipedrive user: their client, with tokens that refresh themselves safely.

Access tokens live 60 minutes; one is refreshed when it has (nearly) expired and once when
Pipedrive answers 401, through ``token_refresh.refresh_grant`` (one refresh per user at a time,
across coroutines and processes). Only ``invalid_grant`` ends the user's grant (they are asked
to authorize again); ``invalid_client`` means our own credentials are wrong: the tokens are kept
and it is logged as an error, loudly, because every user is affected.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from extension.accounts.token_refresh import Access, GrantLost, expiring, refresh_grant
from extension.pipedrive.client import PipedriveClient
from extension.pipedrive.errors import OAuthError, ReauthorizationNeeded
from extension.pipedrive.models import TokenSet
from extension.pipedrive.oauth import PipedriveOAuth, PipedriveOAuthConfig
from extension.security.crypto import TokenDecryptionError
from extension.services import Services
from extension.store.grants import InstallationGrants, IssuedTokens
from extension.store.installations import get_installation
from extension.store.models import utcnow

__all__ = ["pipedrive_oauth", "client_for_user", "UserTokens", "issued_tokens"]

logger = logging.getLogger(__name__)

# Refresh a little early so a token does not expire between our check and Pipedrive's.
EXPIRY_MARGIN = timedelta(seconds=60)


def pipedrive_oauth(services: Services) -> PipedriveOAuth:
    settings = services.settings
    config = PipedriveOAuthConfig(
        client_id=settings.pipedrive_client_id,
        client_secret=str(settings.pipedrive_client_secret),
        oauth_url=settings.pipedrive_oauth_url,
    )
    return PipedriveOAuth(services.pipedrive_http, config)


def issued_tokens(tokens: TokenSet) -> IssuedTokens:
    return IssuedTokens(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=tokens.expires_at,
        api_domain=tokens.api_domain,
        scope=tokens.scope,
    )


def _dead_reason(error: Exception) -> str | None:
    if not isinstance(error, OAuthError):
        return None
    if error.error == "invalid_client":
        logger.error(
            "Pipedrive refused our client credentials (invalid_client): check "
            "PIPEDRIVE_CLIENT_ID and PIPEDRIVE_CLIENT_SECRET; users' tokens are kept"
        )
        return None
    return "invalid_grant" if error.error == "invalid_grant" else None


class UserTokens:
    """The ``TokenSource`` for one installation. Its ``repr`` shows ids only."""

    def __init__(
        self, services: Services, *, company_id: int, user_id: int, api_domain: str, access: Access
    ) -> None:
        self._services = services
        self.company_id = company_id
        self.user_id = user_id
        self._api_domain = api_domain
        self._access = access

    def __repr__(self) -> str:
        return f"UserTokens(company_id={self.company_id}, user_id={self.user_id})"

    @property
    def _store(self) -> InstallationGrants:
        return InstallationGrants(self._services.cipher, self.company_id, self.user_id)

    async def access_token(self) -> str:
        if not self._access.token or expiring(self._access.expires_at, EXPIRY_MARGIN, utcnow()):
            return await self._refresh(self._access.token)
        return self._access.token

    async def after_unauthorized(self, rejected: str) -> str:
        return await self._refresh(rejected)

    async def mark_needs_reauth(self) -> None:
        async with self._services.sessionmaker() as session, session.begin():
            await self._store.mark_dead(session, "refused after refresh")

    async def _refresh(self, rejected: str) -> str:
        oauth = pipedrive_oauth(self._services)

        async def refresh(refresh_token: str) -> IssuedTokens:
            tokens = await oauth.refresh(refresh_token=refresh_token, api_domain=self._api_domain)
            return issued_tokens(tokens)

        try:
            self._access = await refresh_grant(
                sessionmaker=self._services.sessionmaker,
                runtime=self._services.runtime,
                lock_key=("pipedrive", self.company_id, self.user_id),
                store=self._store,
                rejected=rejected or None,
                refresh=refresh,
                is_dead=_dead_reason,
                margin=EXPIRY_MARGIN,
                now=utcnow,
            )
        except GrantLost as exc:
            raise ReauthorizationNeeded("the app is not authorized for this user") from exc
        return self._access.token


async def client_for_user(services: Services, company_id: int, user_id: int) -> PipedriveClient:
    """A client acting as this user (so Pipedrive applies their visibility), or raise
    ``ReauthorizationNeeded`` when they have not installed the app or must authorize again."""
    async with services.sessionmaker() as session:
        installation = await get_installation(session, company_id, user_id)
    if installation is None or installation.needs_reauth or not installation.refresh_token_enc:
        raise ReauthorizationNeeded("the app is not authorized for this user")
    try:
        token = services.cipher.decrypt(installation.access_token_enc or "")
    except TokenDecryptionError:
        token = ""  # unreadable (a key rotated away): the first call refreshes
    tokens = UserTokens(
        services,
        company_id=company_id,
        user_id=user_id,
        api_domain=installation.api_domain,
        access=Access(token, installation.token_expires_at if token else None),
    )
    return PipedriveClient(
        services.pipedrive_http,
        api_domain=installation.api_domain,
        tokens=tokens,
        company_id=company_id,
        field_cache=services.runtime.fields,
        retry=services.runtime.retry,
    )
