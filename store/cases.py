"""Writing and reading the cases (the read model the API lists from).

`apply_record` is idempotent: the same record applied twice leaves the same rows, so a retried
activity never makes a second slip, timeline entry or notification, nor counts the case twice
in the oversight summaries (store/summary.py), which it keeps in the same transaction.
"""

import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from domain.ids import InvalidIdentifier, mask_phone, normalize_phone
from domain.orgtree import is_school_code
from domain.process import escalation_recipients
from domain.records import CaseRecord, Complainant, Notice, Registration, Student
from store import summary
from store.lookup import Kind, lookup_hash
from store.models import (
    Case,
    CaseAccess,
    CaseClock,
    CaseSchool,
    CaseSlip,
    OutboxRow,
    TimelineRow,
)
from store.sealing import Sealer
from store.search_index import index_registration
from store.tree import TreeRows


class InvalidCaseRecord(ValueError):
    """A record the store cannot take as it is; retrying it cannot help."""


def apply_record(
    session: Session, record: CaseRecord, sealer: Sealer, now: datetime, *, lookup_key: bytes
) -> None:
    """Upsert the case, its clocks and slips; add timeline entries and outbox rows once.

    `lookup_key` keys the hashes that find the case by the complainant's phone or ID card,
    by a student's name and by words of the summary (store.search_index).
    The store's writers take turns, so a record holds the turn for as short as it can: the
    case's clocks and slips are read once, in one query each, and serve the upserts, the
    access rule and the summaries before and after (from the rows as the session holds them,
    not read again); the tree's rows are read once each in a transaction (`TreeRows`).

    Raises InvalidCaseRecord for a registration of a case that was never written.
    """
    case_id = record.complaint_id
    _take_turns(session, case_id)
    tree = TreeRows.of(session)
    counts = record.case is not None or bool(record.clocks) or bool(record.slips)
    with session.no_autoflush:
        case = session.get(Case, case_id)
        clocks = _held(session, CaseClock, case_id, "key") if counts else {}
        slips = _held(session, CaseSlip, case_id, "slip_id") if counts else {}
        counted = summary.of_case(case, clocks.values(), slips.values(), tree) if counts else None
        if record.case is not None:
            snapshot = asdict(record.case)
            public_reply = snapshot.pop("public_reply")
            case = case or Case(id=case_id, **snapshot)
            for name, value in snapshot.items():
                setattr(case, name, value)
            if public_reply:
                sealer.seal_column(case, "sealed_public_reply", public_reply)
            session.add(case)
        if record.registration is not None:
            if case is None:
                raise InvalidCaseRecord(f"案件 {case_id} 尚无案件信息，无法保存投诉人信息")
            _seal_registration(case, record.registration, sealer, lookup_key)
            _add_schools(session, case_id, record.registration.school_codes)
            index_registration(session, case_id, record.registration, lookup_key)
        _upsert_steps(session, record, clocks)
        _upsert_slips(session, record, sealer, slips)
    if case is not None and (record.case is not None or record.slips):
        session.flush()
        refresh_access(session=session, case=case, slips=slips.values(), tree=tree)
    with session.no_autoflush:
        _add_timeline(session, record, sealer)
        _add_notices(session, record, sealer, now, tree)
    session.flush()
    if counted is not None:
        # The oversight summaries move by what this record changed of the case's counts.
        after = summary.of_case(case, clocks.values(), slips.values(), tree)
        summary.add(session, summary.difference(after, counted))


def _upsert_steps(session: Session, record: CaseRecord, held: dict[str, CaseClock]) -> None:
    """Upsert the record's clocks into `held` (the case's clock rows by key)."""
    case_id = record.complaint_id
    slip_clocks = [entry.slip.clock for entry in record.slips if entry.slip.clock is not None]
    clocks = {clock.key: clock for clock in [*record.clocks, *slip_clocks]}
    for key, clock in clocks.items():
        values = asdict(clock)
        values.pop("working_days")
        step = held.get(key) or CaseClock(case_id=case_id, **values)
        held[key] = step
        for name, value in values.items():
            setattr(step, name, value)
        session.add(step)


def _upsert_slips(
    session: Session, record: CaseRecord, sealer: Sealer, held: dict[str, CaseSlip]
) -> None:
    """Upsert the record's slips into `held` (the case's slip rows by id)."""
    case_id = record.complaint_id
    for entry in record.slips:
        slip = entry.slip
        values: dict[str, Any] = {
            "kind": slip.kind.value,
            "round": slip.round,
            "issuer": slip.issuer,
            "addressee": slip.addressee,
            "route": json.dumps(slip.route),
            "hops": json.dumps([_hop(h) for h in slip.hops]),
            "status": slip.status,
            "sent_at": slip.sent_at,
            "returned_at": slip.returned_at,
            "assignee": slip.assignee,
            "returned_by": slip.returned_by,
        }
        row = held.get(slip.slip_id) or CaseSlip(case_id=case_id, slip_id=slip.slip_id, **values)
        held[slip.slip_id] = row
        for name, value in values.items():
            setattr(row, name, value)
        if entry.instructions is not None:
            sealer.seal_column(row, "sealed_instructions", entry.instructions)
        if entry.response is not None:
            sealer.seal_column(row, "sealed_response", entry.response)
        session.add(row)


