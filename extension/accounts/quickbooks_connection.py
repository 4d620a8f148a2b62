"""The company's one QuickBooks connection: its client, refresh, store, disconnect, revoke.

Refresh runs through ``token_refresh.refresh_grant`` (one refresh per company at a time across
coroutines and processes; the rotated refresh token is committed before either token is used;
on ``invalid_grant`` the stored token is looked at once more before the connection is marked as
needing a reconnect). A token that no configured key decrypts is the same as a lost one: the
page says "reconnect", it does not crash.

Revoking at Intuit is an HTTP call, so it never runs inside a transaction: the grant is read
in the transaction that forgets it and revoked after the commit (disconnect, uninstall, and
connecting another QuickBooks company in place of this one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from extension.accounts.token_refresh import Access, GrantLost, expiring, refresh_grant
from extension.manifest import load_manifest
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError, QuickBooksReconnectRequired
from extension.quickbooks.limits import Limits
from extension.quickbooks.models import CompanyInfo, Preferences
from extension.quickbooks.oauth import IntuitOAuth, InvalidGrant, TokenSet
from extension.security.crypto import TokenDecryptionError
from extension.services import Services
from extension.store.grants import IssuedTokens, QuickBooksGrants
from extension.store.installations import record_audit
from extension.store.models import utcnow
from extension.store.quickbooks_connections import (
    delete_connection,
    load_connection,
    lock_connection,
)
from extension.store.quickbooks_models import QuickBooksConnection

__all__ = [
    "intuit_oauth",
    "client_for_company",
    "connect_with_code",
    "disconnect",
    "revoke_grant",
    "take_grant_for_revocation",
    "REFRESH_MARGIN",
]

logger = logging.getLogger(__name__)
REFRESH_MARGIN = timedelta(minutes=5)
Clock = Callable[[], datetime]


def intuit_oauth(services: Services) -> IntuitOAuth:
    settings = services.settings
    return IntuitOAuth(
        services.quickbooks_http,
        client_id=settings.qbo_client_id,
        client_secret=str(settings.qbo_client_secret),
        authorize_url=settings.qbo_authorize_url,
        token_url=settings.qbo_token_url,
        revoke_url=settings.qbo_revoke_url,
        redirect_uri=settings.app_base_url + load_manifest().quickbooks_redirect_url,
        scopes=list(load_manifest().quickbooks_scopes),
    )


def _issued(tokens: TokenSet, now: datetime) -> IssuedTokens:
    hard = tokens.refresh_token_hard_expires_in
    return IssuedTokens(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=now + timedelta(seconds=tokens.expires_in),
        refresh_expires_at=now + timedelta(seconds=tokens.refresh_token_expires_in),
        refresh_hard_expires_at=now + timedelta(seconds=hard) if hard is not None else None,
    )


def _dead_reason(error: Exception) -> str | None:
    return "invalid_grant" if isinstance(error, InvalidGrant) else None


class _ConnectionTokens:
    """The access token of one company's connection, refreshed under the single-refresh rule."""

    def __init__(self, services: Services, company_id: int, access: Access, now: Clock) -> None:
        self._services = services
        self._company_id = company_id
        self._access = access
        self._now = now

    def __repr__(self) -> str:
        return f"_ConnectionTokens(company_id={self._company_id})"

    async def access_token(self) -> str:
        if not self._access.token or expiring(self._access.expires_at, REFRESH_MARGIN, self._now()):
            return await self.refresh(self._access.token)
        return self._access.token

    async def refresh(self, rejected_token: str) -> str:
        services = self._services
        oauth = intuit_oauth(services)

        async def refresh(refresh_token: str) -> IssuedTokens:
            return _issued(await oauth.refresh(refresh_token), self._now())

        try:
            self._access = await refresh_grant(
                sessionmaker=services.sessionmaker,
                runtime=services.runtime,
                lock_key=("quickbooks", services.engine.sync_engine, self._company_id),
                store=QuickBooksGrants(services.cipher, self._company_id),
                rejected=rejected_token or None,
                refresh=refresh,
                is_dead=_dead_reason,
                margin=REFRESH_MARGIN,
                now=self._now,
            )
        except GrantLost as exc:
            logger.warning(
                "QuickBooks grant of company %s lost (%s): it must reconnect",
                self._company_id,
                exc.reason,
            )
            raise QuickBooksReconnectRequired("QuickBooks needs to be reconnected") from exc
        return self._access.token


