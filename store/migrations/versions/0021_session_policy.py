"""The policy's absolute session lifetime and whether every role needs the second factor
(TOTP); unset, it is required in production only.

Revision ID: 0021_session_policy
Revises: 0020_outbox_channel
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_session_policy"
down_revision: str | None = "0020_outbox_channel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("password_policy") as table:
        table.add_column(
            sa.Column("session_hours", sa.Integer(), nullable=False, server_default="12")
        )
        table.add_column(sa.Column("totp_for_all", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("password_policy") as table:
        table.drop_column("totp_for_all")
        table.drop_column("session_hours")
