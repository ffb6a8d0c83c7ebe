"""Repeat complaints (重复件): finding the cases a new complaint may repeat, joining a repeat
to a case, recording why a clerk registered one as new anyway, and links between cases.

A complaint may repeat a case about the same school (case_school) whose complainant gave the
same phone or ID card number (the keyed hashes of store.lookup) or which is about a student
of the same name (the keyed name hash of store.search_index): only the blind indexes are
compared, never a clear number or name. The case must be open, or answered (closed 办结, or
referred to a hotline 告知热线) within the window; a withdrawn case answered nothing and is
not offered.

Nothing here reaches the workflows: a repeat changes no step, deadline or slip of the case,
so its record is the store's alone (docs/process.md#repeat-complaints-重复件).
"""

import uuid
from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.records import Outcome, Registration
from store.models import (
    Case,
    CaseAccess,
    CaseLink,
    CaseRepeat,
    CaseSchool,
    CaseStudentName,
    TimelineRow,
)
from store.sealing import Sealer
from store.search_index import cases_of_student

ANSWERED = (Outcome.CLOSED.value, Outcome.REFERRED.value)
MATCHES_SHOWN = 20  # the newest; more than that is a case for search, not a warning


@dataclass(frozen=True)
class Probe:
    """What a new complaint is compared by: keyed hashes only, and its schools."""

    school_codes: Collection[str]
    phone_hash: str | None = None
    id_card_hash: str | None = None
    student_name_hashes: Collection[str] = ()


@dataclass(frozen=True)
class Candidate:
    """A case the complaint may repeat; `seen` whether the asking unit may see the case, and
    `because` what matched ("phone", "id_card", "student")."""

    case: Case
    seen: bool
    because: tuple[str, ...]


def candidates(
    *, session: Session, probe: Probe, unit_code: str, since: datetime
) -> list[Candidate]:
    """The cases `probe` may repeat, newest first: open, or answered at or after `since`."""
    same_person = [
        col(column) == value
        for column, value in (
            (Case.complainant_phone_hash, probe.phone_hash),
            (Case.complainant_id_hash, probe.id_card_hash),
        )
        if value
    ]
    students = [h for h in probe.student_name_hashes if h]
    same_person += [col(Case.id).in_(cases_of_student(h)) for h in students]
    if not probe.school_codes or not same_person:
        return []
    schools = select(CaseSchool.case_id).where(col(CaseSchool.school_code).in_(probe.school_codes))
    current = or_(
        col(Case.outcome) == Outcome.PENDING.value,
        and_(col(Case.outcome).in_(ANSWERED), col(Case.updated_at) >= since),
    )
    query = (
        select(Case)
        .where(col(Case.id).in_(schools), or_(*same_person), current)
        .order_by(col(Case.received_at).desc(), col(Case.id))
        .limit(MATCHES_SHOWN)
    )
    found = list(session.exec(query))
    seen = _seen(session, unit_code, [case.id for case in found])
    by_student = _about_students(session, [case.id for case in found], students)
    return [
        Candidate(case, case.id in seen, _because(case, probe, case.id in by_student))
        for case in found
    ]


def joinable(case: Case, since: datetime) -> bool:
    """Whether a repeat may join the case: open, or answered at or after `since`."""
    if case.outcome == Outcome.PENDING.value:
        return True
    return case.outcome in ANSWERED and case.updated_at >= since


def _seen(session: Session, unit_code: str, case_ids: list[str]) -> set[str]:
    query = select(CaseAccess.case_id).where(
        CaseAccess.unit_code == unit_code, col(CaseAccess.case_id).in_(case_ids)
    )
    return set(session.exec(query))


def _about_students(session: Session, case_ids: list[str], hashes: list[str]) -> set[str]:
    if not hashes or not case_ids:
        return set()
    query = select(CaseStudentName.case_id).where(
        col(CaseStudentName.case_id).in_(case_ids), col(CaseStudentName.name_hash).in_(hashes)
    )
    return set(session.exec(query))


def _because(case: Case, probe: Probe, about_student: bool) -> tuple[str, ...]:
    found = []
    if probe.phone_hash and case.complainant_phone_hash == probe.phone_hash:
        found.append("phone")
    if probe.id_card_hash and case.complainant_id_hash == probe.id_card_hash:
        found.append("id_card")
    if about_student:
        found.append("student")
    return tuple(found)


# ---------------------------------------------------------------- writing


class ReusedRepeatKey(ValueError):
    """The Idempotency-Key was used before for another repeat."""


@dataclass(frozen=True)
class JoinedRepeat:
    repeat_id: str
    case_id: str
    received_at: datetime
    again: bool  # a retried request found the repeat it joined before


