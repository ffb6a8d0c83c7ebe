"""The public directory's date last confirmed (最近确认日期) and the FAQ (常见问题解答).

Revision ID: 0008_directory_faq
Revises: 0007_intake
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0008_directory_faq"
down_revision: str | None = "0007_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot alter a table in place.
    with op.batch_alter_table("org_unit") as table:
        table.add_column(sa.Column("contact_confirmed_at", AwareDateTime(), nullable=True))
    op.create_table(
        "faq",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_code", sa.String(6), sa.ForeignKey("org_unit.code"), nullable=False),
        sa.Column("question", sa.String(200), nullable=False),
        sa.Column("answer", sa.String(4000), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("updated_at", AwareDateTime(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_faq_unit_code", "faq", ["unit_code"])


def downgrade() -> None:
    op.drop_index("ix_faq_unit_code", table_name="faq")
    op.drop_table("faq")
    with op.batch_alter_table("org_unit") as table:
        table.drop_column("contact_confirmed_at")
