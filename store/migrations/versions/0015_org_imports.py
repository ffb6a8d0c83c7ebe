"""Each replacement of the organisation tree is recorded (org_import), so the processes that
keep the tree in memory see every import, even one that only renames a school.

Revision ID: 0015_org_imports
Revises: 0014_track_guesses
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0015_org_imports"
down_revision: str | None = "0014_track_guesses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_import",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("imported_at", AwareDateTime(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("schools", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("org_import")
