"""Which units may see a case (case_access), filled for the cases already stored.

Revision ID: 0006_case_access
Revises: 0005_lookup
Create Date: 2026-11-29
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_case_access"
down_revision: str | None = "0005_lookup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_access",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("unit_code", sa.String(10), primary_key=True, index=True),
    )
    _fill_for_stored_cases()


def downgrade() -> None:
    op.drop_table("case_access")


def _fill_for_stored_cases() -> None:
    """The same rule as store.cases.refresh_access, by plain SQL (models may change later)."""
    bind = op.get_bind()
    unit_rows = bind.execute(sa.text("SELECT code, parent_code FROM org_unit")).all()
    parents: dict[str, str | None] = {code: parent for code, parent in unit_rows}
    access: dict[str, set[str]] = {}
    for case_id, handling in bind.execute(sa.text("SELECT id, handling_unit FROM complaint_case")):
        units = access.setdefault(case_id, set())
        code = handling
        while code and code not in units:
            units.add(code)
            code = parents.get(code)
    for case_id, route in bind.execute(sa.text("SELECT case_id, route FROM case_slip")):
        access.setdefault(case_id, set()).update(json.loads(route))
    rows = [{"c": case_id, "u": unit} for case_id, units in access.items() for unit in units]
    if rows:
        bind.execute(sa.text("INSERT INTO case_access (case_id, unit_code) VALUES (:c, :u)"), rows)
