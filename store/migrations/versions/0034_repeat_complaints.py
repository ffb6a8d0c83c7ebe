"""Repeat complaints (重复件) joined to a case, and links between cases (关联案件).

Revision ID: 0034_repeat_complaints
Revises: 0033_oversight_summaries
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0034_repeat_complaints"
down_revision: str | None = "0033_oversight_summaries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_repeat",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("receiving_unit", sa.String(10), nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
        sa.Column("received_at", AwareDateTime(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("registered_by", "idempotency_key"),
    )
    op.create_index("ix_case_repeat_case_id", "case_repeat", ["case_id"])
    op.create_index("ix_case_repeat_receiving_unit", "case_repeat", ["receiving_unit"])
    op.create_index("ix_case_repeat_received_at", "case_repeat", ["received_at"])
    op.create_table(
        "case_link",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("linked_id", sa.String(64), primary_key=True),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("linked_by", sa.String(64), nullable=False),
        sa.Column("linked_at", AwareDateTime(), nullable=False),
    )
    op.create_index("ix_case_link_linked_id", "case_link", ["linked_id"])


def downgrade() -> None:
    op.drop_table("case_link")
    op.drop_table("case_repeat")
