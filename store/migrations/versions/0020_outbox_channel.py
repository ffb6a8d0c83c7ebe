"""The outbox: the channel each notice went out by ("email" or "sms"), recorded with each
delivery attempt; empty for the rows not tried yet.

Revision ID: 0020_outbox_channel
Revises: 0019_search_index
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_outbox_channel"
down_revision: str | None = "0019_search_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox") as table:
        table.add_column(sa.Column("channel", sa.String(8), nullable=True))
    # Every row tried before this revision went out by e-mail, the only channel there was.
    outbox = sa.table(
        "notification_outbox", sa.column("channel", sa.String), sa.column("attempts", sa.Integer)
    )
    op.execute(outbox.update().where(outbox.c.attempts > 0).values(channel="email"))


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox") as table:
        table.drop_column("channel")
