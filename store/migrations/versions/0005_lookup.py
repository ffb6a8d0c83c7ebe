"""Keyed hashes of the complainant's phone and ID card numbers on the case, for look-up.

Revision ID: 0005_lookup
Revises: 0004_audit
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_lookup"
down_revision: str | None = "0004_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("complainant_phone_hash", "complainant_id_hash")


def upgrade() -> None:
    with op.batch_alter_table("complaint_case") as table:
        for name in _COLUMNS:
            table.add_column(sa.Column(name, sa.String(64), nullable=True))
            table.create_index(f"ix_complaint_case_{name}", [name])


def downgrade() -> None:
    with op.batch_alter_table("complaint_case") as table:
        for name in _COLUMNS:
            table.drop_index(f"ix_complaint_case_{name}")
            table.drop_column(name)
