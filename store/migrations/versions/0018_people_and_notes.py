"""Who acted and what they wrote: each timeline entry names the staff member and keeps their
text sealed; cases and slips name their person in charge (承办人); a closed case keeps its
public reply (sealed); the outbox holds each person's own copy of a notice.

Revision ID: 0018_people_and_notes
Revises: 0017_school_accounts
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_people_and_notes"
down_revision: str | None = "0017_school_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text(name: str, length: int) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.String(length), nullable=False, server_default="")


def upgrade() -> None:
    with op.batch_alter_table("case_timeline") as table:
        table.add_column(_text("actor", 32))
        table.add_column(sa.Column("sealed_note", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("complaint_case") as table:
        table.add_column(_text("assignee", 32))
        table.add_column(sa.Column("sealed_public_reply", sa.LargeBinary(), nullable=True))
        table.create_index("ix_complaint_case_assignee", ["assignee"])
    with op.batch_alter_table("case_slip") as table:
        table.add_column(_text("assignee", 32))
        table.add_column(_text("returned_by", 32))
        table.create_index("ix_case_slip_assignee", ["assignee"])
    with op.batch_alter_table("notification_outbox") as table:
        table.add_column(_text("recipient_user", 32))
        table.create_index("ix_notification_outbox_recipient_user", ["recipient_user"])


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox") as table:
        table.drop_index("ix_notification_outbox_recipient_user")
        table.drop_column("recipient_user")
    with op.batch_alter_table("case_slip") as table:
        table.drop_index("ix_case_slip_assignee")
        table.drop_column("returned_by")
        table.drop_column("assignee")
    with op.batch_alter_table("complaint_case") as table:
        table.drop_index("ix_complaint_case_assignee")
        table.drop_column("sealed_public_reply")
        table.drop_column("assignee")
    with op.batch_alter_table("case_timeline") as table:
        table.drop_column("sealed_note")
        table.drop_column("actor")
