"""Re-sealing the store under the active key (`xueji keys rotate`), so an old key can be retired.

Every sealed column is listed in `SEALED_COLUMNS` (a test checks that none is missing). A value
not yet bound to its row (written before the binding) or sealed under another key than the
active one is opened and sealed again, bound, under the active key. Rows are taken in key
order, a batch at a time, each batch committed on its own: an interrupted run loses at most one
batch's work and a second run only does what is left (values already current are counted and
left alone). A row that changes while the run holds it is left to its writer, which seals it
the current way anyway. Nothing is logged but counts and row keys (no personal data in keys).

The look-up hashes (phone and ID card numbers, students' names, summary tokens, and the
public tracking's query codes) are computed again under the configured look-up key
(`rehash_lookups`), so the look-up key, or its algorithm (HMAC-SHA256 or HMAC-SM3), can change
too.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import SQLModel, col, select

from store.cases import rehash_case
from store.db import session_scope
from store.intake import code_hash
from store.models import (
    Attachment,
    CampaignUnit,
    Case,
    CaseRepeat,
    CaseSlip,
    Intake,
    OutboxRow,
    StaffUser,
    TimelineRow,
)
from store.sealing import Sealer, binding

# (table model, column): every column that holds a value sealed by store/sealing.
SEALED_COLUMNS: tuple[tuple[type[SQLModel], str], ...] = (
    (Case, "sealed"),
    (Case, "sealed_public_reply"),
    (CaseSlip, "sealed_instructions"),
    (CaseSlip, "sealed_response"),
    (TimelineRow, "sealed_note"),
    (OutboxRow, "sealed_text"),
    (Intake, "sealed_query_code"),
    (CampaignUnit, "sealed_report"),
    (CaseRepeat, "sealed"),
    (StaffUser, "totp_secret"),
    (Attachment, "sealed_name"),
)


@dataclass
class ColumnReport:
    """What a run did to one column."""

    table: str
    column: str
    resealed: int = 0  # opened and sealed again, bound, under the active key
    current: int = 0  # already bound under the active key: left as it was
    changed_meanwhile: int = 0  # rewritten by the application during the run: left to it
    failed: list[str] = field(default_factory=list)  # row keys the configured keys cannot open


def rotate(
    engine: Engine,
    sealer: Sealer,
    *,
    batch_size: int = 500,
    progress: Callable[[ColumnReport], None] | None = None,
) -> list[ColumnReport]:
    """Re-seal every sealed value of the store that is not bound under the active key; one
    report per column. `progress` is called after each committed batch."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    return [
        _rotate_column(engine, sealer, model, column, batch_size, progress)
        for model, column in SEALED_COLUMNS
    ]


def _rotate_column(
    engine: Engine,
    sealer: Sealer,
    model: type[SQLModel],
    column: str,
    batch_size: int,
    progress: Callable[[ColumnReport], None] | None,
) -> ColumnReport:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    keys = list(table.primary_key.columns)
    value = table.c[column]
    report = ColumnReport(table.name, column)
    after: tuple[Any, ...] | None = None
    while True:
        query = sa.select(*keys, value).where(value.is_not(None))
        if after is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*after))
        with engine.connect() as connection:
            rows = connection.execute(query.order_by(*keys).limit(batch_size)).all()
        # Written in a transaction of its own, not the read's: each update checks that the
        # row still holds what was read, so a SQLite snapshot gone stale cannot fail it.
        with engine.begin() as connection:
            for row in rows:
                key, blob = tuple(row[: len(keys)]), row[len(keys)]
                _reseal(connection, sealer, table, keys, value, key, blob, report)
        if not rows:
            return report
        after = tuple(rows[-1][: len(keys)])
        if progress is not None:
            progress(report)


def _reseal(
    connection: sa.Connection,
    sealer: Sealer,
    table: sa.Table,
    keys: list[sa.Column[Any]],
    value: sa.Column[Any],
    key: tuple[Any, ...],
    blob: bytes,
    report: ColumnReport,
) -> None:
    bound_to = binding(table.name, value.name, *key)
    try:
        plain = sealer.open(blob, bound_to=bound_to)
    except ValueError:  # a key no longer configured, altered data, or moved from elsewhere
        report.failed.append("/".join(str(part) for part in key))
        return
    if sealer.is_current(blob):
        report.current += 1
        return
    resealed = sealer.seal(plain, bound_to=bound_to)
    # Only if the row still holds what was read: a concurrent write wins (it is sealed bound).
    where = [part == wanted for part, wanted in zip(keys, key, strict=True)]
    done = connection.execute(
        sa.update(table).where(*where, value == blob).values({value.name: resealed})
    )
    if done.rowcount == 1:
        report.resealed += 1
    else:
        report.changed_meanwhile += 1


@dataclass
class LookupReport:
    """What a run did to the look-up hashes."""

    cases: int = 0  # cases whose registration was opened and hashed again
    changed: int = 0  # of which some hash changed (a new look-up key or algorithm)
    failed: list[str] = field(default_factory=list)  # case ids whose registration did not open
    codes: int = 0  # query codes (public tracking) opened and hashed again
    codes_changed: int = 0  # of which the hash changed
    codes_failed: list[str] = field(default_factory=list)  # complaint ids whose code did not open


def rehash_lookups(
    engine: Engine,
    sealer: Sealer,
    lookup_key: bytes,
    *,
    batch_size: int = 500,
    progress: Callable[[LookupReport], None] | None = None,
) -> LookupReport:
    """Compute every case's look-up hashes again under `lookup_key`, a batch of cases per
    committed transaction; cases whose hashes are already right are left as they are."""
    report = LookupReport()
    after = ""
    while True:
        with engine.connect() as connection:
            query = sa.select(Case.__table__.c.id).where(  # type: ignore[attr-defined]
                Case.__table__.c.sealed.is_not(None),  # type: ignore[attr-defined]
                Case.__table__.c.id > after,  # type: ignore[attr-defined]
            )
            ids = list(connection.execute(query.order_by("id").limit(batch_size)).scalars())
        if not ids:
            _rehash_query_codes(engine, sealer, lookup_key, report, batch_size)
            return report
        with session_scope(engine) as session:
            for case_id in ids:
                try:
                    changed = rehash_case(session, case_id, sealer, lookup_key)
                except ValueError:  # a key no longer configured, or altered data
                    report.failed.append(case_id)
                    continue
                report.cases += 1
                report.changed += changed
        after = ids[-1]
        if progress is not None:
            progress(report)


def _rehash_query_codes(
    engine: Engine, sealer: Sealer, lookup_key: bytes, report: LookupReport, batch_size: int
) -> None:
    """The public tracking's query-code hashes again under `lookup_key` (a complainant's code
    would no longer match under a new key), a batch of registrations per transaction."""
    after = ""
    while True:
        with session_scope(engine) as session:
            intakes = session.exec(
                select(Intake)
                .where(col(Intake.complaint_id) > after)
                .order_by(col(Intake.complaint_id))
                .limit(batch_size)
            ).all()
            if not intakes:
                return
            for intake in intakes:
                try:
                    code = str(sealer.open_column(intake, "sealed_query_code"))
                except ValueError:  # a key no longer configured, or altered data
                    report.codes_failed.append(intake.complaint_id)
                    continue
                wanted = code_hash(intake.tracking_no, code, lookup_key)
                report.codes += 1
                if intake.query_code_hash != wanted:
                    intake.query_code_hash = wanted
                    report.codes_changed += 1
            after = intakes[-1].complaint_id
