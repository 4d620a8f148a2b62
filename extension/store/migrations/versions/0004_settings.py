"""settings: company settings, user roles, reference list cache

Revision ID: 0004_settings
Revises: 0002_quickbooks
Create Date: 2026-11-23 11:54:57.146172
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_settings"
down_revision = "0002_quickbooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "company_settings",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("map_recipient", sa.String(length=80), nullable=False),
        sa.Column("map_address", sa.String(length=80), nullable=False),
        sa.Column("map_email", sa.String(length=80), nullable=False),
        sa.Column("map_tax_id", sa.String(length=80), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("default_taxable", sa.Boolean(), nullable=False),
        sa.Column("default_tax_code_id", sa.String(length=40), nullable=False),
        sa.Column("default_income_account_id", sa.String(length=40), nullable=False),
        sa.Column("default_terms_id", sa.String(length=40), nullable=False),
        sa.Column("update_customer_default", sa.Boolean(), nullable=False),
        sa.Column("default_role", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_settings_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_settings")),
    )
    op.create_table(
        "reference_list_cache",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_reference_list_cache_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "source", name=op.f("pk_reference_list_cache")),
    )
    op.create_table(
        "user_roles",
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_user_roles_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "user_id", name=op.f("pk_user_roles")),
    )


def downgrade() -> None:
    op.drop_table("user_roles")
    op.drop_table("reference_list_cache")
    op.drop_table("company_settings")
