"""Account changes that wait for a second administrator (三员): the sysadmin's request to make
an account, re-credential one or change an administrator's, applied only when a secadmin of a
unit above the account approves it.

Revision ID: 0024_account_requests
Revises: 0023_audit_keyed
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0024_account_requests"
down_revision: str | None = "0023_audit_keyed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(10), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("reset_totp", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("unlock", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("requested_at", AwareDateTime(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=False),
        sa.Column("decided_at", AwareDateTime(), nullable=True),
    )
    op.create_index("ix_account_request_username", "account_request", ["username"])
    op.create_index("ix_account_request_unit_code", "account_request", ["unit_code"])


def downgrade() -> None:
    op.drop_index("ix_account_request_unit_code", "account_request")
    op.drop_index("ix_account_request_username", "account_request")
    op.drop_table("account_request")
