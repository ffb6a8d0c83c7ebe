"""How complaints came in through the API: tracking number, query code, idempotency key.

Revision ID: 0007_intake
Revises: 0006_case_access
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0007_intake"
down_revision: str | None = "0006_case_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "complaint_intake",
        sa.Column("complaint_id", sa.String(64), primary_key=True),
        sa.Column("tracking_no", sa.String(32), nullable=False, unique=True),
        sa.Column("query_code_hash", sa.String(64), nullable=False),
        sa.Column("sealed_query_code", sa.LargeBinary(), nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
        sa.Column("receiving_unit", sa.String(10), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.UniqueConstraint("registered_by", "idempotency_key"),
    )


def downgrade() -> None:
    op.drop_table("complaint_intake")
