"""Failed logins under names no active account has, counted and locked like an account's, so
the answers never tell whether an account exists.

Revision ID: 0022_login_guesses
Revises: 0021_session_policy
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0022_login_guesses"
down_revision: str | None = "0021_session_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_guess",
        sa.Column("name_hash", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", AwareDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("login_guess")
