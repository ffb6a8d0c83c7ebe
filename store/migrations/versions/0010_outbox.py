"""The outbox: a row's claim (a delivery run holds the rows it is sending, so two runs of
`xueji notify send` at once never mail the same notice twice), and the text of a message to
the complainant sealed (staff write it; it may hold personal data).

Revision ID: 0010_outbox
Revises: 0009_campaigns
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0010_outbox"
down_revision: str | None = "0009_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox") as table:
        table.add_column(sa.Column("claimed_until", AwareDateTime(), nullable=True))
        table.add_column(sa.Column("sealed_text", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox") as table:
        table.drop_column("sealed_text")
        table.drop_column("claimed_until")
