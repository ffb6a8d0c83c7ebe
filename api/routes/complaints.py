"""Complaints: register (受理), list and read what the caller's unit may see.

Writes go to the workflow; reads come from the store. A case the caller's unit may not see
is 404, the same answer as a case that does not exist.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query
from fastapi.responses import JSONResponse

from api import registration
from api.case_reading import case_detail
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
)
from domain.process import Stage
from store.intake import take_ticket
from store.models import Case, Intake
from store.queries import visible_case

router = APIRouter(prefix="/api/complaints", tags=["complaints"])


@router.post("", status_code=201, response_model=ComplaintCreated)
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
    complaint registered the first time."""
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
        return case_detail(session, case, sealer)
    intake = session.get(Intake, complaint_id)
    if intake is None or intake.receiving_unit != staff.unit_code:
        raise HTTPException(404, detail="没有这个案件")
    if session.get(Case, complaint_id) is not None:  # written, and not this unit's to see
        raise HTTPException(404, detail="没有这个案件")
    pending = CasePending(
        id=complaint_id,
        tracking_no=intake.tracking_no,
        stage=Stage.REGISTERED.value,
        received_at=intake.created_at,
        detail="投诉已登记，办理流程正在建立，请稍后刷新",
    )
    return JSONResponse(pending.model_dump(mode="json"), status_code=202)
