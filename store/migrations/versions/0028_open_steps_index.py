"""An index of the clocks by unit and status (case_step.unit, status): a unit's inbox (待办)
reads its open clocks, which without it meant reading every clock of every case (half a
million with 100,000 cases, bench/pages.py).

Revision ID: 0028_open_steps_index
Revises: 0027_codec_tokens
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028_open_steps_index"
down_revision: str | None = "0027_codec_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_step_unit_status", "case_step", ["unit", "status"])


def downgrade() -> None:
    op.drop_index("ix_case_step_unit_status", table_name="case_step")
