"""The person in charge (承办人) of a case at its handling unit, and of a slip at its addressee,
and each person's work (待办): what their unit must do, theirs and nobody's marked.

A leader names anyone of the unit who may act on cases; a handler may only take the case or
slip on themselves. A change of person needs a reason; both are in the timeline.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api import case_service
from api.case_service import CaseCall
from api.deps import (
    CaseActorDep,
    ClockDep,
    SessionDep,
    SlipActorDep,
    SlipStaffDep,
    TemporalDep,
)
from api.inbox import Inbox, work_of
from api.schemas.actions import AssigneeIn
from workflows.messages.complaint import CaseView

router = APIRouter(tags=["assignments"])

CaseId = Annotated[str, Path(max_length=64)]
SlipId = Annotated[str, Path(pattern=r"^[VS]\d{1,4}$")]


@router.post("/api/complaints/{complaint_id}/assignee", response_model=CaseView)
async def assign_case(
    complaint_id: CaseId,
    body: AssigneeIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """Name the handling unit's person in charge of the case (指定承办人)."""
    call = CaseCall(staff, session, temporal, complaint_id)
    return await case_service.assign_case(call, assignee=body.assignee, reason=body.reason)


@router.post("/api/complaints/{complaint_id}/slips/{slip_id}/assignee", status_code=204)
async def assign_slip(
    complaint_id: CaseId,
    slip_id: SlipId,
    body: AssigneeIn,
    staff: SlipActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> None:
    """Name the addressee's person in charge of a slip (the slip's 承办人), a school's
    included."""
    call = CaseCall(staff, session, temporal, complaint_id)
    await case_service.assign_slip(
        call, slip_id=slip_id, assignee=body.assignee, reason=body.reason
    )


@router.get("/api/inbox", response_model=Inbox)
def inbox(
    staff: SlipStaffDep,
    session: SessionDep,
    clock: ClockDep,
    mine: Annotated[bool, Query(description="only the caller's own")] = False,
) -> Inbox:
    """The caller's unit's (or school's) open steps and slips (待办), soonest due first, each
    with its person in charge; `mine=true` keeps the caller's own."""
    return work_of(session, staff, now=clock(), mine=mine)
