"""What a follow-up call (回访) found and what a review (复核) decided, as data on the clock
(case_step.result: a Satisfaction value, "upheld" or "reopened"; "" for other steps), so the
oversight figures count the follow-up answers and the reviews (docs/oversight.md). The
summary tables are filled again by the recount, which reads the new column: migration 0033
left that to this one (the recount of its day read only the columns before it).

Revision ID: 0037_aftercarefigures_results
Revises: 0036_listperf_access_by_received
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037_aftercarefigures_results"
down_revision: str | None = "0036_listperf_access_by_received"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_step") as batch:
        batch.add_column(sa.Column("result", sa.String(32), nullable=False, server_default=""))
    from sqlmodel import Session

    from store.summary import rebuild

    with Session(bind=op.get_bind()) as session:
        rebuild(session)
        session.flush()


def downgrade() -> None:
    with op.batch_alter_table("case_step") as batch:
        batch.drop_column("result")
