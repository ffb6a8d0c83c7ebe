"""The audit log keyed: each new entry's hash is an HMAC-SHA256 under the audit key named in
`audit_log.key_id` (entries already written keep their SHA-256, key_id NULL, and still verify),
and a purge anchor of keyed entries carries its own HMAC (`audit_anchor.key_id`, `mac`).

Nothing is rewritten: the entries before this revision verify under the old rule, and the
first keyed entry seals the last of them (its HMAC covers that entry's hash).

Revision ID: 0023_audit_keyed
Revises: 0022_login_guesses
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_audit_keyed"
down_revision: str | None = "0022_login_guesses"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        table.add_column(sa.Column("key_id", sa.String(64), nullable=True))
    with op.batch_alter_table("audit_anchor") as table:
        table.add_column(sa.Column("key_id", sa.String(64), nullable=True))
        table.add_column(sa.Column("mac", sa.String(64), nullable=True))


def downgrade() -> None:
    # Keyed entries do not verify under the old rule: downgrading breaks the chain at the
    # first of them.
    with op.batch_alter_table("audit_anchor") as table:
        table.drop_column("mac")
        table.drop_column("key_id")
    with op.batch_alter_table("audit_log") as table:
        table.drop_column("key_id")
