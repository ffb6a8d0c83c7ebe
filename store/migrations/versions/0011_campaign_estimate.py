"""A campaign's reminder day counted over an estimated calendar year is marked as such (预计),
as every date of the system is.

Revision ID: 0011_campaign_estimate
Revises: 0010_outbox
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_campaign_estimate"
down_revision: str | None = "0010_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign") as table:
        table.add_column(
            sa.Column("remind_estimated", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("campaign") as table:
        table.drop_column("remind_estimated")