_Row = TypeVar("_Row", CaseClock, CaseSlip, CaseSchool)


def _held(
    session: Session, model: type[_Row], case_id: str, key: str, wanted: list[str] | None = None
) -> dict[str, _Row]:
    """The case's rows of `model` (those whose `key` column is among `wanted`, if given), by
    key: one query."""
    query = select(model).where(model.case_id == case_id)
    if wanted is not None:
        query = query.where(col(getattr(model, key)).in_(wanted))
    return {getattr(row, key): row for row in session.exec(query)}


def _add_timeline(session: Session, record: CaseRecord, sealer: Sealer) -> None:
    """The record's timeline entries the case does not have yet, what the actor wrote
    sealed."""
    case_id = record.complaint_id
    keys = [item.key for item in record.timeline]
    if not keys:
        return
    written = set(
        session.exec(
            select(TimelineRow.key)
            .where(TimelineRow.case_id == case_id)
            .where(col(TimelineRow.key).in_(keys))
        )
    )
    for item in record.timeline:
        if item.key not in written:
            written.add(item.key)
            values = asdict(item)
            note = values.pop("note")
            row = TimelineRow(case_id=case_id, **values)
            if note:
                sealer.seal_column(row, "sealed_note", note)
            session.add(row)


def _add_notices(
    session: Session, record: CaseRecord, sealer: Sealer, now: datetime, tree: TreeRows
) -> None:
    """An outbox row for each recipient of each notice, once, and one for the person in
    charge the notice names (read in their inbox)."""
    case_id = record.complaint_id
    add_to_outbox(
        session,
        [
            OutboxRow(
                key=f"{case_id}:{notice.key}:@{notice.person}",
                case_id=case_id,
                kind=notice.kind,
                recipient_unit=notice.unit,
                recipient_user=notice.person,
                text=notice.text,
                created_at=now,
            )
            for notice in record.notices
            if notice.person and not notice.to_complainant
        ]
        + [
            _notice_row(case_id, notice, recipient, sealer, now)
            for notice in record.notices
            for recipient in _recipients(tree, notice)
        ],
    )


def _notice_row(
    case_id: str, notice: Notice, recipient: str, sealer: Sealer, now: datetime
) -> OutboxRow:
    row = OutboxRow(
        key=f"{case_id}:{notice.key}:{recipient or 'complainant'}",
        case_id=case_id,
        kind=notice.kind,
        recipient_unit=recipient,
        to_complainant=notice.to_complainant,
        # What the complainant is told may quote them: sealed, never in clear.
        text="" if notice.to_complainant else notice.text,
        channel=notice.channel or None,  # the one asked for; else delivery chooses
        created_at=now,
    )
    if notice.to_complainant:
        sealer.seal_column(row, "sealed_text", notice.text)
    return row


def add_to_outbox(session: Session, rows: list[OutboxRow]) -> None:
    """Add the rows whose keys the outbox does not hold yet, the first of a key in `rows`
    winning: a record applied again queues no notice twice."""
    if not rows:
        return
    keys = [row.key for row in rows]
    queued = set(session.exec(select(OutboxRow.key).where(col(OutboxRow.key).in_(keys))))
    for row in rows:
        if row.key not in queued:
            queued.add(row.key)
            session.add(row)


def _take_turns(session: Session, case_id: str) -> None:
    """Lock the case row before reading anything of it.

    The complaint workflow and its slips record the same case at the same moment; each record
    rewrites the access list from the slips it can see, so a record that read before another
    committed would drop the units that one added. An UPDATE that changes nothing is a write
    lock on both stores (PostgreSQL's row lock; SQLite's write transaction and the engine's
    writer queue), so the records take turns and each reads what the previous one committed.
    """
    session.connection().execute(
        update(Case).where(col(Case.id) == case_id).values(updated_at=Case.updated_at)
    )


def _seal_registration(
    case: Case, registration: Registration, sealer: Sealer, lookup_key: bytes
) -> None:
    """The complainant's data sealed on the case row, with a masked phone for lists and
    keyed hashes of the phone and ID card numbers for look-up."""
    sealer.seal_column(case, "sealed", asdict(registration))
    complainant = registration.complainant
    try:
        case.phone_masked = mask_phone(normalize_phone(complainant.phone))
    except InvalidIdentifier:
        case.phone_masked = ""
    case.complainant_phone_hash = _lookup_hash_or_none("phone", complainant.phone, lookup_key)
    case.complainant_id_hash = _lookup_hash_or_none("id_card", complainant.id_card, lookup_key)


def rehash_case(session: Session, case_id: str, sealer: Sealer, lookup_key: bytes) -> bool:
    """Compute the case's look-up hashes (phone, ID card, student names, summary tokens)
    again under `lookup_key`, from its sealed registration (`xueji keys rotate`, after the
    look-up key or its algorithm changed). Whether any changed; DecryptionError when the
    registration cannot be opened."""
    _take_turns(session, case_id)
    case = session.get(Case, case_id)
    found = registration(session, case_id, sealer)
    if case is None or found is None:
        return False
    before = (case.complainant_phone_hash, case.complainant_id_hash)
    _seal_registration(case, found, sealer, lookup_key)
    changed = (case.complainant_phone_hash, case.complainant_id_hash) != before
    session.add(case)
    return index_registration(session, case_id, found, lookup_key) or changed


