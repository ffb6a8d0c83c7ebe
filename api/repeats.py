"""Repeat complaints (重复件) and linked cases (关联案件), for the JSON routes and the console
alike: the cases a complaint may repeat (shown before it is saved), joining a complaint to a
case as its repeat, the recorded reason of one registered as new anyway, and linking two
cases later.

A registration that may repeat cases is refused (409, `RepeatsUnacknowledged`) until the
client either joins one or sends the complaint again with a reason and the `matches_key` it
was shown: a key made of the matched cases, so a case matched since then is shown too.
"""

import hashlib
from datetime import datetime, timedelta

from fastapi import HTTPException
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.case_access import NO_CASE
from api.case_rows import CHANNEL_NAMES
from api.schemas.complaints import ComplaintIn, LinkedCaseOut
from api.schemas.repeats import LinkIn, LinksOut, MatchOut, PossibleRepeats, RepeatJoined
from api.security import Staff, field_error
from core.settings import Settings
from domain.ids import InvalidIdentifier
from domain.orgtree import OrgTree, UnknownCodeError
from domain.records import Complainant, Registration, Student
from store import repeats
from store.lookup import Kind, keyed_hash, lookup_hash
from store.models import Case, CaseAccess, Intake
from store.queries import visible_case
from store.sealing import Sealer
from store.search_index import student_name_hash

MAY_REPEAT = "这份投诉可能是已有案件的重复件：请并入其中一件，或说明理由后作为新件登记"
NOT_JOINABLE = "该案件已撤回，或办结已超过{days}天，不能并入；请作为新件登记"
NO_OTHER = "本单位可查看的案件中没有这个受理编号"
SAME_CASE = "不能与案件自身关联"


class RepeatsUnacknowledged(HTTPException):
    """A 409 listing the cases the complaint may repeat (the JSON body is PossibleRepeats)."""

    def __init__(self, found: PossibleRepeats) -> None:
        super().__init__(409, detail=found.model_dump(mode="json"))
        self.found = found


def possible_repeats(
    complaint: ComplaintIn,
    staff: Staff,
    *,
    session: Session,
    settings: Settings,
    tree: OrgTree,
    now: datetime,
) -> PossibleRepeats:
    """The cases `complaint` may repeat, as the caller's unit may know of them."""
    key = settings.lookup_key_bytes
    person = complaint.complainant
    probe = repeats.Probe(
        school_codes=complaint.school_codes,
        phone_hash=_hash_or_none("phone", person.phone, key),
        id_card_hash=_hash_or_none("id_card", person.id_card, key),
        student_name_hashes=[
            h for student in complaint.students if (h := student_name_hash(student.name, key))
        ],
    )
    found = repeats.candidates(
        session=session, probe=probe, unit_code=staff.unit_code, since=_since(settings, now)
    )
    matches = [_match(candidate, staff, tree) for candidate in found]
    ids = ",".join(sorted(candidate.case.id for candidate in found))
    return PossibleRepeats(
        message=MAY_REPEAT, matches=matches, matches_key=keyed_hash("repeats", ids, key)[:32]
    )


def refuse_unacknowledged(found: PossibleRepeats, complaint: ComplaintIn) -> None:
    """Raise RepeatsUnacknowledged unless nothing matched or the complaint gives a reason with
    the key of exactly these matches."""
    acknowledged = complaint.not_repeat
    if found.matches and (acknowledged is None or acknowledged.matches_key != found.matches_key):
        raise RepeatsUnacknowledged(found)


def record_reason(
    found: PossibleRepeats,
    complaint: ComplaintIn,
    staff: Staff,
    *,
    session: Session,
    sealer: Sealer,
    case_id: str,
    now: datetime,
) -> None:
    """On the new case's timeline: it was registered as new despite these matches, and why."""
    if found.matches and complaint.not_repeat is not None:
        repeats.record_not_repeat(
            session=session,
            sealer=sealer,
            case_id=case_id,
            matches=len(found.matches),
            reason=complaint.not_repeat.reason,
            unit_code=staff.unit_code,
            username=staff.username,
            now=now,
        )


