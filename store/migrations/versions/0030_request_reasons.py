"""Why a secadmin refused an account request (account_request.reason), shown to the
sysadmin who asked.

Revision ID: 0030_request_reasons
Revises: 0029_cases_by_received
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_request_reasons"
down_revision: str | None = "0029_cases_by_received"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_request") as batch:
        batch.add_column(sa.Column("reason", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("account_request") as batch:
        batch.drop_column("reason")