def _add_schools(session: Session, case_id: str, school_codes: list[str]) -> None:
    """The schools the complaint is about, in the clear (no personal data), for look-up."""
    held = _held(session, CaseSchool, case_id, "school_code", school_codes)
    for code in dict.fromkeys(school_codes):
        if code not in held:
            session.add(CaseSchool(case_id=case_id, school_code=code))


def _lookup_hash_or_none(kind: Kind, value: str, key: bytes) -> str | None:
    try:
        return lookup_hash(kind, value, key)
    except InvalidIdentifier:
        return None  # no number, or not a valid one: nothing to find the case by


def refresh_access(
    *, session: Session, case: Case, slips: Iterable[CaseSlip], tree: TreeRows
) -> None:
    """Rewrite which units may see the case: the handling unit and its ancestors, every bureau
    on a slip's route (DESIGN §7), and the unit that registered it when it passed the case up
    to a unit above it (a county still answers the complainant's calls about a case it
    transferred to its city; a sibling's case stays unseen). A school at the end of a route
    sees only its slip, never the case. A ruling that moves the case moves its access too.
    `slips` are all of the case's slips."""
    wanted = set(unit_path(tree, case.handling_unit))
    if case.handling_unit in unit_path(tree, case.receiving_unit):
        wanted.add(case.receiving_unit)
    for slip in slips:
        wanted.update(code for code in json.loads(slip.route) if not is_school_code(code))
    held = session.exec(select(CaseAccess).where(CaseAccess.case_id == case.id)).all()
    for row in held:
        if row.unit_code not in wanted:
            session.delete(row)
        elif row.received_at != case.received_at:
            row.received_at = case.received_at
    for unit_code in wanted - {row.unit_code for row in held}:
        session.add(CaseAccess(case_id=case.id, unit_code=unit_code, received_at=case.received_at))


def _hop(hop: Any) -> dict[str, str]:
    return {"from_unit": hop.from_unit, "to_unit": hop.to_unit, "at": hop.at.isoformat()}


def _recipients(tree: TreeRows, notice: Notice) -> list[str]:
    """The unit and `climb` superiors above it; [""] for the complainant."""
    if notice.to_complainant:
        return [""]
    return escalation_recipients(unit_path(tree, notice.unit), notice.climb)


def unit_path(tree: TreeRows, code: str) -> list[str]:
    """Root-to-unit codes by the stored tree; a school's path ends with the school."""
    if len(code) == 10:
        school = tree.school(code)
        return [*(tree.chain(school.unit_code) if school else []), code]
    return tree.path(code)


# ---------------------------------------------------------------- reading


def cases_by_complainant(
    *, session: Session, kind: Kind, value: str, lookup_key: bytes
) -> list[Case]:
    """The cases whose complainant gave this phone or ID card number, in any spelling.

    Raises InvalidIdentifier when `value` is not a valid number of its kind.
    """
    digest = lookup_hash(kind, value, lookup_key)
    column = Case.complainant_phone_hash if kind == "phone" else Case.complainant_id_hash
    query = select(Case).where(column == digest).order_by(col(Case.received_at))
    return list(session.exec(query))


def get_case(session: Session, case_id: str) -> Case | None:
    return session.get(Case, case_id)


def timeline(session: Session, case_id: str) -> list[TimelineRow]:
    """The case's timeline in the order things happened: by time, and entries of the same
    instant (written in one workflow task) in the order the workflow numbered them: "t9"
    before "t10", a slip's hop ("V1:sent:0") before its receipt ("V1:received"), the answer
    ("V1:answered") before the hops back; the case's own entries ("t…") before a slip's."""
    query = select(TimelineRow).where(TimelineRow.case_id == case_id)
    order = (col(TimelineRow.at), func.length(TimelineRow.key), col(TimelineRow.key))
    return list(session.exec(query.order_by(*order)))


def slips(session: Session, case_id: str) -> list[CaseSlip]:
    query = select(CaseSlip).where(CaseSlip.case_id == case_id).order_by(col(CaseSlip.sent_at))
    return list(session.exec(query))


def outbox(session: Session, case_id: str) -> list[OutboxRow]:
    query = select(OutboxRow).where(OutboxRow.case_id == case_id).order_by(col(OutboxRow.key))
    return list(session.exec(query))


def registration(session: Session, case_id: str, sealer: Sealer) -> Registration | None:
    """The complainant's data, unsealed: for the handling unit's staff only."""
    case = session.get(Case, case_id)
    if case is None or case.sealed is None:
        return None
    data = sealer.open_column(case, "sealed")
    data["complainant"] = Complainant(**data["complainant"])
    data["students"] = [Student(**student) for student in data.get("students", [])]
    return Registration(**data)
