"""Complaints: register (受理), list and read what the caller's unit may see.

Writes go to the workflow; reads come from the store. A case the caller's unit may not see
is 404, the same answer as a case that does not exist.
"""

import hashlib
from contextlib import suppress
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.calendar import deadline_plan
from activities.org import routing_of
from api import workflow_calls
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
    store_call,
)
from api.schemas.complaints import (
    CaseDetail,
    CaseList,
    CasePending,
    ComplaintCreated,
    ComplaintIn,
    DeadlineOut,
)
from api.security import Staff, field_error
from core.settings import Settings
from domain.orgtree import OrgTree, UnknownCodeError
from domain.process import STAGE_NAMES, Stage, first_stage
from domain.records import Complainant, Student
from domain.routing import RoutingError
from domain.workdays import WorkdayCalendar
from store.intake import ReusedKey, take_ticket
from store.models import Case, Intake
from store.queries import visible_case
from workflows.complaint import ComplaintWorkflow
from workflows.messages.activities import PlanRequest, RouteRequest, Routing
from workflows.messages.complaint import ComplaintInput

router = APIRouter(prefix="/api/complaints", tags=["complaints"])


def checked_routing(tree: OrgTree, complaint: ComplaintIn, staff: Staff) -> Routing:
    """The case's routing; an unknown code or a case with no handling unit is a 422."""
    for index, code in enumerate(complaint.school_codes):
        try:
            tree.school(code)
        except UnknownCodeError as exc:
            raise field_error(["school_codes", index], [str(exc)]) from None
    for index, code in enumerate(complaint.unit_codes):
        try:
            tree.unit(code)
        except UnknownCodeError as exc:
            raise field_error(["unit_codes", index], [str(exc)]) from None
    request = RouteRequest(
        receiving_unit=staff.unit_code,
        school_codes=complaint.school_codes,
        unit_codes=complaint.unit_codes,
    )
    try:
        return routing_of(tree, request)
    except RoutingError as exc:
        raise field_error(["school_codes"], [str(exc)]) from None
    except UnknownCodeError:  # the caller's own unit has left the tree since the login
        raise HTTPException(403, detail="本单位已不在组织机构中，不能受理投诉") from None


def refuse_referral_without_hotline(tree: OrgTree, stage: Stage, routing: Routing) -> None:
    """A caller can be given the handling unit's hotline only if that unit has published one;
    otherwise the clerk forwards the case (a 422 on `refer_to_hotline`, nothing registered)."""
    if stage is Stage.REFERRED and not routing.hotline:
        name = tree.unit(routing.handling_unit).name
        raise field_error(
            ["refer_to_hotline"], [f"{name}尚未公布投诉电话，不能告知热线，请转办该单位处理"]
        )


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
    routing = checked_routing(tree(), complaint, staff)
    stage = first_stage(
        channel=complaint.channel,
        refer_to_hotline=complaint.refer_to_hotline,
        receiving_unit=staff.unit_code,
        handling_unit=routing.handling_unit,
    )
    refuse_referral_without_hotline(tree(), stage, routing)
    body_hash = hashlib.sha256(complaint.model_dump_json().encode()).hexdigest()

    try:
        issued = await store_call(
            session,
            take_ticket,
            session=session,
            sealer=sealer,
            registered_by=staff.username,
            receiving_unit=staff.unit_code,
            idempotency_key=idempotency_key,
            request_hash=body_hash,
            now=clock(),
        )
    except ReusedKey as exc:
        raise HTTPException(409, detail=str(exc)) from None
    plan = _plan(stage, routing, calendar(), issued.received_at, settings)
    client = await temporal.client()
    try:
        with suppress(WorkflowAlreadyStartedError):  # a retried request: the first one did it
            await client.start_workflow(
                ComplaintWorkflow.run,
                _workflow_input(complaint, staff, issued, settings.deadline_policy),
                id=issued.complaint_id,
                task_queue=settings.temporal_task_queue,
            )
    except RPCError:  # Temporal went away: the ticket stays, a retry with the key starts it
        raise HTTPException(503, detail=workflow_calls.UNAVAILABLE) from None
    return ComplaintCreated(
        id=issued.complaint_id,
        tracking_no=issued.tracking_no,
        query_code=issued.query_code,
        **plan,
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


def _workflow_input(
    complaint: ComplaintIn, staff: Staff, issued: Any, policy: Any
) -> ComplaintInput:
    person = complaint.complainant
    return ComplaintInput(
        complaint_id=issued.complaint_id,
        tracking_no=issued.tracking_no,
        received_at=issued.received_at,
        receiving_unit=staff.unit_code,
        channel=complaint.channel,
        school_codes=complaint.school_codes,
        unit_codes=complaint.unit_codes,
        complainant=Complainant(
            name=person.name, phone=person.phone, email=person.email, id_card=person.id_card
        ),
        content=complaint.summary,
        refer_to_hotline=complaint.refer_to_hotline,
        policy=policy,
        students=[
            Student(name=s.name, id_card=s.id_card, student_no=s.student_no)
            for s in complaint.students
        ],
    )


def _plan(
    stage: Stage,
    routing: Routing,
    calendar: WorkdayCalendar,
    received_at: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """Stage, handling unit, route and first deadline, computed as the workflow's first step
    computes them (the same routing, stage and calendar functions), so the answer does not
    wait for a worker: the started workflow is durable and arrives at the same plan."""
    first = None
    if stage is Stage.VERIFY_ISSUE:
        days = settings.deadline_policy.for_stage(stage)
        deadline = deadline_plan(calendar, PlanRequest(start=received_at, working_days=days))
        first = DeadlineOut(
            label=STAGE_NAMES[stage],
            unit=routing.handling_unit,
            due=deadline.due,
            estimated=deadline.estimated,
        )
    return {
        "stage": stage.value,
        "handling_unit": routing.handling_unit,
        "route": routing.route,
        "first_deadline": first,
        "hotline": routing.hotline if stage is Stage.REFERRED else None,
    }
