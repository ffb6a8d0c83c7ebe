"""A session's codec token (for the Temporal Web UI's codec calls), kept hashed beside the
session, so that the codec cookie no longer holds the bearer token itself.

Revision ID: 0027_codec_tokens
Revises: 0026_login_failures
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_codec_tokens"
down_revision: str | None = "0026_login_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_session") as table:
        table.add_column(sa.Column("codec_token_hash", sa.String(64), nullable=True))
        table.create_index("ix_staff_session_codec_token_hash", ["codec_token_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("staff_session") as table:
        table.drop_index("ix_staff_session_codec_token_hash")
        table.drop_column("codec_token_hash")
