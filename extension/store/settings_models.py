"""Company settings for invoicing: field mapping, defaults, roles, and cached reference lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from extension.store.models import Base, utcnow

__all__ = ["CompanySettings", "UserRole", "ReferenceListCache"]


class CompanySettings(Base):
    """One row per company; absent until an admin first saves (defaults apply until then)."""

    __tablename__ = "company_settings"

    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    # Each mapping is "entity:field_key", e.g. "organization:name" or "organization:<40-char hash>".
    map_recipient: Mapped[str] = mapped_column(String(80), default="organization:name")
    map_address: Mapped[str] = mapped_column(String(80), default="organization:address")
    map_email: Mapped[str] = mapped_column(String(80), default="person:email")
    map_tax_id: Mapped[str] = mapped_column(String(80), default="")
    due_days: Mapped[int] = mapped_column(Integer, default=30)
    # US: lines taxable or not (TAX/NON) and the transaction's tax code; non-US: a tax code id.
    default_taxable: Mapped[bool] = mapped_column(Boolean, default=False)
    default_tax_code_id: Mapped[str] = mapped_column(String(40), default="")
    default_income_account_id: Mapped[str] = mapped_column(String(40), default="")
    default_terms_id: Mapped[str] = mapped_column(String(40), default="")
    update_customer_default: Mapped[bool] = mapped_column(Boolean, default=True)
    # The seed's "only me / all users", generalised: the role of users without their own.
    default_role: Mapped[str] = mapped_column(String(16), default="creator")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigInteger, default=None)


class UserRole(Base):
    """A user's own role, overriding the company default (admins are always managers)."""

    __tablename__ = "user_roles"

    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))


class ReferenceListCache(Base):
    """Lists fetched from an upstream (tax codes, accounts, terms, Pipedrive fields), per company.

    The settings page renders from here without waiting on QuickBooks or Pipedrive; a refresh
    replaces the row.
    """

    __tablename__ = "reference_list_cache"

    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
