"""Summary tables of the oversight figures (督办统计, store/summary.py): daily counts of the
cases received, ended and disputed (and by month), and of the steps done, for the Ministry's and the
provinces' figures; filled from the cases already written by migration 0037 (the same
recount `xueji stats check` compares them with). And an index of the open cases alone for
the backlog.

Revision ID: 0033_oversight_summaries
Revises: 0032_oversight_indexes
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_oversight_summaries"
down_revision: str | None = "0032_oversight_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The open cases' columns the backlog reads (store/stats.py), as of this revision.
OPEN_CASE_COLUMNS = (
    "province",
    "handling_unit",
    "stage",
    "received_at",
    "overdue",
    "escalation_level",
)


def upgrade() -> None:
    for name in ("stats_case_day", "stats_case_month"):
        op.create_table(
            name,
            sa.Column("scope", sa.String(6), primary_key=True),
            sa.Column("event", sa.String(16), primary_key=True),
            sa.Column("day", sa.Date(), primary_key=True),
            sa.Column("branch", sa.String(10), primary_key=True),
            sa.Column("level", sa.String(16), primary_key=True),
            sa.Column("channel", sa.String(16), primary_key=True),
            sa.Column("referred", sa.Boolean(), primary_key=True),
            sa.Column("late", sa.Boolean(), primary_key=True),
            sa.Column("reworked", sa.Boolean(), primary_key=True),
            sa.Column("cases", sa.Integer(), nullable=False),
        )
    op.create_table(
        "stats_step_day",
        sa.Column("scope", sa.String(6), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("started", sa.Date(), primary_key=True),
        sa.Column("late", sa.Boolean(), primary_key=True),
        sa.Column("steps", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_complaint_case_open",
        "complaint_case",
        list(OPEN_CASE_COLUMNS),
        postgresql_where=sa.text("outcome = ''"),
        sqlite_where=sa.text("outcome = ''"),
    )
    # The tables are filled from the cases by migration 0037's recount: today's recount reads
    # case_step.result, a column that migration adds.


def downgrade() -> None:
    op.drop_index("ix_complaint_case_open", table_name="complaint_case")
    op.drop_table("stats_step_day")
    op.drop_table("stats_case_month")
    op.drop_table("stats_case_day")
