"""Repeat complaints (重复件) and linked cases (关联案件), for the JSON routes and the console
alike: joining a complaint to a case as its repeat, linking two cases later, and the links a
unit may see. The check at registration is api.repeat_check.
"""

import hashlib
from datetime import datetime

from fastapi import HTTPException
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.case_access import NO_CASE
from api.case_rows import CHANNEL_NAMES
from api.registration import checked_routing
from api.repeat_check import registration_of, window_start
from api.schemas.complaints import ComplaintIn, LinkedCaseOut
from api.schemas.repeats import LinkIn, LinksOut, RepeatJoined
from api.security import Staff, field_error
from core.settings import Settings
from domain.orgtree import OrgTree
from store import repeats
from store.models import Case, CaseAccess, Intake
from store.queries import visible_case
from store.sealing import Sealer

NOT_JOINABLE = "该案件已撤回，或办结已超过{days}天，不能并入；请作为新件登记"
NO_OTHER = "本单位可查看的案件中没有这个受理编号"
SAME_CASE = "不能与案件自身关联"


def join_repeat(
    complaint: ComplaintIn,
    staff: Staff,
    case_id: str,
    *,
    session: Session,
    sealer: Sealer,
    settings: Settings,
    tree: OrgTree,
    now: datetime,
    idempotency_key: str | None,
) -> RepeatJoined:
    """Join `complaint` to the case as its repeat: no workflow, no tracking number of its own;
    the answer gives the case's. 404 for a case the unit may not see, 422 for a code the tree
    does not hold, 409 for a case a repeat may no longer join (withdrawn, or answered before
    the window) or a reused key."""
    case = visible_case(session=session, unit_code=staff.unit_code, case_id=case_id)
    if case is None:
        raise HTTPException(404, detail=NO_CASE)
    checked_routing(tree, complaint, staff)  # its codes are the tree's (422 naming them)
    if not repeats.joinable(case, window_start(settings, now)):
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
