"""The company's one QuickBooks connection: store it, refresh it, build clients, disconnect.

The refresh rule (refresh tokens rotate, and a lost one means reconnecting by hand):
exactly one refresh per company at a time, across coroutines (an ``asyncio.Lock`` per company
and engine) and across processes (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a no-op
UPDATE of the row first, which takes the database write lock before anything is read). The new
refresh token is committed in the same transaction as the new access token, before either is
used. On ``invalid_grant`` the stored token is re-read once (another process may have rotated
it); only if it is unchanged is the connection marked as needing a reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession

from extension.manifest import load_manifest
from extension.quickbooks.client import QuickBooksClient
from extension.quickbooks.errors import QuickBooksError, QuickBooksReconnectRequired
from extension.quickbooks.models import CompanyInfo, Preferences
from extension.quickbooks.oauth import IntuitOAuth, InvalidGrant, TokenSet
from extension.quickbooks.transport import Sleep
from extension.security.crypto import TokenDecryptionError
from extension.services import Services
from extension.store.models import AuditEvent, utcnow
from extension.store.quickbooks_models import QuickBooksConnection

__all__ = [
    "oauth_client",
    "client_for_company",
    "store_connection",
    "load_connection",
    "disconnect",
    "StaticTokens",
    "REFRESH_MARGIN",
]

logger = logging.getLogger(__name__)
REFRESH_MARGIN = timedelta(minutes=5)
Clock = Callable[[], datetime]

_locks: weakref.WeakKeyDictionary[Engine, dict[int, asyncio.Lock]] = weakref.WeakKeyDictionary()


def _company_lock(services: Services, company_id: int) -> asyncio.Lock:
    # Keyed by engine: two engines stand for two processes and must not share this lock.
    per_engine = _locks.setdefault(services.engine.sync_engine, {})
    return per_engine.setdefault(company_id, asyncio.Lock())


def oauth_client(services: Services) -> IntuitOAuth:
    settings = services.settings
    return IntuitOAuth(
        services.quickbooks_http,
        client_id=settings.qbo_client_id,
        client_secret=str(settings.qbo_client_secret),
        authorize_url=settings.qbo_authorize_url,
        token_url=settings.qbo_token_url,
        revoke_url=settings.qbo_revoke_url,
        redirect_uri=settings.app_base_url + load_manifest().quickbooks_redirect_url,
        scopes=["com.intuit.quickbooks.accounting"],
    )


async def load_connection(session: AsyncSession, company_id: int) -> QuickBooksConnection | None:
    return await session.scalar(
        select(QuickBooksConnection).where(QuickBooksConnection.company_id == company_id)
    )


async def _lock_connection(session: AsyncSession, company_id: int) -> QuickBooksConnection | None:
    where = QuickBooksConnection.company_id == company_id
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks: write first so this transaction holds the write lock.
        await session.execute(
            update(QuickBooksConnection)
            .where(where)
            .values(
                token_version=QuickBooksConnection.token_version,
                updated_at=QuickBooksConnection.updated_at,
            )
        )
        return await session.scalar(select(QuickBooksConnection).where(where))
    return await session.scalar(select(QuickBooksConnection).where(where).with_for_update())


def _apply_tokens(
    services: Services, row: QuickBooksConnection, tokens: TokenSet, now: datetime
) -> None:
    cipher = services.cipher
    row.access_token_enc = cipher.encrypt(tokens.access_token)
    row.refresh_token_enc = cipher.encrypt(tokens.refresh_token)
    row.access_token_expires_at = now + timedelta(seconds=tokens.expires_in)
    row.refresh_token_expires_at = now + timedelta(seconds=tokens.refresh_token_expires_in)
    if tokens.refresh_token_hard_expires_in is not None:
        hard = timedelta(seconds=tokens.refresh_token_hard_expires_in)
        row.refresh_token_hard_expires_at = now + hard
    row.token_version += 1
    row.needs_reconnect = False


@dataclass(frozen=True, slots=True)
class _Access:
    token: str
    expires_at: datetime


async def _refresh(services: Services, company_id: int, rejected: str, now: Clock) -> _Access:
    cipher = services.cipher
    async with _company_lock(services, company_id):
        for attempt in (1, 2):
            failed_refresh_token = ""
            async with services.sessionmaker() as session, session.begin():
                row = await _lock_connection(session, company_id)
                if row is None or row.needs_reconnect or not row.refresh_token_enc:
                    raise QuickBooksReconnectRequired("QuickBooks is not connected")
                current = cipher.decrypt(row.access_token_enc or "")
                expires = row.access_token_expires_at
                if current != rejected and expires and expires - REFRESH_MARGIN > now():
                    return _Access(current, expires)  # someone refreshed while we waited
                refresh_token = cipher.decrypt(row.refresh_token_enc)
                try:
                    tokens = await oauth_client(services).refresh(refresh_token)
                except InvalidGrant:
                    failed_refresh_token = refresh_token
                else:
                    _apply_tokens(services, row, tokens, now())
                    assert row.access_token_expires_at is not None
                    return _Access(tokens.access_token, row.access_token_expires_at)
            async with services.sessionmaker() as session, session.begin():
                row = await _lock_connection(session, company_id)
                if row is None:
                    raise QuickBooksReconnectRequired("QuickBooks is not connected")
                stored = cipher.decrypt(row.refresh_token_enc or "")
                if attempt == 1 and stored and stored != failed_refresh_token:
                    continue  # another process rotated it: try once with the newer token
                row.needs_reconnect = True
                logger.warning(
                    "QuickBooks refresh token rejected; company %s must reconnect", company_id
                )
        raise QuickBooksReconnectRequired("QuickBooks needs to be reconnected")


class _ConnectionTokens:
    """The access token of one company's connection, refreshed under the single-refresh rule."""

    def __init__(self, services: Services, company_id: int, access: _Access, now: Clock) -> None:
        self._services = services
        self._company_id = company_id
        self._access = access
        self._now = now

    def __repr__(self) -> str:
        return f"_ConnectionTokens(company_id={self._company_id})"

    async def access_token(self) -> str:
        if self._access.expires_at - REFRESH_MARGIN <= self._now():
            self._access = await _refresh(
                self._services, self._company_id, self._access.token, self._now
            )
        return self._access.token

    async def refresh(self, rejected_token: str) -> str:
        self._access = await _refresh(self._services, self._company_id, rejected_token, self._now)
        return self._access.token


