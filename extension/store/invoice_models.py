"""The local invoice mirror (with the payments each invoice names), the attempts to create
invoices, and the reconciler's state.

The mirror holds the QuickBooks fields the deal panel and the all-invoices modal show, so both
render without calling QuickBooks; ``qbo_updated_at`` (QuickBooks' ``MetaData.LastUpdatedTime``)
decides which of two versions of an invoice is newer. Create attempts make posting exactly-once
(see :mod:`extension.store.create_attempts` for the state machine).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from extension.store.models import Base, utcnow

__all__ = ["ExactMoney", "MirroredInvoice", "CreateAttempt", "InvoiceSyncState", "InvoicePayment"]

_CENTS = Decimal("0.01")


class ExactMoney(TypeDecorator[Decimal]):
    """Exact amounts on both backends, stored as an integer number of 1/100 000.

    SQLite has no decimal type: SQLAlchemy's ``Numeric`` goes through ``float`` there, and
    ``SUM`` over REAL values drifts, so totals for a range would be off by fractions of a cent.
    Integers are exact on both databases and ``SUM`` stays exact (PostgreSQL widens it to
    numeric). QuickBooks amounts have at most five decimals (its "10.5" format), so the scale
    never rounds; a value that would is refused rather than silently changed.
    """

    impl = BigInteger
    cache_ok = True
    SCALE = 5

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.SCALE)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"amount {value} has more than {self.SCALE} decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        amount = Decimal(value).scaleb(-self.SCALE)
        # Two decimals read as money does ("12.50", not "12.50000"); finer amounts keep theirs.
        cents = amount.quantize(_CENTS)
        return cents if cents == amount else amount.normalize()


class MirroredInvoice(Base):
    """A QuickBooks invoice as last read, one row per company and invoice."""

    __tablename__ = "invoice_mirror"
    __table_args__ = (
        UniqueConstraint("company_id", "realm_id", "invoice_id", name="uq_invoice_mirror_invoice"),
        # Serves the all-invoices modal: one customer's invoices in a TxnDate range, newest
        # first, paged by (txn_date, id). With the equality columns first and the order's
        # columns last, a page is a backward range scan that stops after LIMIT rows, so it costs
        # the same at 100 rows as at 100,000.
        Index(
            "ix_invoice_mirror_customer_txn_date",
            "company_id",
            "realm_id",
            "customer_id",
            "txn_date",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE")
    )
    realm_id: Mapped[str] = mapped_column(String(32))
    invoice_id: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(32))
    customer_name: Mapped[str] = mapped_column(String(500), default="")
    doc_number: Mapped[str] = mapped_column(String(32), default="")
    txn_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    currency: Mapped[str] = mapped_column(String(8))
    total: Mapped[Decimal] = mapped_column(ExactMoney())
    balance: Mapped[Decimal] = mapped_column(ExactMoney())
    email_status: Mapped[str] = mapped_column(String(32), default="")
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    bill_email: Mapped[str] = mapped_column(String(255), default="")
    online_payment_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    # QuickBooks has no void flag; the domain decides (zeroed + "Voided" note, or a Void event).
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_token: Mapped[str] = mapped_column(String(16), default="")
    qbo_updated_at: Mapped[datetime]
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreateAttempt(Base):
    """One create-invoice draft and its ``requestid``, stored before QuickBooks is called."""

    __tablename__ = "invoice_create_attempts"
    __table_args__ = (
        UniqueConstraint("company_id", "draft_key", name="uq_invoice_create_attempts_draft_key"),
        # QuickBooks deduplicates by requestid per realm; a repeat here would be a bug.
        UniqueConstraint("company_id", "request_id", name="uq_invoice_create_attempts_request_id"),
        # Crash recovery at start-up looks for posting attempts whose lease has run out.
        Index("ix_invoice_create_attempts_state", "state", "lease_expires_at"),
        CheckConstraint("state IN ('open', 'posting', 'posted', 'failed')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE")
    )
    draft_key: Mapped[str] = mapped_column(String(64))
    realm_id: Mapped[str] = mapped_column(String(32))
    deal_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default="open")
    request_id: Mapped[str] = mapped_column(String(50))  # QuickBooks' limit
    # The exact body sent (or about to be sent) with request_id; NULL until the first claim
    # under this request_id. A request_id is only ever replayed with its own body.
    request_body: Mapped[str | None] = mapped_column(Text, default=None)
    request_claims: Mapped[int] = mapped_column(Integer, default=0)
    lease_token: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    invoice_id: Mapped[str | None] = mapped_column(String(32), default=None)
    last_error: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def may_have_committed(self) -> bool:
        """The current request_id was (or may have been) sent and no answer settled it."""
        return self.state != "posted" and self.request_body is not None


class InvoiceSyncState(Base):
    """Per company and realm: the change-data-capture checkpoint and the reconciler's lease.

    The lease lives on the same row as the checkpoint it guards, so moving the checkpoint can
    require holding the lease in one statement, and a company teardown removes both.
    """

    __tablename__ = "invoice_sync_state"

    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    realm_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    cdc_checkpoint: Mapped[datetime | None] = mapped_column(default=None)
    # When a reconciliation last completed (the next is due an interval later).
    reconciled_at: Mapped[datetime | None] = mapped_column(default=None)
    lease_holder: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoicePayment(Base):
    """A payment an invoice named in its ``LinkedTxn`` when it was last mirrored.

    A payment that changes or is deleted names only the invoices it pays *now*; the ones it
    no longer pays are found here, so their balances are read again too.
    """

    __tablename__ = "invoice_payments"
    __table_args__ = (
        # Replacing an invoice's payments after it is read again.
        Index("ix_invoice_payments_invoice", "company_id", "realm_id", "invoice_id"),
    )

    company_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    realm_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(String(32), primary_key=True)
