"""live updates: the webhook events' claim and outcome, the reconciler's last round, and the
payments each mirrored invoice names

Revision ID: 0012_live_updates
Revises: 0011_user_locale
Create Date: 2026-12-03 09:00:00

Events stored before this revision were never applied by anything. They are marked applied
("superseded") rather than replayed: the reconciler's first round for each QuickBooks company
has no checkpoint yet and reads every invoice linked to a deal again, which covers them all.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_live_updates"
down_revision = "0011_user_locale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quickbooks_webhook_events") as batch:
        batch.add_column(
            sa.Column("deleted_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("outcome", sa.String(length=16), nullable=False, server_default="")
        )
        batch.create_index(
            "ix_quickbooks_webhook_events_pending", ["processed_at", "id"], unique=False
        )
    op.execute(
        "UPDATE quickbooks_webhook_events SET processed_at = received_at, outcome = 'superseded' "
        "WHERE processed_at IS NULL"
    )

    with op.batch_alter_table("invoice_sync_state") as batch:
        batch.add_column(sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "invoice_payments",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("realm_id", sa.String(length=32), nullable=False),
        sa.Column("payment_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_invoice_payments_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "company_id", "realm_id", "payment_id", "invoice_id", name=op.f("pk_invoice_payments")
        ),
    )
    with op.batch_alter_table("invoice_payments") as batch:
        batch.create_index(
            "ix_invoice_payments_invoice", ["company_id", "realm_id", "invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_payments") as batch:
        batch.drop_index("ix_invoice_payments_invoice")
    op.drop_table("invoice_payments")
    with op.batch_alter_table("invoice_sync_state") as batch:
        batch.drop_column("reconciled_at")
    with op.batch_alter_table("quickbooks_webhook_events") as batch:
        batch.drop_index("ix_quickbooks_webhook_events_pending")
        for name in ("outcome", "attempts", "claim_expires_at", "claimed_by", "deleted_id"):
            batch.drop_column(name)