def join(
    *,
    session: Session,
    sealer: Sealer,
    case: Case,
    registration: Registration,
    channel: str,
    channel_name: str,
    unit_code: str,
    username: str,
    idempotency_key: str | None,
    request_hash: str,
    now: datetime,
) -> JoinedRepeat:
    """Join a repeat complaint to `case`, committed: the repeat's registration sealed, and an
    entry of the case's timeline (the channel, the receiving unit and clerk; what the
    complainant said as its sealed note). The same key from the same user for the same
    request joins once. Raises ReusedRepeatKey when the key was used for another request."""
    if idempotency_key is not None:
        earlier = _repeat_by_key(session, username, idempotency_key)
        if earlier is not None:
            return _again(earlier, request_hash)
    repeat = CaseRepeat(
        id=f"r-{uuid.uuid4().hex}",
        case_id=case.id,
        channel=channel,
        receiving_unit=unit_code,
        registered_by=username,
        received_at=now,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        sealed=b"",
    )
    sealer.seal_column(repeat, "sealed", asdict(registration))
    entry = TimelineRow(
        case_id=case.id,
        key=f"repeat-{repeat.id}",
        at=now,
        kind="repeat",
        unit=unit_code,
        text=f"收到重复件（{channel_name}），并入本案办理",
        actor=username,
    )
    sealer.seal_column(entry, "sealed_note", registration.content)
    session.add(repeat)
    session.add(entry)
    try:
        session.commit()
    except IntegrityError:  # the same key raced in from a parallel retry
        session.rollback()
        earlier = _repeat_by_key(session, username, idempotency_key or "")
        if earlier is None:
            raise
        return _again(earlier, request_hash)
    return JoinedRepeat(repeat.id, case.id, now, again=False)


def _repeat_by_key(session: Session, username: str, key: str) -> CaseRepeat | None:
    query = select(CaseRepeat).where(
        CaseRepeat.registered_by == username, CaseRepeat.idempotency_key == key
    )
    return session.exec(query).first()


def _again(earlier: CaseRepeat, request_hash: str) -> JoinedRepeat:
    if earlier.request_hash != request_hash:
        raise ReusedRepeatKey("Idempotency-Key 已用于另一份投诉，请换一个新的键")
    return JoinedRepeat(earlier.id, earlier.case_id, earlier.received_at, again=True)


def record_not_repeat(
    *,
    session: Session,
    sealer: Sealer,
    case_id: str,
    matches: int,
    reason: str,
    unit_code: str,
    username: str,
    now: datetime,
) -> None:
    """Record on the new case's timeline that the clerk was shown `matches` cases it may repeat
    and registered it as new, with the reason (sealed); once per case. The case row may not be
    written yet: the timeline is keyed by the case id alone."""
    key = "registered-not-repeat"
    if session.get(TimelineRow, (case_id, key)) is not None:
        return
    entry = TimelineRow(
        case_id=case_id,
        key=key,
        at=now,
        kind="not_repeat",
        unit=unit_code,
        text=f"登记时提示可能重复的案件 {matches} 件，受理员作为新件登记",
        actor=username,
    )
    sealer.seal_column(entry, "sealed_note", reason)
    session.add(entry)
    session.commit()


def link(
    *,
    session: Session,
    sealer: Sealer,
    case: Case,
    other: Case,
    reason: str,
    unit_code: str,
    username: str,
    now: datetime,
) -> bool:
    """Link two cases, committed: a row each way and an entry on each timeline, the reason
    sealed. Whether they were linked now (False: they
    were already)."""
    if session.get(CaseLink, (case.id, other.id)) is not None:
        return False
    for this, that in ((case, other), (other, case)):
        session.add(
            CaseLink(
                case_id=this.id,
                linked_id=that.id,
                unit=unit_code,
                linked_by=username,
                linked_at=now,
            )
        )
        entry = TimelineRow(
            case_id=this.id,
            key=f"linked-{that.id}",
            at=now,
            kind="linked",
            unit=unit_code,
            # No tracking number: a unit that sees this case may not see the other.
            text="与另一案件关联（见“关联案件”）",
            actor=username,
        )
        if reason:
            sealer.seal_column(entry, "sealed_note", reason)
        session.add(entry)
    try:
        session.commit()
    except IntegrityError:  # linked at the same moment by someone else
        session.rollback()
        return False
    return True


def links_of(session: Session, case_id: str) -> list[tuple[CaseLink, Case | None]]:
    """The cases linked to the case, oldest link first, each with its case row."""
    query = (
        select(CaseLink, Case)
        .join(Case, col(Case.id) == col(CaseLink.linked_id), isouter=True)
        .where(CaseLink.case_id == case_id)
        .order_by(col(CaseLink.linked_at), col(CaseLink.linked_id))
    )
    return [(row, linked) for row, linked in session.exec(query)]


def repeats_of(session: Session, case_id: str) -> int:
    """How many repeat complaints joined the case."""
    query = select(func.count()).select_from(CaseRepeat).where(CaseRepeat.case_id == case_id)
    return session.exec(query).one()
