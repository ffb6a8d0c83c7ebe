"""Working-day calendar years in the store (calendar_year), so workers on any host read the
same arrangement; files in the calendar directory are still read beneath them.

Revision ID: 0013_calendar_years
Revises: 0012_receiving_access
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0013_calendar_years"
down_revision: str | None = "0012_receiving_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("document", sa.String(), nullable=False),
        sa.Column("loaded_at", AwareDateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_year")
