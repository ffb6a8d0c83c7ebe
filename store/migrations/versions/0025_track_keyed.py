"""Public tracking: the query code's hash keyed (HMAC under the lookup key), and wrong codes
counted per tracking number in `track_guess`, whether a complaint has the number or not.

The keyed hashes are computed from the sealed query codes that the configured store keys
open; a row they cannot open keeps its plain SHA-256, which store/intake.py still checks and
replaces by the keyed hash at the first right code.

Revision ID: 0025_track_keyed
Revises: 0024_account_requests
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from store.models import AwareDateTime

revision: str = "0025_track_keyed"
down_revision: str | None = "0024_account_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INTAKE = sa.table(
    "complaint_intake",
    sa.column("complaint_id", sa.String),
    sa.column("tracking_no", sa.String),
    sa.column("query_code_hash", sa.String),
    sa.column("sealed_query_code", sa.LargeBinary),
    sa.column("wrong_codes", sa.Integer),
    sa.column("wrong_codes_since", AwareDateTime()),
)


def upgrade() -> None:
    guesses = op.create_table(
        "track_guess",
        sa.Column("tracking_no", sa.String(40), primary_key=True),
        sa.Column("wrong_codes", sa.Integer(), nullable=False),
        sa.Column("wrong_codes_since", AwareDateTime(), nullable=False),
    )
    op.create_index("ix_track_guess_wrong_codes_since", "track_guess", ["wrong_codes_since"])
    connection = op.get_bind()
    counted = connection.execute(
        sa.select(INTAKE.c.tracking_no, INTAKE.c.wrong_codes, INTAKE.c.wrong_codes_since).where(
            INTAKE.c.wrong_codes > 0, INTAKE.c.wrong_codes_since.is_not(None)
        )
    )
    rows = [
        {"tracking_no": number, "wrong_codes": count, "wrong_codes_since": since}
        for number, count, since in counted
    ]
    if rows:
        op.bulk_insert(guesses, rows)
    with op.batch_alter_table("complaint_intake") as table:
        table.drop_column("wrong_codes_since")
        table.drop_column("wrong_codes")
        table.alter_column(
            "query_code_hash", existing_type=sa.String(64), type_=sa.String(80), nullable=False
        )
    _rekey(connection)


def downgrade() -> None:
    # The keyed hashes cannot be turned back into plain ones: cut to the column's old width,
    # they no longer open under the older code (the complainant asks the receiving unit).
    keyed = INTAKE.c.query_code_hash.like("h1:%")
    op.execute(
        sa.update(INTAKE)
        .where(keyed)
        .values(query_code_hash=sa.func.substr(INTAKE.c.query_code_hash, 4))
    )
    with op.batch_alter_table("complaint_intake") as table:
        table.alter_column(
            "query_code_hash", existing_type=sa.String(80), type_=sa.String(64), nullable=False
        )
        table.add_column(sa.Column("wrong_codes", sa.Integer(), nullable=False, server_default="0"))
        table.add_column(sa.Column("wrong_codes_since", AwareDateTime(), nullable=True))
    op.drop_index("ix_track_guess_wrong_codes_since", table_name="track_guess")
    op.drop_table("track_guess")


def _rekey(connection: sa.Connection) -> None:
    """Keyed hashes for the codes the configured store keys open; the others stay plain."""
    from core.settings import get_settings
    from store.intake import code_hash
    from store.sealing import Sealer, binding

    stored = list(
        connection.execute(
            sa.select(INTAKE.c.complaint_id, INTAKE.c.tracking_no, INTAKE.c.sealed_query_code)
        )
    )
    if not stored:
        return
    try:
        settings = get_settings()
        sealer, key = Sealer(settings.store_keys), settings.lookup_key_bytes
    except Exception:  # no usable settings here: each hash is re-keyed at its next right code
        return
    for complaint_id, number, sealed in stored:
        try:
            bound_to = binding("complaint_intake", "sealed_query_code", complaint_id)
            code = str(sealer.open(sealed, bound_to=bound_to))
        except Exception:  # sealed with a key no longer configured
            continue
        connection.execute(
            sa.update(INTAKE)
            .where(INTAKE.c.complaint_id == complaint_id)
            .values(query_code_hash=code_hash(number, code, key))
        )
