"""Wrong query codes are counted per tracking number, so that guessing a complainant's code
waits once a number has had too many, whichever address or API process the guesses come from.

Revision ID: 0014_track_guesses
Revises: 0013_calendar_years
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0014_track_guesses"
down_revision: str | None = "0013_calendar_years"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_intake") as table:
        table.add_column(sa.Column("wrong_codes", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("wrong_codes_since", AwareDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaint_intake") as table:
        table.drop_column("wrong_codes_since")
        table.drop_column("wrong_codes")
