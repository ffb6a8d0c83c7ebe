"""The audit log: hash-chained entries, and the anchors that purges of old entries leave.

Revision ID: 0004_audit
Revises: 0003_accounts
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0004_audit"
down_revision: str | None = "0003_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", AwareDateTime(), nullable=False, index=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("actor_unit", sa.String(10), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("result", sa.String(), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "audit_anchor",
        sa.Column("through_seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("cutoff", AwareDateTime(), nullable=False),
        sa.Column("purged_at", AwareDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_anchor")
    op.drop_table("audit_log")
