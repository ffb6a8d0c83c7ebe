"""Indexes for the oversight figures (督办统计, store/stats.py): a province's or a unit's
cases by received time and by the time they ended (complaint_case.updated_at), and the clocks
by the time they ended and began (the steps done in a period, the disputes raised).

Revision ID: 0032_oversight_indexes
Revises: 0031_org_import_drafts
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032_oversight_indexes"
down_revision: str | None = "0031_org_import_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CASE_INDEXES = {
    "ix_complaint_case_province_received": ["province", "received_at"],
    "ix_complaint_case_unit_received": ["handling_unit", "received_at"],
    "ix_complaint_case_province_updated": ["province", "updated_at"],
    "ix_complaint_case_unit_updated": ["handling_unit", "updated_at"],
}
STEP_INDEXES = {
    "ix_case_step_finished_at": ["finished_at"],
    "ix_case_step_started_at": ["started_at"],
}


def upgrade() -> None:
    for name, columns in CASE_INDEXES.items():
        op.create_index(name, "complaint_case", columns)
    for name, columns in STEP_INDEXES.items():
        op.create_index(name, "case_step", columns)


def downgrade() -> None:
    for name in STEP_INDEXES:
        op.drop_index(name, table_name="case_step")
    for name in CASE_INDEXES:
        op.drop_index(name, table_name="complaint_case")
