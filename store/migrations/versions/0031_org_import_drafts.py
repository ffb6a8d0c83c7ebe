"""A new organisation tree uploaded in the console, checked and waiting to be applied after
its preview (org_import_draft): any API process can apply it, and it is deleted when applied.

Revision ID: 0031_org_import_drafts
Revises: 0030_request_reasons
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0031_org_import_drafts"
down_revision: str | None = "0030_request_reasons"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_import_draft",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("units_file", sa.String(255), nullable=False),
        sa.Column("schools_file", sa.String(255), nullable=False),
        sa.Column("records", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("org_import_draft")
