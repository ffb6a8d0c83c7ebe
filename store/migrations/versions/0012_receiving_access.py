"""The unit that registered a complaint keeps seeing it when another unit handles it (a county
that transferred a complaint up to its city), as store.cases.refresh_access now writes.

Revision ID: 0012_receiving_access
Revises: 0011_campaign_estimate
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_receiving_access"
down_revision: str | None = "0011_campaign_estimate"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "INSERT INTO case_access (case_id, unit_code)"
            " SELECT id, receiving_unit FROM complaint_case c WHERE NOT EXISTS"
            " (SELECT 1 FROM case_access a"
            "  WHERE a.case_id = c.id AND a.unit_code = c.receiving_unit)"
        )
    )


def downgrade() -> None:
    """Nothing to undo: the earlier code drops these rows at each case's next record."""
