"""Staff accounts: users, password history, sessions and the password policy.

Revision ID: 0003_accounts
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0003_accounts"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, AwareDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(32), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(6), sa.ForeignKey("org_unit.code"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        _at("password_changed_at"),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        _at("locked_until", nullable=True),
        sa.Column("totp_secret", sa.LargeBinary(), nullable=True),
        sa.Column("totp_enrolled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _at("created_at"),
    )
    op.create_index("ix_staff_user_unit_code", "staff_user", ["unit_code"])
    op.create_table(
        "staff_password_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=False),
        sa.Column("hash", sa.String(255), nullable=False),
        _at("created_at"),
    )
    op.create_index("ix_staff_password_history_user_id", "staff_password_history", ["user_id"])
    op.create_table(
        "staff_session",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("staff_user.id"), nullable=False),
        _at("created_at"),
        _at("last_seen_at"),
        _at("revoked_at", nullable=True),
        sa.Column("client_address", sa.String(64), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("must_enrol_totp", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_staff_session_user_id", "staff_session", ["user_id"])
    policy = op.create_table(
        "password_policy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("min_length", sa.Integer(), nullable=False),
        sa.Column("min_kinds", sa.Integer(), nullable=False),
        sa.Column("history", sa.Integer(), nullable=False),
        sa.Column("expiry_days", sa.Integer(), nullable=False),
        sa.Column("max_failures", sa.Integer(), nullable=False),
        sa.Column("lock_minutes", sa.Integer(), nullable=False),
        sa.Column("idle_minutes", sa.Integer(), nullable=False),
    )
    defaults = {
        "id": 1,
        "min_length": 10,
        "min_kinds": 3,
        "history": 5,
        "expiry_days": 90,
        "max_failures": 5,
        "lock_minutes": 15,
        "idle_minutes": 30,
    }
    op.bulk_insert(policy, [defaults])


def downgrade() -> None:
    op.drop_table("password_policy")
    op.drop_index("ix_staff_session_user_id", table_name="staff_session")
    op.drop_table("staff_session")
    op.drop_index("ix_staff_password_history_user_id", table_name="staff_password_history")
    op.drop_table("staff_password_history")
    op.drop_index("ix_staff_user_unit_code", table_name="staff_user")
    op.drop_table("staff_user")
