"""Where OAuth grants are stored: a user's Pipedrive installation, a company's QuickBooks
connection. Both implement the small ``GrantStore`` interface the refresh mechanism in
``extension.accounts.token_refresh`` works through, so that mechanism knows no table.

Tokens are Fernet ciphertext at rest (``extension.security.crypto``). A token no configured key
can read is treated like no token at all: the grant is unusable and the person is asked to
authorize or reconnect, never shown an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from extension.security.crypto import TokenCipher, TokenDecryptionError
from extension.store.installations import lock_installation, record_audit
from extension.store.quickbooks_connections import lock_connection

__all__ = ["StoredGrant", "IssuedTokens", "InstallationGrants", "QuickBooksGrants"]


@dataclass(frozen=True, slots=True)
class StoredGrant:
    """A grant as read under its row lock; a token no key decrypts is None."""

    access_token: str | None = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """What a token endpoint handed out, in the store's terms."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    refresh_expires_at: datetime | None = None
    refresh_hard_expires_at: datetime | None = None
    api_domain: str = ""
    scope: str = ""


def _readable(cipher: TokenCipher, ciphertext: str | None) -> str | None:
    if not ciphertext:
        return None
    try:
        return cipher.decrypt(ciphertext)
    except TokenDecryptionError:
        return None


class InstallationGrants:
    """One user's Pipedrive tokens (``installations`` row)."""

    def __init__(self, cipher: TokenCipher, company_id: int, user_id: int) -> None:
        self._cipher = cipher
        self.company_id = company_id
        self.user_id = user_id

    def __repr__(self) -> str:
        return f"InstallationGrants(company_id={self.company_id}, user_id={self.user_id})"

    async def load_locked(self, session: AsyncSession) -> StoredGrant | None:
        row = await lock_installation(session, self.company_id, self.user_id)
        if row is None or row.needs_reauth:
            return None
        return StoredGrant(
            access_token=_readable(self._cipher, row.access_token_enc),
            refresh_token=_readable(self._cipher, row.refresh_token_enc),
            expires_at=row.token_expires_at,
        )

    async def save(self, session: AsyncSession, tokens: IssuedTokens) -> None:
        row = await lock_installation(session, self.company_id, self.user_id)
        if row is None:
            return
        row.access_token_enc = self._cipher.encrypt(tokens.access_token)
        row.refresh_token_enc = self._cipher.encrypt(tokens.refresh_token)
        row.token_expires_at = tokens.expires_at
        if tokens.api_domain:
            row.api_domain = tokens.api_domain
        if tokens.scope:
            row.scopes = tokens.scope
        row.needs_reauth = False

    async def mark_dead(self, session: AsyncSession, reason: str) -> None:
        row = await lock_installation(session, self.company_id, self.user_id)
        if row is None:
            return
        row.needs_reauth = True
        row.access_token_enc = None
        row.refresh_token_enc = None
        row.token_expires_at = None
        await record_audit(
            session, self.company_id, self.user_id, "pipedrive.needs_reauth", {"reason": reason}
        )


class QuickBooksGrants:
    """The company's QuickBooks tokens (``quickbooks_connections`` row)."""

    def __init__(self, cipher: TokenCipher, company_id: int) -> None:
        self._cipher = cipher
        self.company_id = company_id

    def __repr__(self) -> str:
        return f"QuickBooksGrants(company_id={self.company_id})"

    async def load_locked(self, session: AsyncSession) -> StoredGrant | None:
        row = await lock_connection(session, self.company_id)
        if row is None or row.needs_reconnect:
            return None
        return StoredGrant(
            access_token=_readable(self._cipher, row.access_token_enc),
            refresh_token=_readable(self._cipher, row.refresh_token_enc),
            expires_at=row.access_token_expires_at,
        )

    async def save(self, session: AsyncSession, tokens: IssuedTokens) -> None:
        row = await lock_connection(session, self.company_id)
        if row is None:
            return
        row.access_token_enc = self._cipher.encrypt(tokens.access_token)
        row.refresh_token_enc = self._cipher.encrypt(tokens.refresh_token)
        row.access_token_expires_at = tokens.expires_at
        row.refresh_token_expires_at = tokens.refresh_expires_at
        if tokens.refresh_hard_expires_at is not None:
            row.refresh_token_hard_expires_at = tokens.refresh_hard_expires_at
        row.token_version += 1
        row.needs_reconnect = False

    async def mark_dead(self, session: AsyncSession, reason: str) -> None:
        row = await lock_connection(session, self.company_id)
        if row is None or row.needs_reconnect:
            return
        row.needs_reconnect = True
        await record_audit(
            session, self.company_id, None, "quickbooks.needs_reconnect", {"reason": reason}
        )
