"""invoices: contact, product and deal links, invoice mirror, create attempts, sync state

Revision ID: 0010_invoices
Revises: 0005_accounts
Create Date: 2026-12-01 22:34:25.212949
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_invoices"
down_revision = "0005_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("contact_kind", sa.String(length=16), nullable=False),
        sa.Column("contact_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("customer_name", sa.String(length=500), nullable=False),
        sa.Column("customer_currency", sa.String(length=8), nullable=False),
        sa.Column("linked_by_user_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "contact_kind IN ('organization', 'person')", name=op.f("ck_contact_links_contact_kind")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_contact_links_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_links")),
        sa.UniqueConstraint(
            "company_id", "contact_kind", "contact_id", name="uq_contact_links_contact"
        ),
    )
    with op.batch_alter_table("contact_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_links_customer", ["company_id", "realm_id", "customer_id"], unique=False
        )

    op.create_table(
        "deal_invoice_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("deal_id", sa.BigInteger(), nullable=False),
        sa.Column("deal_title", sa.String(length=255), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("linked_by_user_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "origin IN ('created', 'linked')", name=op.f("ck_deal_invoice_links_origin")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_deal_invoice_links_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_invoice_links")),
        sa.UniqueConstraint(
            "company_id", "realm_id", "invoice_id", name="uq_deal_invoice_links_invoice"
        ),
    )
    with op.batch_alter_table("deal_invoice_links", schema=None) as batch_op:
        batch_op.create_index("ix_deal_invoice_links_deal", ["company_id", "deal_id"], unique=False)

    op.create_table(
        "invoice_create_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("draft_key", sa.String(length=64), nullable=False),
        sa.Column("realm_id", sa.String(length=32), nullable=False),
        sa.Column("deal_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=50), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=True),
        sa.Column("request_claims", sa.Integer(), nullable=False),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invoice_id", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'posting', 'posted', 'failed')",
            name=op.f("ck_invoice_create_attempts_state"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoice_create_attempts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_create_attempts")),
        sa.UniqueConstraint("company_id", "draft_key", name="uq_invoice_create_attempts_draft_key"),
        sa.UniqueConstraint(
            "company_id", "request_id", name="uq_invoice_create_attempts_request_id"
        ),
    )
    with op.batch_alter_table("invoice_create_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_create_attempts_state", ["state", "lease_expires_at"], unique=False
        )

    op.create_table(
        "invoice_mirror",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("customer_name", sa.String(length=500), nullable=False),
        sa.Column("doc_number", sa.String(length=32), nullable=False),
        sa.Column("txn_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("email_status", sa.String(length=32), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bill_email", sa.String(length=255), nullable=False),
        sa.Column("online_payment_allowed", sa.Boolean(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("sync_token", sa.String(length=16), nullable=False),
        sa.Column("qbo_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoice_mirror_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_mirror")),
        sa.UniqueConstraint(
            "company_id", "realm_id", "invoice_id", name="uq_invoice_mirror_invoice"
        ),
    )
    with op.batch_alter_table("invoice_mirror", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invoice_mirror_customer_txn_date",
            ["company_id", "realm_id", "customer_id", "txn_date", "id"],
            unique=False,
        )

    op.create_table(
        "invoice_sync_state",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=32), nullable=False),
        sa.Column("cdc_checkpoint", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_holder", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoice_sync_state_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "realm_id", name=op.f("pk_invoice_sync_state")),
    )
    op.create_table(
        "product_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("product_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=False),
        sa.Column("item_name", sa.String(length=500), nullable=False),
        sa.Column("linked_by_user_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_product_links_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_links")),
        sa.UniqueConstraint("company_id", "product_id", name="uq_product_links_product"),
    )
    with op.batch_alter_table("product_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_links_item", ["company_id", "realm_id", "item_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("product_links", schema=None) as batch_op:
        batch_op.drop_index("ix_product_links_item")

    op.drop_table("product_links")
    op.drop_table("invoice_sync_state")
    with op.batch_alter_table("invoice_mirror", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_mirror_customer_txn_date")

    op.drop_table("invoice_mirror")
    with op.batch_alter_table("invoice_create_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_invoice_create_attempts_state")

    op.drop_table("invoice_create_attempts")
    with op.batch_alter_table("deal_invoice_links", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_invoice_links_deal")

    op.drop_table("deal_invoice_links")
    with op.batch_alter_table("contact_links", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_links_customer")

    op.drop_table("contact_links")
