"""Complaints: register (受理), list and read what the caller's unit may see.

Writes go to the workflow; reads come from the store. A case the caller's unit may not see
is 404, the same answer as a case that does not exist.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response
from fastapi.responses import JSONResponse

from api import registration, repeats
from api.audit_trail import PERSONAL_READ
from api.case_access import NO_CASE
from api.case_reading import case_detail, pending_case, personal_data
from api.case_search import CaseQueryDep, case_filter, listed_cases, refuse_unknown_parameters
from api.deps import (
    CalendarDep,
    CaseStaffDep,
    ClockDep,
    Offset,
    SealerDep,
    SessionDep,
    SettingsDep,
    SlipStaffDep,
    TemporalDep,
    TreeDep,
)
from api.schemas.complaints import (
    CaseDetail,
    CaseList,
    CasePending,
    ComplaintCreated,
    ComplaintIn,
    PersonalData,
)
from api.schemas.repeats import LinkIn, LinksOut, PossibleRepeatsAnswer, RepeatJoined
from store.intake import take_ticket
from store.queries import visible_case

router = APIRouter(prefix="/api/complaints", tags=["complaints"])


@router.post(
    "",
    status_code=201,
    response_model=ComplaintCreated,
    responses={409: {"model": PossibleRepeatsAnswer, "description": "may repeat cases"}},
)
async def register(
    complaint: ComplaintIn,
    staff: CaseStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    settings: SettingsDep,
    temporal: TemporalDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> ComplaintCreated:
    """Register a complaint; it is routed to its handling unit at once, and the answer gives
    its route and first deadline. The same `Idempotency-Key` from the same user returns the
    complaint registered the first time. A complaint that may repeat open or recently answered
    cases (same school, and the same complainant's phone or ID card or a student of the same
    name) is refused (409, `detail` listing them) until it is joined to one (POST
    /api/complaints/{id}/repeats) or sent again with `not_repeat` (a reason and the answer's
    `matches_key`)."""
    return await registration.register(
        complaint,
        staff,
        session=session,
        sealer=sealer,
        settings=settings,
        temporal=temporal,
        tree=tree(),
        calendar=calendar(),
        now=clock(),
        idempotency_key=idempotency_key,
        issue_ticket=take_ticket,
    )


@router.post("/{complaint_id}/repeats", status_code=201, response_model=RepeatJoined)
def join_repeat(
    complaint_id: Annotated[str, Path(max_length=64)],
    complaint: ComplaintIn,
    staff: CaseStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    settings: SettingsDep,
    tree: TreeDep,
    clock: ClockDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> RepeatJoined:
    """Join a complaint to the case as a repeat (重复件): it joins the case's record (a timeline
    entry with the channel and the clerk), starts no workflow, and the answer gives the case's
    tracking number and query code for the complainant. 404 for a case the caller's unit may
    not see; 409 for a withdrawn case or one answered before the window."""
    return repeats.join_repeat(
        complaint,
        staff,
        complaint_id,
        session=session,
        sealer=sealer,
        settings=settings,
        tree=tree(),
        now=clock(),
        idempotency_key=idempotency_key,
    )


@router.post("/{complaint_id}/links", status_code=201, response_model=LinksOut)
def link_case(
    complaint_id: Annotated[str, Path(max_length=64)],
    body: LinkIn,
    staff: CaseStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    clock: ClockDep,
) -> LinksOut:
    """Link the case with another about the same matter (关联案件), by its tracking number; the
    caller's unit must see both. Both case pages list the link; a unit that sees only one of
    them sees that a link exists, not the other case."""
    now = clock()
    return repeats.link_cases(complaint_id, body, staff, session=session, sealer=sealer, now=now)


@router.get("", response_model=CaseList, dependencies=[Depends(refuse_unknown_parameters)])
def list_complaints(
    staff: CaseStaffDep,
    session: SessionDep,
    settings: SettingsDep,
    sealer: SealerDep,
    query: CaseQueryDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CaseList:
    """The cases the caller's unit may see (its own, its subordinates', those its slips pass
    through), newest first; the filters only narrow that, never widen it. `student_name` and
    `q` (words of the summary) are found through keyed hashes, never the clear text. A
    school's staff are refused (403) and pointed to their slips."""
    filters = case_filter(query, settings.lookup_key_bytes)
    return listed_cases(session, staff.unit_code, filters, sealer, offset=offset, limit=limit)


@router.get(
    "/{complaint_id}",
    dependencies=[PERSONAL_READ],
    response_model=CaseDetail,
    responses={202: {"model": CasePending, "description": "registered, not yet written"}},
)
def get_complaint(
    complaint_id: Annotated[str, Path(max_length=64)],
    staff: SlipStaffDep,
    session: SessionDep,
    sealer: SealerDep,
) -> CaseDetail | JSONResponse:
    """One case: its steps with their deadlines, slips with their hops, and timeline. A case
    the caller's unit has just registered answers 202 until its first step is written. A
    school's staff, who know the case's id from a slip, get 404 like any unseen case: a
    school sees its slips (/api/slips), never the case."""
    case = visible_case(session=session, unit_code=staff.unit_code, case_id=complaint_id)
    if case is not None:
        return case_detail(session, case, sealer, staff.unit_code)
    pending = pending_case(session, staff.unit_code, complaint_id)
    if pending is None:
        raise HTTPException(404, detail=NO_CASE)
    return JSONResponse(pending.model_dump(mode="json"), status_code=202)


@router.get(
    "/{complaint_id}/personal",
    dependencies=[PERSONAL_READ],
    response_model=PersonalData,
    responses={403: {}, 404: {}},
)
def get_personal_data(
    complaint_id: Annotated[str, Path(max_length=64)],
    staff: CaseStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    response: Response,
) -> PersonalData:
    """The complainant's and students' numbers in full (the detail masks them), for the case
    staff of the handling unit only (403 for the other units that see the case). Each read is
    in the audit log."""
    case = visible_case(session=session, unit_code=staff.unit_code, case_id=complaint_id)
    if case is None:
        raise HTTPException(404, detail=NO_CASE)
    response.headers["Cache-Control"] = "no-store"
    return personal_data(session, case, staff, sealer)
