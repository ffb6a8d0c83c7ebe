"""The unit that registered a complaint and passed it up to a unit above it keeps seeing it (a
county that transferred a complaint to its city), as store.cases.refresh_access now writes.

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
    """The same rule as store.cases.refresh_access, by plain SQL (models may change later)."""
    bind = op.get_bind()
    units = sa.text("SELECT code, parent_code FROM org_unit")
    receiving_schools = sa.text(
        "SELECT DISTINCT s.code, s.unit_code FROM org_school s"
        " JOIN complaint_case c ON c.receiving_unit = s.code"
    )
    parents: dict[str, str | None] = {}
    for query in (units, receiving_schools):
        parents.update((code, parent) for code, parent in bind.execute(query))
    held = set(bind.execute(sa.text("SELECT case_id, unit_code FROM case_access")).all())
    cases = bind.execute(sa.text("SELECT id, receiving_unit, handling_unit FROM complaint_case"))
    rows = []
    for case_id, receiving, handling in cases:
        above: set[str] = set()
        code = parents.get(receiving)
        while code and code not in above:
            above.add(code)
            code = parents.get(code)
        if handling in above and (case_id, receiving) not in held:
            rows.append({"c": case_id, "u": receiving})
    if rows:
        bind.execute(sa.text("INSERT INTO case_access (case_id, unit_code) VALUES (:c, :u)"), rows)


def downgrade() -> None:
    """Nothing to undo: the earlier code drops these rows at each case's next record."""
