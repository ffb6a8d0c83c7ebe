"""The organisation tree: units and schools.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_unit",
        sa.Column("code", sa.String(length=6), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.Column("phone", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
    )
    op.create_index("ix_org_unit_parent_code", "org_unit", ["parent_code"])
    op.create_table(
        "org_school",
        sa.Column("code", sa.String(length=10), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
    )
    op.create_index("ix_org_school_unit_code", "org_school", ["unit_code"])


def downgrade() -> None:
    op.drop_index("ix_org_school_unit_code", table_name="org_school")
    op.drop_table("org_school")
    op.drop_index("ix_org_unit_parent_code", table_name="org_unit")
    op.drop_table("org_unit")
