"""The person in charge (承办人) of a case at its handling unit, and of a slip at its addressee,
and each person's work (待办): what their unit must do, theirs and nobody's marked.

A leader names anyone of the unit who may act on cases; a handler may only take the case or
slip on themselves. A change of person needs a reason; both are in the timeline.
"""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlmodel import Session

from api import workflow_calls
from api.answers import in_beijing_time
from api.deps import (
    CaseActorDep,
    ClockDep,
    SessionDep,
    SlipActorDep,
    SlipStaffDep,
    TemporalDep,
    store_call,
)
from api.inbox import Inbox, work_of
from api.schemas.actions import AssigneeIn
from api.security import Staff, field_error
from domain.roles import CASE_ACTORS, Role
from store.accounts import find_user
from store.models import CaseSlip
from store.queries import visible_case
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import AssignCase, CaseView
from workflows.messages.slip import AssignSlip
from workflows.slip import SlipWorkflow

router = APIRouter(tags=["assignments"])

CaseId = Annotated[str, Path(max_length=64)]
SlipId = Annotated[str, Path(pattern=r"^[VS]\d{1,4}$")]
ONLY_SELF = "学籍管理员只能将本案（本单）指定给自己；指定他人须由领导办理"


def check_assignee(session: Session, staff: Staff, assignee: str) -> None:
    """403 for a handler naming someone else; 422 on `assignee` for anyone but an active
    account of the caller's unit that may act on cases."""
    if staff.role != Role.LEADER and assignee != staff.username:
        raise HTTPException(403, detail=ONLY_SELF)
    user = find_user(session=session, username=assignee)
    if user is None or not user.active or user.unit_code != staff.unit_code:
        raise field_error("assignee", [f"本单位没有可用的账号 {assignee}"])
    if user.role not in CASE_ACTORS:
        raise field_error("assignee", [f"{assignee} 不是学籍管理员或领导，不能承办"])


@router.post("/api/complaints/{complaint_id}/assignee", response_model=CaseView)
async def assign_case(
    complaint_id: CaseId,
    body: AssigneeIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """Name the handling unit's person in charge of the case (指定承办人)."""

    def check() -> None:
        if visible_case(session=session, unit_code=staff.unit_code, case_id=complaint_id) is None:
            raise HTTPException(404, detail="没有这个案件")
        check_assignee(session, staff, body.assignee)

    await store_call(session, check)
    action = AssignCase(
        actor_unit=staff.unit_code, actor=staff.username, assignee=body.assignee, reason=body.reason
    )
    client = await temporal.client()
    view = await workflow_calls.update(client, complaint_id, ComplaintWorkflow.assign, action)
    return in_beijing_time(view)


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

    def check() -> None:
        row = session.get(CaseSlip, (complaint_id, slip_id))
        if row is None or f'"{staff.unit_code}"' not in row.route:
            raise HTTPException(404, detail="没有这张单据")
        check_assignee(session, staff, body.assignee)

    await store_call(session, check)
    action = AssignSlip(
        actor_unit=staff.unit_code,
        actor=staff.username,
        slip_id=slip_id,
        assignee=body.assignee,
        reason=body.reason,
    )
    client = await temporal.client()
    await workflow_calls.update(client, f"{complaint_id}.{slip_id}", SlipWorkflow.assign, action)


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
