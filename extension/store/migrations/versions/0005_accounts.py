"""accounts: when user details were read from Pipedrive; consumed QuickBooks connect tickets

Revision ID: 0005_accounts
Revises: 0004_settings
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_accounts"
down_revision = "0004_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("installations") as batch:
        batch.add_column(
            sa.Column("details_refreshed_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "consumed_connect_tickets",
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_consumed_connect_tickets_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_consumed_connect_tickets")),
    )
    op.create_index(
        op.f("ix_consumed_connect_tickets_company_id"),
        "consumed_connect_tickets",
        ["company_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_consumed_connect_tickets_company_id"), table_name="consumed_connect_tickets"
    )
    op.drop_table("consumed_connect_tickets")
    with op.batch_alter_table("installations") as batch:
        batch.drop_column("details_refreshed_at")
