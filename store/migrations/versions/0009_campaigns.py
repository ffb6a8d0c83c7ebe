"""Personnel-table campaigns (附件3): the campaign and each unit's sealed report.

Revision ID: 0009_campaigns
Revises: 0008_directory_faq
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0009_campaigns"
down_revision: str | None = "0008_directory_faq"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("opener_unit", sa.String(6), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", AwareDateTime(), nullable=False),
        sa.Column("due", AwareDateTime(), nullable=False),
        sa.Column("remind_at", AwareDateTime(), nullable=False),
        sa.Column("reminded_at", AwareDateTime(), nullable=True),
        sa.Column("alerted_at", AwareDateTime(), nullable=True),
        sa.Column("closed_at", AwareDateTime(), nullable=True),
    )
    op.create_index("ix_campaign_opener_unit", "campaign", ["opener_unit"])
    op.create_table(
        "campaign_unit",
        sa.Column("campaign_id", sa.String(64), sa.ForeignKey("campaign.id"), primary_key=True),
        sa.Column("unit_code", sa.String(6), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("submitted_at", AwareDateTime(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("sealed_report", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_campaign_unit_unit_code", "campaign_unit", ["unit_code"])


def downgrade() -> None:
    op.drop_index("ix_campaign_unit_unit_code", table_name="campaign_unit")
    op.drop_table("campaign_unit")
    op.drop_index("ix_campaign_opener_unit", table_name="campaign")
    op.drop_table("campaign")
