"""SQLAlchemy 2 models. Every row belongs to a Pipedrive company (design.md §4).

Relationships are declared ``lazy="raise"`` so a forgotten eager load fails loudly in tests
instead of issuing an implicit query (which cannot work under asyncio anyway).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = ["Base", "Company", "Installation", "AuditEvent", "utcnow", "UTCDateTime"]

# Deterministic constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
_NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(AsyncAttrs, DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Company(Base):
    """A Pipedrive company that has installed the app (id is Pipedrive's company id)."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255), default="")
    domain: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    installations: Mapped[list[Installation]] = relationship(
        back_populates="company", lazy="raise", cascade="all, delete-orphan"
    )


class Installation(Base):
    """One Pipedrive user's installation: each user authorizes the app for themself."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("company_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    api_domain: Mapped[str] = mapped_column(String(255), default="")
    scopes: Mapped[str] = mapped_column(Text, default="")
    # Fernet ciphertext (extension.security.crypto); never plaintext, never sent to a browser.
    access_token_enc: Mapped[str | None] = mapped_column(Text, default=None)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text, default=None)
    token_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    needs_reauth: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the user reads, from Pipedrive's /users/me: interface language (``language_code``
    # and ``country_code``), the "Date/number format" locale (``fi_FI``) and the time zone.
    # Empty until first read; ``language_override`` is the user's own choice in the app.
    language: Mapped[str] = mapped_column(String(16), default="", server_default="")
    locale: Mapped[str] = mapped_column(String(32), default="", server_default="")
    timezone_name: Mapped[str] = mapped_column(String(64), default="", server_default="")
    language_override: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # When name, email, admin flag and the above were last read from Pipedrive's /users/me.
    details_refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    company: Mapped[Company] = relationship(back_populates="installations", lazy="raise")


class AuditEvent(Base):
    """Who did what, when: settings changes, invoice actions, installs and uninstalls."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