def join_repeat(
    complaint: ComplaintIn,
    staff: Staff,
    case_id: str,
    *,
    session: Session,
    sealer: Sealer,
    settings: Settings,
    now: datetime,
    idempotency_key: str | None,
) -> RepeatJoined:
    """Join `complaint` to the case as its repeat: no workflow, no tracking number of its own;
    the answer gives the case's. 404 for a case the unit may not see, 409 for one a repeat
    may no longer join (withdrawn, or answered before the window) or a reused key."""
    case = visible_case(session=session, unit_code=staff.unit_code, case_id=case_id)
    if case is None:
        raise HTTPException(404, detail=NO_CASE)
    if not repeats.joinable(case, _since(settings, now)):
        raise HTTPException(409, detail=NOT_JOINABLE.format(days=settings.repeat_window_days))
    body = complaint.model_dump_json(exclude={"not_repeat"})
    try:
        joined = repeats.join(
            session=session,
            sealer=sealer,
            case=case,
            registration=registration_of(complaint),
            channel=complaint.channel.value,
            channel_name=CHANNEL_NAMES[complaint.channel],
            unit_code=staff.unit_code,
            username=staff.username,
            idempotency_key=idempotency_key,
            request_hash=hashlib.sha256(body.encode()).hexdigest(),
            now=now,
        )
    except repeats.ReusedRepeatKey as exc:
        raise HTTPException(409, detail=str(exc)) from None
    intake = session.get(Intake, case.id)
    code = str(sealer.open_column(intake, "sealed_query_code")) if intake else ""
    return RepeatJoined(
        repeat_id=joined.repeat_id,
        case_id=case.id,
        tracking_no=case.tracking_no,
        query_code=code,
        stage=case.stage,
        handling_unit=case.handling_unit,
        received_at=joined.received_at,
    )


def link_cases(
    case_id: str, body: LinkIn, staff: Staff, *, session: Session, sealer: Sealer, now: datetime
) -> LinksOut:
    """Link the case with the one of `body.tracking_no`; the unit must see both (404 for the
    case, 422 naming `tracking_no` for the other)."""
    case = visible_case(session=session, unit_code=staff.unit_code, case_id=case_id)
    if case is None:
        raise HTTPException(404, detail=NO_CASE)
    other = session.exec(
        select(Case)
        .join(CaseAccess, col(CaseAccess.case_id) == col(Case.id))
        .where(CaseAccess.unit_code == staff.unit_code)
        .where(func.upper(col(Case.tracking_no)) == body.tracking_no.strip().upper())
    ).first()
    if other is None:
        raise field_error(["tracking_no"], [NO_OTHER])
    if other.id == case.id:
        raise field_error(["tracking_no"], [SAME_CASE])
    linked = repeats.link(
        session=session,
        sealer=sealer,
        case=case,
        other=other,
        reason=body.reason,
        unit_code=staff.unit_code,
        username=staff.username,
        now=now,
    )
    return LinksOut(linked=linked, links=linked_cases(session, case.id, staff.unit_code))


def linked_cases(session: Session, case_id: str, unit_code: str) -> list[LinkedCaseOut]:
    """The cases linked to the case; of one the unit may not see, only that it exists."""
    links = repeats.links_of(session, case_id)
    seen = set(
        session.exec(
            select(CaseAccess.case_id).where(
                CaseAccess.unit_code == unit_code,
                col(CaseAccess.case_id).in_([link.linked_id for link, _ in links]),
            )
        )
    )
    return [
        LinkedCaseOut(
            seen=True,
            id=other.id,
            tracking_no=other.tracking_no,
            stage=other.stage,
            outcome=other.outcome,
            linked_at=link.linked_at,
        )
        if other is not None and other.id in seen
        else LinkedCaseOut(seen=False, linked_at=link.linked_at)
        for link, other in links
    ]


def _match(candidate: repeats.Candidate, staff: Staff, tree: OrgTree) -> MatchOut:
    case = candidate.case
    if not candidate.seen:
        return MatchOut(seen=False, ask_unit=_unit_above(tree, staff.unit_code, case))
    return MatchOut(
        seen=True,
        id=case.id,
        tracking_no=case.tracking_no,
        stage=case.stage,
        outcome=case.outcome,
        handling_unit=case.handling_unit,
        received_at=case.received_at,
        answered_at=case.updated_at if case.outcome else None,
        because=list(candidate.because),
    )


def _unit_above(tree: OrgTree, unit_code: str, case: Case) -> str | None:
    """The lowest unit that sees both the caller's unit and the case's handling unit: above
    the caller's, never below it."""
    try:
        mine, theirs = tree.path(unit_code), tree.path(case.handling_unit)
    except UnknownCodeError:
        return None
    common = [a for a, b in zip(mine, theirs, strict=False) if a == b]
    return common[-1] if common else None


def _since(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(days=settings.repeat_window_days)


def _hash_or_none(kind: Kind, value: str, key: bytes) -> str | None:
    try:
        return lookup_hash(kind, value, key) if value else None
    except InvalidIdentifier:
        return None


def registration_of(complaint: ComplaintIn) -> Registration:
    """What the complainant gave, as the store and the workflow keep it."""
    person = complaint.complainant
    return Registration(
        complainant=Complainant(
            name=person.name, phone=person.phone, email=person.email, id_card=person.id_card
        ),
        content=complaint.summary,
        school_codes=complaint.school_codes,
        unit_codes=complaint.unit_codes,
        students=[
            Student(name=s.name, id_card=s.id_card, student_no=s.student_no)
            for s in complaint.students
        ],
    )
