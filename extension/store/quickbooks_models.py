"""QuickBooks tables: the company's one connection and the webhook events received.

Tokens are Fernet ciphertext (``extension.security.crypto``), never plaintext.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from extension.store.models import Base, utcnow

__all__ = ["QuickBooksConnection", "QuickBooksWebhookEvent", "ConsumedConnectTicket"]


class QuickBooksConnection(Base):
    """One per Pipedrive company: the QuickBooks company (realm) it invoices in."""

    __tablename__ = "quickbooks_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    realm_id: Mapped[str] = mapped_column(String(32), index=True)
    access_token_enc: Mapped[str | None] = mapped_column(Text, default=None)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text, default=None)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    refresh_token_hard_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # Bumped by every refresh, so a reader can tell that someone else refreshed meanwhile.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    needs_reconnect: Mapped[bool] = mapped_column(Boolean, default=False)
    connected_by_user_id: Mapped[int] = mapped_column(BigInteger)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    company_name: Mapped[str] = mapped_column(String(255), default="")
    country: Mapped[str] = mapped_column(String(8), default="")
    home_currency: Mapped[str] = mapped_column(String(8), default="")
    multicurrency_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    custom_txn_numbers: Mapped[bool] = mapped_column(Boolean, default=False)
    online_payments_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # "us" (TAX/NON line codes, one transaction tax code) or "global" (a code on every line).
    tax_model: Mapped[str] = mapped_column(String(16), default="us")
    using_sales_tax: Mapped[bool] = mapped_column(Boolean, default=False)


class QuickBooksWebhookEvent(Base):
    """One change notification, stored once however often Intuit delivers it.

    Its life (``extension.store.webhook_events``): stored by the webhook request → claimed by
    one process's event worker until ``claim_expires_at`` → applied (``processed_at`` and an
    ``outcome``). A claim whose holder died runs out and the event is claimed again; a failed
    attempt gives the claim back with a later ``claim_expires_at`` (the retry's time).
    """

    __tablename__ = "quickbooks_webhook_events"
    __table_args__ = (
        UniqueConstraint("company_id", "dedup_key"),
        # The workers' look for work: events not applied yet, oldest first.
        Index("ix_quickbooks_webhook_events_pending", "processed_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    dedup_key: Mapped[str] = mapped_column(String(255))
    realm_id: Mapped[str] = mapped_column(String(32))
    entity_name: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[str] = mapped_column(String(64), default="")
    payload_format: Mapped[str] = mapped_column(String(16))
    # Merge: the id QuickBooks merged into ``entity_id`` and deleted (legacy ``deletedId``,
    # CloudEvents ``data.deletedid``).
    deleted_id: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claim_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    # applied, ignored (no deal's invoice, another realm, an entity we do not follow),
    # not_connected, failed (gave up retrying: the reconciler's change data capture covers it)
    outcome: Mapped[str] = mapped_column(String(16), default="")


class ConsumedConnectTicket(Base):
    """A "Connect to QuickBooks" ticket that has been used: each one opens Intuit once."""

    __tablename__ = "consumed_connect_tickets"

    ticket_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    consumed_at: Mapped[datetime] = mapped_column(default=utcnow)