class StaticTokens:
    """A fixed access token (right after the code exchange); a 401 means reconnect."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def __repr__(self) -> str:
        return "StaticTokens()"

    async def access_token(self) -> str:
        return self._token

    async def refresh(self, rejected_token: str) -> str:
        raise QuickBooksReconnectRequired("the new QuickBooks token was refused")


async def client_for_company(
    services: Services, company_id: int, *, sleep: Sleep = asyncio.sleep, now: Clock = utcnow
) -> QuickBooksClient:
    """A client for the company's QuickBooks company; raises QuickBooksReconnectRequired."""
    async with services.sessionmaker() as session:
        row = await load_connection(session, company_id)
    if row is None or row.needs_reconnect or not row.access_token_enc:
        raise QuickBooksReconnectRequired("QuickBooks is not connected")
    access = _Access(
        services.cipher.decrypt(row.access_token_enc),
        row.access_token_expires_at or now(),
    )
    return QuickBooksClient(
        services.quickbooks_http,
        api_url=services.settings.qbo_api_url,
        realm_id=row.realm_id,
        tokens=_ConnectionTokens(services, company_id, access, now),
        sleep=sleep,
    )


async def store_connection(
    services: Services,
    *,
    company_id: int,
    user_id: int,
    realm_id: str,
    tokens: TokenSet,
    company: CompanyInfo,
    preferences: Preferences,
) -> None:
    now = utcnow()
    async with services.sessionmaker() as session, session.begin():
        row = await _lock_connection(session, company_id)
        if row is None:
            row = QuickBooksConnection(company_id=company_id, token_version=0)
            session.add(row)
        row.realm_id = realm_id
        row.connected_by_user_id = user_id
        row.connected_at = now
        _apply_tokens(services, row, tokens, now)
        row.company_name = company.company_name
        row.country = company.country
        row.home_currency = preferences.home_currency
        row.multicurrency_enabled = preferences.multicurrency_enabled
        row.custom_txn_numbers = preferences.custom_txn_numbers
        row.online_payments_enabled = preferences.online_payments_enabled
        row.using_sales_tax = preferences.using_sales_tax
        row.tax_model = "global" if company.uses_global_tax_model else "us"
        session.add(
            AuditEvent(
                company_id=company_id,
                user_id=user_id,
                action="quickbooks.connected",
                detail={"realm_id": realm_id, "company_name": company.company_name},
            )
        )


async def grant_to_revoke(session: AsyncSession, services: Services, company_id: int) -> str | None:
    """The company's refresh token, read inside the caller's transaction before the rows go.

    Uninstall deletes everything in one transaction and revokes at Intuit only after commit:
    an HTTP call must never run while the transaction holds its locks.
    """
    row = await load_connection(session, company_id)
    if row is None or not row.refresh_token_enc:
        return None
    try:
        return services.cipher.decrypt(row.refresh_token_enc)
    except TokenDecryptionError:
        return None


async def revoke_grant(services: Services, refresh_token: str, company_id: int) -> None:
    """Best effort: the tokens are gone here either way, and Intuit expires unused grants."""
    try:
        await oauth_client(services).revoke(refresh_token)
    except QuickBooksError as exc:
        logger.warning("QuickBooks revoke failed for company %s: %s", company_id, exc)


async def disconnect(services: Services, company_id: int, user_id: int | None) -> None:
    """Revoke the grant at Intuit (best effort) and forget the connection."""
    async with services.sessionmaker() as session:
        row = await load_connection(session, company_id)
    if row is None:
        return
    if row.refresh_token_enc:
        try:
            refresh_token = services.cipher.decrypt(row.refresh_token_enc)
        except TokenDecryptionError:
            refresh_token = ""
        if refresh_token:
            await revoke_grant(services, refresh_token, company_id)
    async with services.sessionmaker() as session, session.begin():
        await session.execute(
            delete(QuickBooksConnection).where(QuickBooksConnection.company_id == company_id)
        )
        session.add(
            AuditEvent(
                company_id=company_id,
                user_id=user_id,
                action="quickbooks.disconnected",
                detail={"realm_id": row.realm_id},
            )
        )