class _JustIssued:
    """A fixed access token right after the code exchange; a 401 means reconnect."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def __repr__(self) -> str:
        return "_JustIssued()"

    async def access_token(self) -> str:
        return self._token

    async def refresh(self, rejected_token: str) -> str:
        raise QuickBooksReconnectRequired("the new QuickBooks token was refused")


def _client(
    services: Services,
    realm_id: str,
    tokens: _ConnectionTokens | _JustIssued,
    limits: Limits | None = None,
) -> QuickBooksClient:
    return QuickBooksClient(
        services.quickbooks_http,
        api_url=services.settings.qbo_api_url,
        realm_id=realm_id,
        tokens=tokens,
        limits=limits or services.runtime.realm_limits,
        retry=services.runtime.retry,
    )


async def client_for_company(
    services: Services,
    company_id: int,
    *,
    now: Clock = utcnow,
    limits: Limits | None = None,
) -> QuickBooksClient:
    """A client for the company's QuickBooks company; raises QuickBooksReconnectRequired."""
    async with services.sessionmaker() as session:
        row = await load_connection(session, company_id)
    if row is None or row.needs_reconnect or not row.refresh_token_enc:
        raise QuickBooksReconnectRequired("QuickBooks is not connected")
    try:
        token = services.cipher.decrypt(row.access_token_enc or "")
    except TokenDecryptionError:
        token = ""  # unreadable: the first call refreshes (or finds the grant lost)
    tokens = _ConnectionTokens(
        services, company_id, Access(token, row.access_token_expires_at), now
    )
    return _client(services, row.realm_id, tokens, limits)


@dataclass(frozen=True, slots=True)
class Connected:
    company_name: str
    replaced_realm: str | None


async def connect_with_code(
    services: Services, *, company_id: int, user_id: int, code: str, realm_id: str
) -> Connected:
    """Exchange Intuit's code, read the company, store the connection (revoking the grant of
    another QuickBooks company it replaces). Raises QuickBooksError."""
    tokens = await intuit_oauth(services).exchange_code(code)
    client = _client(services, realm_id, _JustIssued(tokens.access_token))
    company = await client.get_company_info()
    preferences = await client.get_preferences()
    replaced = await _store_connection(
        services,
        company_id=company_id,
        user_id=user_id,
        realm_id=realm_id,
        tokens=tokens,
        company=company,
        preferences=preferences,
    )
    if replaced is not None:
        await revoke_grant(services, replaced.refresh_token, company_id)
    return Connected(company.company_name, replaced.realm_id if replaced else None)


@dataclass(frozen=True, slots=True)
class _OldGrant:
    realm_id: str
    refresh_token: str


def _readable_refresh_token(services: Services, row: QuickBooksConnection) -> str | None:
    if not row.refresh_token_enc:
        return None
    try:
        return services.cipher.decrypt(row.refresh_token_enc)
    except TokenDecryptionError:
        return None


async def _store_connection(
    services: Services,
    *,
    company_id: int,
    user_id: int,
    realm_id: str,
    tokens: TokenSet,
    company: CompanyInfo,
    preferences: Preferences,
) -> _OldGrant | None:
    now = utcnow()
    replaced: _OldGrant | None = None
    async with services.sessionmaker() as session, session.begin():
        row = await lock_connection(session, company_id)
        if row is None:
            row = QuickBooksConnection(company_id=company_id, token_version=0)
            session.add(row)
            action = "quickbooks.connected"
        else:
            old = _readable_refresh_token(services, row)
            if row.realm_id != realm_id and old:
                replaced = _OldGrant(row.realm_id, old)
            action = "quickbooks.reconnected"
        row.realm_id = realm_id
        row.connected_by_user_id = user_id
        row.connected_at = now
        issued = _issued(tokens, now)
        row.access_token_enc = services.cipher.encrypt(issued.access_token)
        row.refresh_token_enc = services.cipher.encrypt(issued.refresh_token)
        row.access_token_expires_at = issued.expires_at
        row.refresh_token_expires_at = issued.refresh_expires_at
        row.refresh_token_hard_expires_at = issued.refresh_hard_expires_at
        row.token_version = (row.token_version or 0) + 1
        row.needs_reconnect = False
        row.company_name = company.company_name
        row.country = company.country
        row.home_currency = preferences.home_currency
        row.multicurrency_enabled = preferences.multicurrency_enabled
        row.custom_txn_numbers = preferences.custom_txn_numbers
        row.online_payments_enabled = preferences.online_payments_enabled
        row.using_sales_tax = preferences.using_sales_tax
        row.tax_model = "global" if company.uses_global_tax_model else "us"
        await record_audit(
            session,
            company_id,
            user_id,
            action,
            {"realm_id": realm_id, "company_name": company.company_name},
        )
    return replaced


async def take_grant_for_revocation(
    services: Services, session: AsyncSession, company_id: int
) -> str | None:
    """The company's refresh token, read inside the caller's transaction before the rows go."""
    row = await load_connection(session, company_id)
    return _readable_refresh_token(services, row) if row is not None else None


async def revoke_grant(services: Services, refresh_token: str, company_id: int) -> None:
    """Best effort: the tokens are gone here either way, and Intuit expires unused grants."""
    try:
        await intuit_oauth(services).revoke(refresh_token)
    except QuickBooksError as exc:
        logger.warning("QuickBooks revoke failed for company %s: %s", company_id, exc)


async def disconnect(services: Services, company_id: int, user_id: int | None) -> None:
    """Forget the connection, then revoke the grant at Intuit (best effort)."""
    async with services.sessionmaker() as session, session.begin():
        row = await lock_connection(session, company_id)
        if row is None:
            return
        refresh_token = _readable_refresh_token(services, row)
        realm_id = row.realm_id
        await delete_connection(session, company_id)
        await record_audit(
            session, company_id, user_id, "quickbooks.disconnected", {"realm_id": realm_id}
        )
    if refresh_token:
        await revoke_grant(services, refresh_token, company_id)
