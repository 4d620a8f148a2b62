"""What a company has linked between Pipedrive and QuickBooks: contacts, products, invoices.

QuickBooks ids (customers, items, invoices) only mean something inside one QuickBooks company
(realm), and a Pipedrive company can reconnect to another realm. Every link therefore records
the realm it was made in, and lookups ask for the current realm: a link from a former
connection is never mistaken for an id in the new one.

Names and currencies copied from QuickBooks or Pipedrive are "as last seen": they let a screen
render without a call upstream, and they are refreshed whenever the thing is read again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from extension.store.models import Base, utcnow

__all__ = ["ContactKind", "LinkOrigin", "ContactLink", "ProductLink", "DealInvoiceLink"]


class ContactKind(StrEnum):
    ORGANIZATION = "organization"
    PERSON = "person"


class LinkOrigin(StrEnum):
    CREATED = "created"  # the invoice was created from this deal
    LINKED = "linked"  # an existing invoice was linked from the all-invoices modal


class ContactLink(Base):
    """A Pipedrive organization or person ↔ the QuickBooks customer invoices for it go to."""

    __tablename__ = "contact_links"
    __table_args__ = (
        # One link per contact: relinking replaces it (an upsert on this key).
        UniqueConstraint(
            "company_id", "contact_kind", "contact_id", name="uq_contact_links_contact"
        ),
        # Refreshing the name and currency seen on a customer touches every contact linked to it.
        Index("ix_contact_links_customer", "company_id", "realm_id", "customer_id"),
        CheckConstraint("contact_kind IN ('organization', 'person')", name="contact_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE")
    )
    contact_kind: Mapped[str] = mapped_column(String(16))
    contact_id: Mapped[int] = mapped_column(BigInteger)
    realm_id: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(32))
    customer_name: Mapped[str] = mapped_column(String(500), default="")  # QBO DisplayName ≤ 500
    customer_currency: Mapped[str] = mapped_column(String(8), default="")
    linked_by_user_id: Mapped[int] = mapped_column(BigInteger)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductLink(Base):
    """A Pipedrive product ↔ the QuickBooks item its invoice lines use."""

    __tablename__ = "product_links"
    __table_args__ = (
        UniqueConstraint("company_id", "product_id", name="uq_product_links_product"),
        Index("ix_product_links_item", "company_id", "realm_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE")
    )
    product_id: Mapped[int] = mapped_column(BigInteger)
    realm_id: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str] = mapped_column(String(32))
    item_name: Mapped[str] = mapped_column(String(500), default="")
    linked_by_user_id: Mapped[int] = mapped_column(BigInteger)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class DealInvoiceLink(Base):
    """A QuickBooks invoice shown on a Pipedrive deal; an invoice belongs to one deal at most."""

    __tablename__ = "deal_invoice_links"
    __table_args__ = (
        UniqueConstraint(
            "company_id", "realm_id", "invoice_id", name="uq_deal_invoice_links_invoice"
        ),
        Index("ix_deal_invoice_links_deal", "company_id", "deal_id"),
        CheckConstraint("origin IN ('created', 'linked')", name="origin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE")
    )
    realm_id: Mapped[str] = mapped_column(String(32))
    invoice_id: Mapped[str] = mapped_column(String(32))
    deal_id: Mapped[int] = mapped_column(BigInteger)
    # The all-invoices modal names the other deal an invoice is linked to without asking Pipedrive.
    deal_title: Mapped[str] = mapped_column(String(255), default="")
    origin: Mapped[str] = mapped_column(String(16))
    linked_by_user_id: Mapped[int] = mapped_column(BigInteger)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
