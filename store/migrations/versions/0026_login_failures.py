"""Failed logins kept with the name's hash and the client address for the policy's
`lock_minutes`, so that an address is slowed before an account locks (store/logins.py).

Revision ID: 0026_login_failures
Revises: 0025_track_keyed
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0026_login_failures"
down_revision: str | None = "0025_track_keyed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name_hash", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
    )
    op.create_index("ix_login_failure_name_hash", "login_failure", ["name_hash"])
    op.create_index("ix_login_failure_address", "login_failure", ["address"])
    op.create_index("ix_login_failure_at", "login_failure", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_failure_at", table_name="login_failure")
    op.drop_index("ix_login_failure_address", table_name="login_failure")
    op.drop_index("ix_login_failure_name_hash", table_name="login_failure")
    op.drop_table("login_failure")
