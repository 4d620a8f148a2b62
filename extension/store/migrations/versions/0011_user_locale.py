"""user locale: the interface language, formatting locale and time zone from /users/me

Revision ID: 0011_user_locale
Revises: 0010_invoices
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_user_locale"
down_revision = "0010_invoices"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("language", 16),
    ("locale", 32),
    ("timezone_name", 64),
    ("language_override", 16),
)


def upgrade() -> None:
    # server_default fills existing rows; English, the app's locale and UTC apply until the
    # user's details are next read from Pipedrive (within minutes of their next visit).
    with op.batch_alter_table("installations") as batch:
        for name, length in _COLUMNS:
            batch.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            )


def downgrade() -> None:
    with op.batch_alter_table("installations") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
