"""The check of a registration for repeat complaints (重复件), for the JSON route and the
console alike: the cases a complaint may repeat (shown before it is saved), the refusal of a
registration that does not say why it is new, and the recorded reason of one registered as
new anyway.

A registration that may repeat cases is refused (409, `RepeatsUnacknowledged`) until the
client either joins one (api.repeats) or sends the complaint again with a reason and the
`matches_key` it was shown: a key made of the matched cases, so a case matched since then is
shown too.
"""

from datetime import datetime, timedelta

from fastapi import HTTPException
from sqlmodel import Session

from api.schemas.complaints import ComplaintIn
from api.schemas.repeats import MatchOut, PossibleRepeats
from api.security import Staff
from core.settings import Settings
from domain.ids import InvalidIdentifier
from domain.orgtree import OrgTree, UnknownCodeError
from domain.records import Complainant, Registration, Student
from store import repeats
from store.lookup import Kind, keyed_hash, lookup_hash
from store.models import Case
from store.sealing import Sealer
from store.search_index import student_name_hash

MAY_REPEAT = "这份投诉可能是已有案件的重复件：请并入其中一件，或说明理由后作为新件登记"


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
        session=session, probe=probe, unit_code=staff.unit_code, since=window_start(settings, now)
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


def window_start(settings: Settings, now: datetime) -> datetime:
    """The earliest answer a repeat may still join (`repeat_window_days` before `now`)."""
    return now - timedelta(days=settings.repeat_window_days)


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


def _hash_or_none(kind: Kind, value: str, key: bytes) -> str | None:
    try:
        return lookup_hash(kind, value, key) if value else None
    except InvalidIdentifier:
        return None
