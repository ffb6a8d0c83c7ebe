"""The case lists read a unit's cases newest first straight off an index of its access rows:
case_access gets the case's received time (it never changes) and the index (unit_code,
received_at, case_id), which replaces the index of unit_code alone. The list walks it
backwards: newest first, and the few cases received at the same instant sorted by id.

Before, the list joined a unit's access rows to the cases and ordered by the cases' received
time, and PostgreSQL chose between walking every case newest first until it met 50 the unit
may see and reading all of the unit's cases then sorting them, by an estimate of how many the
unit sees: with 1,000,000 cases the same page took 35 ms or 800 ms depending on ANALYZE's
sample (bench/oversight.py). Now the page is an index range scan of the unit's 50 newest.

Revision ID: 0036_listperf_access_by_received
Revises: 0035_files_attachments
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0036_listperf_access_by_received"
down_revision: str | None = "0035_files_attachments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_case_access_unit_received"


def upgrade() -> None:
    op.add_column("case_access", sa.Column("received_at", AwareDateTime(), nullable=True))
    # Access rows of a case that is not stored show nothing (the list joins the cases).
    op.execute(
        "DELETE FROM case_access WHERE NOT EXISTS "
        "(SELECT 1 FROM complaint_case WHERE complaint_case.id = case_access.case_id)"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE case_access SET received_at = complaint_case.received_at "
            "FROM complaint_case WHERE complaint_case.id = case_access.case_id"
        )
    else:
        op.execute(
            "UPDATE case_access SET received_at = (SELECT received_at FROM complaint_case "
            "WHERE complaint_case.id = case_access.case_id)"
        )
    with op.batch_alter_table("case_access") as table:
        table.alter_column("received_at", existing_type=AwareDateTime(), nullable=False)
    op.drop_index("ix_case_access_unit_code", table_name="case_access")
    op.create_index(INDEX, "case_access", ["unit_code", "received_at", "case_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="case_access")
    op.create_index("ix_case_access_unit_code", "case_access", ["unit_code"])
    with op.batch_alter_table("case_access") as table:
        table.drop_column("received_at")
