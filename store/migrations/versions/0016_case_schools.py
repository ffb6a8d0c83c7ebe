"""The schools each complaint is about (case_school), for finding cases by school; filled from
the sealed registrations that the configured store keys open.

Revision ID: 0016_case_schools
Revises: 0015_org_imports
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_case_schools"
down_revision: str | None = "0015_org_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    case_school = op.create_table(
        "case_school",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("school_code", sa.String(10), primary_key=True),
    )
    op.create_index("ix_case_school_school_code", "case_school", ["school_code"])
    rows = _backfill(op.get_bind())
    if rows:
        op.bulk_insert(case_school, rows)


def downgrade() -> None:
    op.drop_index("ix_case_school_school_code", table_name="case_school")
    op.drop_table("case_school")


def _backfill(connection: sa.Connection) -> list[dict[str, str]]:
    """The school codes of the registrations already written, from those the configured store
    keys open; a case whose registration they cannot open is found by school once rewritten."""
    from core.settings import get_settings
    from store.sealing import Sealer, binding

    cases = sa.table("complaint_case", sa.column("id"), sa.column("sealed"))
    sealed = list(connection.execute(sa.select(cases.c.id, cases.c.sealed)))
    if not any(blob for _, blob in sealed):
        return []
    try:
        sealer = Sealer(get_settings().store_keys)
    except Exception:  # no usable settings here: leave the backfill to a rewrite
        return []
    rows: list[dict[str, str]] = []
    for case_id, blob in sealed:
        try:
            bound_to = binding("complaint_case", "sealed", case_id)
            codes = sealer.open(blob, bound_to=bound_to)["school_codes"] if blob else []
        except Exception:  # sealed with a key no longer configured, or not a registration
            continue
        rows += [{"case_id": case_id, "school_code": code} for code in dict.fromkeys(codes)]
    return rows
