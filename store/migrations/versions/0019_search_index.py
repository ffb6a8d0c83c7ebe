"""Finding cases by student name (case_student_name) and by words of the summary
(case_text_token), through keyed hashes only; filled from the sealed registrations that the
configured store keys open, hashed with the configured lookup key.

Revision ID: 0019_search_index
Revises: 0018_people_and_notes
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_search_index"
down_revision: str | None = "0018_people_and_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    student_names = op.create_table(
        "case_student_name",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("name_hash", sa.String(64), primary_key=True),
    )
    op.create_index("ix_case_student_name_name_hash", "case_student_name", ["name_hash"])
    text_tokens = op.create_table(
        "case_text_token",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("token_hash", sa.String(32), primary_key=True),
    )
    op.create_index("ix_case_text_token_token_hash", "case_text_token", ["token_hash"])
    names, tokens = _backfill(op.get_bind())
    if names:
        op.bulk_insert(student_names, names)
    if tokens:
        op.bulk_insert(text_tokens, tokens)


def downgrade() -> None:
    op.drop_index("ix_case_text_token_token_hash", table_name="case_text_token")
    op.drop_table("case_text_token")
    op.drop_index("ix_case_student_name_name_hash", table_name="case_student_name")
    op.drop_table("case_student_name")


Rows = list[dict[str, str]]


def _backfill(connection: sa.Connection) -> tuple[Rows, Rows]:
    """The name and token hashes of the registrations already written, from those the
    configured store keys open; a case whose registration they cannot open is found by name
    and text once rewritten."""
    from core.settings import get_settings
    from store.sealing import Sealer, binding
    from store.search_index import student_name_hash, token_hashes

    cases = sa.table("complaint_case", sa.column("id"), sa.column("sealed"))
    sealed = list(connection.execute(sa.select(cases.c.id, cases.c.sealed)))
    if not any(blob for _, blob in sealed):
        return [], []
    try:
        settings = get_settings()
        sealer, key = Sealer(settings.store_keys), settings.lookup_key_bytes
    except Exception:  # no usable settings here: leave the backfill to a rewrite
        return [], []
    names: Rows = []
    tokens: Rows = []
    for case_id, blob in sealed:
        try:
            bound_to = binding("complaint_case", "sealed", case_id)
            registration = sealer.open(blob, bound_to=bound_to) if blob else {}
            students = [student["name"] for student in registration.get("students", [])]
            name_hashes = {h for name in students if (h := student_name_hash(name, key))}
            text_hashes = token_hashes(registration.get("content", ""), key)
        except Exception:  # sealed with a key no longer configured, or not a registration
            continue
        names += [{"case_id": case_id, "name_hash": h} for h in sorted(name_hashes)]
        tokens += [{"case_id": case_id, "token_hash": h} for h in sorted(text_hashes)]
    return names, tokens
