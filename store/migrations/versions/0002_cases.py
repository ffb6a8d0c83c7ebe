"""The cases: case rows, their steps (clocks), slips, timeline and the notification outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, AwareDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "complaint_case",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("tracking_no", sa.String(32), nullable=False, unique=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False, index=True),
        sa.Column("receiving_unit", sa.String(10), nullable=False),
        sa.Column("handling_unit", sa.String(10), nullable=False, index=True),
        sa.Column("province", sa.String(6), nullable=False, index=True),
        _at("received_at"),
        _at("updated_at"),
        _at("due", nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("phone_masked", sa.String(16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
    )
    op.create_table(
        "case_step",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        _at("started_at"),
        _at("due"),
        _at("remind_at"),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        _at("next_escalation_at", nullable=True),
        _at("finished_at", nullable=True),
    )
    op.create_table(
        "case_slip",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("slip_id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(10), nullable=False),
        sa.Column("addressee", sa.String(10), nullable=False, index=True),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("hops", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("sent_at"),
        _at("returned_at", nullable=True),
        sa.Column("sealed_instructions", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_response", sa.LargeBinary(), nullable=True),
    )
    op.create_table(
        "case_timeline",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        _at("at"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_table(
        "notification_outbox",
        sa.Column("key", sa.String(160), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient_unit", sa.String(10), nullable=False),
        sa.Column("to_complainant", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _at("created_at"),
        _at("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "notification_outbox",
        "case_timeline",
        "case_slip",
        "case_step",
        "complaint_case",
    ):
        op.drop_table(table)
