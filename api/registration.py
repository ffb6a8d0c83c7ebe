"""Registering a complaint (受理登记), for the JSON route and the console alike: the checks of
a complaint against the organisation tree, the plan it will follow (handling unit, route,
first deadline, the hotline of a referred call), and the saving itself.

Refusals are HTTPExceptions as the JSON route answers them: a 422 naming the body field, 403
when the caller's unit has left the tree, 409 for a reused idempotency key or for a complaint
that may repeat cases and does not say why it is new (api.repeat_check), 503 without
Temporal.
"""

import hashlib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from fastapi import HTTPException
from sqlmodel import Session
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.calendar import deadline_plan
from activities.org import routing_of
from api import repeat_check, workflow_calls
from api.deps import store_call
from api.schemas.complaints import ComplaintCreated, ComplaintIn, DeadlineOut
from api.security import Staff, field_error
from api.temporal_link import TemporalLink
from core.settings import Settings
from domain.orgtree import OrgTree, UnknownCodeError
from domain.process import STAGE_NAMES, DeadlinePolicy, Stage, first_stage
from domain.routing import RoutingError
from domain.workdays import WorkdayCalendar
from store.intake import ReusedKey, Ticket, has_ticket, take_ticket
from store.sealing import Sealer
from workflows.complaint import ComplaintWorkflow
from workflows.messages.activities import PlanRequest, RouteRequest, Routing
from workflows.messages.complaint import ComplaintInput


@dataclass(frozen=True)
class Plan:
    """What happens to a complaint once registered: its first step, who handles it, the units
    it passes on the way (receiving unit first), the first deadline (None for a referred call,
    which ends at once) and, for a referred call, the hotline to read out to the caller."""

    stage: Stage
    handling_unit: str
    route: list[str]
    first_deadline: DeadlineOut | None
    hotline: str | None


@dataclass(frozen=True)
class _Decision:
    stage: Stage
    routing: Routing


def plan_of(
    complaint: ComplaintIn,
    staff: Staff,
    *,
    tree: OrgTree,
    calendar: WorkdayCalendar,
    settings: Settings,
    received_at: datetime,
) -> Plan:
    """The plan of `complaint` were it received at `received_at`, registering nothing (the
    preview before saving). Refused as `register` refuses it."""
    return _planned(_decided(tree, complaint, staff), calendar, received_at, settings)


async def register(
    complaint: ComplaintIn,
    staff: Staff,
    *,
    session: Session,
    sealer: Sealer,
    settings: Settings,
    temporal: TemporalLink,
    tree: OrgTree,
    calendar: WorkdayCalendar,
    now: datetime,
    idempotency_key: str | None,
    issue_ticket: Callable[..., Ticket] = take_ticket,
) -> ComplaintCreated:
    """Register `complaint` and start its workflow; the answer gives its tracking number,
    query code and plan. The same idempotency key from the same user for the same complaint
    gives the complaint registered the first time (and starts nothing again).
    `issue_ticket` is the store's `take_ticket`, or a test's stand-in for it."""
    decision = _decided(tree, complaint, staff)
    body_hash = hashlib.sha256(complaint.model_dump_json().encode()).hexdigest()
    retried = idempotency_key is not None and await store_call(
        session, has_ticket, session=session, registered_by=staff.username, key=idempotency_key
    )
    found = await store_call(
        session,
        repeat_check.possible_repeats,
        complaint,
        staff,
        session=session,
        settings=settings,
        tree=tree,
        now=now,
    )
    if not retried:  # a retry's first request made a case that matches it
        repeat_check.refuse_unacknowledged(found, complaint)
    try:
        issued = await store_call(
            session,
            issue_ticket,
            session=session,
            sealer=sealer,
            registered_by=staff.username,
            receiving_unit=staff.unit_code,
            idempotency_key=idempotency_key,
            request_hash=body_hash,
            now=now,
            lookup_key=settings.lookup_key_bytes,
        )
    except ReusedKey as exc:
        raise HTTPException(409, detail=str(exc)) from None
    await store_call(
        session,
        repeat_check.record_reason,
        found,
        complaint,
        staff,
        session=session,
        sealer=sealer,
        case_id=issued.complaint_id,
        now=issued.received_at,
    )
    plan = _planned(decision, calendar, issued.received_at, settings)
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
        stage=plan.stage.value,
        handling_unit=plan.handling_unit,
        route=plan.route,
        first_deadline=plan.first_deadline,
        hotline=plan.hotline,
    )


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


def _decided(tree: OrgTree, complaint: ComplaintIn, staff: Staff) -> _Decision:
    routing = checked_routing(tree, complaint, staff)
    stage = first_stage(
        channel=complaint.channel,
        refer_to_hotline=complaint.refer_to_hotline,
        receiving_unit=staff.unit_code,
        handling_unit=routing.handling_unit,
    )
    refuse_referral_without_hotline(tree, stage, routing)
    return _Decision(stage, routing)


def _planned(
    decision: _Decision, calendar: WorkdayCalendar, received_at: datetime, settings: Settings
) -> Plan:
    """The plan computed as the workflow's first step computes it (the same routing, stage and
    calendar functions), so the answer does not wait for a worker: the started workflow is
    durable and arrives at the same plan."""
    stage, routing = decision.stage, decision.routing
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
    return Plan(
        stage=stage,
        handling_unit=routing.handling_unit,
        route=routing.route,
        first_deadline=first,
        hotline=routing.hotline if stage is Stage.REFERRED else None,
    )


def _workflow_input(
    complaint: ComplaintIn, staff: Staff, issued: Ticket, policy: DeadlinePolicy
) -> ComplaintInput:
    given = repeat_check.registration_of(complaint)
    return ComplaintInput(
        complaint_id=issued.complaint_id,
        tracking_no=issued.tracking_no,
        received_at=issued.received_at,
        receiving_unit=staff.unit_code,
        channel=complaint.channel,
        school_codes=complaint.school_codes,
        unit_codes=complaint.unit_codes,
        complainant=given.complainant,
        content=complaint.summary,
        refer_to_hotline=complaint.refer_to_hotline,
        policy=policy,
        students=given.students,
    )
