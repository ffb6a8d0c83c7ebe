"""Evidence files (附件) of cases: one row a file; the file itself is sealed in the blob store.

Revision ID: 0035_files_attachments
Revises: 0034_repeat_complaints
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models.columns import AwareDateTime

revision: str = "0035_files_attachments"
down_revision: str | None = "0034_repeat_complaints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_attachment",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("complaint_id", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("slip_id", sa.String(16), nullable=False),
        sa.Column("unit_code", sa.String(10), nullable=False),
        sa.Column("uploaded_by", sa.String(32), nullable=False),
        sa.Column("uploaded_at", AwareDateTime(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("blob_key", sa.String(128), nullable=False),
        sa.Column("sealed_name", sa.LargeBinary(), nullable=True),
    )
    op.create_index("ix_case_attachment_case", "case_attachment", ["complaint_id", "uploaded_at"])


def downgrade() -> None:
    op.drop_index("ix_case_attachment_case", table_name="case_attachment")
    op.drop_table("case_attachment")
