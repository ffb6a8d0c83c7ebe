"""The staff actions on a case (DESIGN §5) as service functions, shared by the JSON routes and
the console: who may act, the checks before the workflow, the Update or Signal, and which
actions a staff member may take on a case now (`actions_of`).

Refusals are HTTPExceptions, as the workflow's own are (api/workflow_calls.py): 403 the unit
or role may not act, 404 a case or slip the unit may not see, 409 the wrong step or done,
422 bad input. The workflow checks the acting unit again.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException
from sqlmodel import Session

from api import slip_work, workflow_calls
from api.aftercare_rules import (
    follow_up_refusal,
    open_review,
    review_refusal,
    review_request_refusal,
)
from api.answers import in_beijing_time
from api.attachments import references
from api.case_access import case_state, slip_on_route, visible_or_404
from api.case_reading import check_public_reply
from api.deps import store_call
from api.security import Staff, check_role, field_error
from domain.orgtree import OrgTree, UnknownCodeError
from domain.process import DISPUTABLE, TERMINAL, InformChannel, SlipKind, Stage
from domain.records import AttachmentRef, SlipState, SlipStatus
from domain.roles import CASE_ACTORS, CASE_STAFF, SCHOOL_SLIP_ACTORS, Role
from store.accounts import find_user, list_users
from store.models import StaffUser
from store.sealing import Sealer
from workflows.complaint import ComplaintWorkflow
from workflows.complaint_wording import wrong_unit
from workflows.messages.complaint import (
    AssignCase,
    CaseView,
    ConfirmResult,
    DecideOpinion,
    Dispute,
    InformComplainant,
    IssueSlips,
    RaiseDispute,
    Review,
    Rework,
    RuleDispute,
    Withdraw,
)
from workflows.messages.slip import AssignSlip
from workflows.slip import SlipWorkflow

WITHDRAWAL_BY = "只有处理单位的承办人或领导，或案件仍由本单位处理时的受理人员，可以登记撤回"
TOO_LATE_TO_DISPUTE = "只能在研究办理意见之前提出层级争议"
NOT_A_PARTY = "只有处理责任单位或相关单位可以提出层级争议"
NO_OPEN_DISPUTE = "该案件没有待裁定的层级争议"
ONLY_LEADERS_RULE = "层级争议由上级教育行政部门的负责人（领导）裁定，请提交本单位领导办理"
ONLY_SELF = "学籍管理员只能将本案（本单）指定给自己；指定他人须由领导办理"


@dataclass(frozen=True)
class CaseCall:
    """Who acts on which case, with the request's store session and Temporal link."""

    staff: Staff
    session: Session
    temporal: Any  # api.temporal_link.TemporalLink
    complaint_id: str


# ---------------------------------------------------------------- who may act, now


def dispute_refusal(staff: Staff, view: CaseView) -> HTTPException | None:
    """Why the staff member's unit may not raise a dispute about the level now, or None."""
    if view.stage not in DISPUTABLE:
        return HTTPException(409, detail=TOO_LATE_TO_DISPUTE)
    verifying = {s.addressee for s in view.slips if s.kind is SlipKind.VERIFICATION}
    if staff.unit_code not in {view.handling_unit, *verifying}:
        return HTTPException(403, detail=NOT_A_PARTY)
    return None


def open_dispute(view: CaseView) -> Dispute | None:
    open_disputes = [d for d in view.disputes if d.ruled_at is None]
    return open_disputes[-1] if open_disputes else None


def ruling_refusal(staff: Staff, view: CaseView) -> HTTPException | None:
    """Why the staff member may not rule now, or None: only a leader (负责人) of the ruling
    unit, the superior bureau the notice names (由上级教育行政部门裁定), rules."""
    dispute = open_dispute(view)
    if dispute is None:
        return HTTPException(409, detail=NO_OPEN_DISPUTE)
    if dispute.ruling_unit != staff.unit_code:
        return HTTPException(403, detail=f"应由 {dispute.ruling_unit} 裁定")
    if staff.role != Role.LEADER:
        return HTTPException(403, detail=ONLY_LEADERS_RULE)
    return None


def withdrawal_refusal(staff: Staff, view: CaseView) -> HTTPException | None:
    """Why the staff member may not record a withdrawal: only the handling unit's handler or
    leader, or its clerk while the case is still the receiving unit's own."""
    if staff.unit_code != view.handling_unit:
        return HTTPException(403, detail=WITHDRAWAL_BY)
    if staff.role not in CASE_ACTORS and staff.unit_code != view.receiving_unit:
        return HTTPException(403, detail=WITHDRAWAL_BY)
    return None


# The handling unit's own steps: the action a stage waits for.
STEP_OF_STAGE = {
    Stage.VERIFY_ISSUE: "verification",
    Stage.OPINION: "opinion",
    Stage.CONFIRMATION: "confirmation",
    Stage.INFORMING: "informing",
}


@dataclass(frozen=True)
class Actions:
    """What a staff member may do on a case now (the console shows these forms only)."""

    step: str = ""  # the handling unit's step: verification, opinion, confirmation, informing
    slips_to_return: list[str] = field(default_factory=list)  # open slips addressed to the unit
    dispute: bool = False
    ruling: Dispute | None = None  # the open dispute this unit rules
    withdrawal: bool = False
    assign: str = ""  # "anyone" (a leader), "self" (a handler), "" neither
    # After informing (api/aftercare_rules.py): record the follow-up call, register a review
    # the complainant asked for, decide the open review.
    follow_up: bool = False
    review_request: bool = False
    review: Review | None = None

    @property
    def any(self) -> bool:
        return bool(
            self.follow_up
            or self.review_request
            or self.review
            or self.step
            or self.slips_to_return
            or self.dispute
            or self.ruling
            or self.withdrawal
            or self.assign
        )


def actions_of(staff: Staff, view: CaseView) -> Actions:
    """The actions `staff` may take on the case in its live state `view`; none for a school
    (schools work their slips only) or an ended case."""
    if staff.at_school:
        return Actions()
    if view.stage is Stage.CLOSED:
        return aftercare_actions(staff, view)
    if view.stage in TERMINAL:
        return Actions()
    actor = staff.role in CASE_ACTORS
    handling = actor and staff.unit_code == view.handling_unit
    assign = ""
    if handling and staff.role == Role.LEADER:
        assign = "anyone"
    elif handling and view.assignee != staff.username:
        assign = "self"
    return Actions(
        step=STEP_OF_STAGE.get(view.stage, "") if handling else "",
        slips_to_return=[
            slip.slip_id
            for slip in view.slips
            if actor and slip.status is SlipStatus.OPEN and slip.addressee == staff.unit_code
        ],
        dispute=actor and dispute_refusal(staff, view) is None,
        ruling=open_dispute(view) if actor and ruling_refusal(staff, view) is None else None,
        withdrawal=staff.role in CASE_STAFF and withdrawal_refusal(staff, view) is None,
        assign=assign,
    )


def aftercare_actions(staff: Staff, view: CaseView) -> Actions:
    """A closed case in its follow-up and review period (none once it is over)."""
    reviewing = view.reviewing_unit
    review = open_review(view)
    return Actions(
        follow_up=view.follow_up_due and follow_up_refusal(staff, view) is None,
        review_request=view.review_until is not None
        and review_request_refusal(staff, view, reviewing) is None,
        review=review if review and review_refusal(staff, view, reviewing) is None else None,
    )


# ---------------------------------------------------------------- reading


async def ensure_visible(call: CaseCall) -> None:
    """404 for a case the caller's unit may not see."""
    await visible_or_404(call.session, call.staff, call.complaint_id)


async def live_state(call: CaseCall) -> CaseView:
    """The case as its workflow holds it now, times in Beijing time."""
    return await case_state(await call.temporal.client(), call.complaint_id)


async def acting_state(call: CaseCall) -> CaseView:
    """The live state to act on, once the workflow holds the step the store shows (404 for a
    case the caller may not see).

    The store is written inside the workflow task that moves a case on, so a worker that dies
    before that task completes leaves the store a step ahead of the history until another
    worker replays the task (after the task's timeout). Acting then would be refused for the
    step before, or for the unit that handled it, though the caller was shown the new one: the
    action waits for the replay instead, up to workflow_calls.CATCH_UP_SECONDS, then is
    answered 503 with Retry-After. The workflow is never ahead of the store, so once the step
    and the handling unit agree any refusal is the workflow's own.
    """
    deadline = time.monotonic() + workflow_calls.CATCH_UP_SECONDS
    while True:
        call.session.expire_all()  # the store as it is now, not as first read
        shown = await visible_or_404(call.session, call.staff, call.complaint_id)
        view = await live_state(call)
        if (view.stage, view.handling_unit) == (shown.stage, shown.handling_unit):
            return view
        if time.monotonic() >= deadline:
            raise workflow_calls.catching_up(workflow_calls.CATCHING_UP)
        await asyncio.sleep(workflow_calls.CATCH_UP_POLL_SECONDS)


def within_subtree(tree: OrgTree, handling: str, field_name: str, units: list[str]) -> None:
    """A 422 naming the first unit or school outside the handling unit's subtree: a slip's
    route shows the case (the complainant's name included) to every bureau on it, and the
    slip to a school at its end."""
    for index, code in enumerate(units):
        try:
            inside = handling in tree.path(code)
        except UnknownCodeError as exc:
            raise field_error([field_name, index], [str(exc)]) from None
        if not inside:
            name = tree.unit(handling).name
            reason = f"{tree.get(code).name}（{code}）不在本案处理单位{name}的下级范围内"
            raise field_error([field_name, index], [reason])


# ---------------------------------------------------------------- the handling unit's Updates


async def _update(
    call: CaseCall,
    method: Any,
    action: Any,
    *,
    slips_to: tuple[str, list[str], OrgTree] | None = None,
) -> CaseView:
    """The Update on the case, by the handling unit only (403 before anything else is
    checked: a unit that sees the case but does not handle it learns nothing from the
    refusal); `slips_to` (field, units, tree): units that slips will be addressed to, which
    must lie in the handling unit's subtree."""
    check_role(call.staff, CASE_ACTORS)
    handling_unit = (await acting_state(call)).handling_unit
    if call.staff.unit_code != handling_unit:
        raise HTTPException(403, detail=wrong_unit(handling_unit, call.staff.unit_code))
    if slips_to is not None:
        field_name, units, tree = slips_to
        within_subtree(tree, handling_unit, field_name, units)
    client = await call.temporal.client()
    view: CaseView = await workflow_calls.update(client, call.complaint_id, method, action)
    return in_beijing_time(view)


async def issue_verification(
    call: CaseCall, *, tree: OrgTree, addressees: list[str], instructions: str = ""
) -> CaseView:
    """The handling unit sends verification slips (核查单) to related units."""
    staff = call.staff
    action = IssueSlips(
        actor_unit=staff.unit_code,
        actor=staff.username,
        addressees=addressees,
        instructions=instructions,
    )
    return await _update(
        call,
        ComplaintWorkflow.issue_verification,
        action,
        slips_to=("addressees", addressees, tree),
    )


async def _references(call: CaseCall, ids: list[str], slip_id: str = "") -> list[AttachmentRef]:
    """The files an action names, as the history refers to them (422 for one it may not)."""
    if not ids:
        return []
    session, staff = call.session, call.staff
    return await store_call(
        session, references, session, staff, call.complaint_id, ids, slip_id=slip_id
    )


async def decide_opinion(
    call: CaseCall,
    *,
    tree: OrgTree,
    opinion: str,
    executing_units: list[str],
    attachments: list[str] | None = None,
) -> CaseView:
    """The handling opinion (办理意见), with supervision slips (督办单) to executing units."""
    staff = call.staff
    action = DecideOpinion(
        actor_unit=staff.unit_code,
        actor=staff.username,
        opinion=opinion,
        executing_units=executing_units,
        attachments=await _references(call, attachments or []),
    )
    units = ("executing_units", executing_units, tree)
    return await _update(call, ComplaintWorkflow.decide_opinion, action, slips_to=units)


async def confirm_result(call: CaseCall, *, conclusion: str = "") -> CaseView:
    staff = call.staff
    action = ConfirmResult(actor_unit=staff.unit_code, actor=staff.username, conclusion=conclusion)
    return await _update(call, ComplaintWorkflow.confirm_result, action)


async def rework(
    call: CaseCall, *, tree: OrgTree, executing_units: list[str], instructions: str = ""
) -> CaseView:
    """The results are not enough: a new supervision round."""
    staff = call.staff
    action = Rework(
        actor_unit=staff.unit_code,
        actor=staff.username,
        executing_units=executing_units,
        instructions=instructions,
    )
    units = ("executing_units", executing_units, tree)
    return await _update(call, ComplaintWorkflow.rework, action, slips_to=units)


async def inform_complainant(
    call: CaseCall,
    *,
    sealer: Sealer,
    channel: InformChannel,
    message: str,
    reached: bool = True,
    public_reply: str = "",
    attachments: list[str] | None = None,
) -> CaseView:
    """The complainant told the result by `channel`; a public reply naming them is a 422."""
    check_role(call.staff, CASE_ACTORS)
    await ensure_visible(call)
    session = call.session
    await store_call(session, check_public_reply, session, call.complaint_id, public_reply, sealer)
    staff = call.staff
    action = InformComplainant(
        actor_unit=staff.unit_code,
        actor=staff.username,
        message=message,
        channel=channel,
        reached=reached,
        public_reply=public_reply,
        attachments=await _references(call, attachments or []),
    )
    return await _update(call, ComplaintWorkflow.inform_complainant, action)


# ---------------------------------------------------------------- slips


async def return_slip(
    call: CaseCall, *, slip_id: str, response: str, attachments: list[str] | None = None
) -> CaseView | SlipState:
    """The addressee returns its slip: a bureau gets the case's state, a school (which sees
    the slip but not the case) the slip as returned (404 for one not addressed to it)."""
    staff = call.staff
    check_role(staff, CASE_ACTORS, SCHOOL_SLIP_ACTORS)
    returned = await slip_work.return_slip(
        staff,
        call.session,
        call.temporal,
        call.complaint_id,
        slip_id,
        response,
        await _references(call, attachments or [], slip_id),
    )
    if staff.at_school:
        return returned
    return await live_state(call)


# ---------------------------------------------------------------- Signals


async def _signal(
    call: CaseCall, method: Any, action: Any, refusal: Callable[[CaseView], Any]
) -> CaseView:
    """Send a Signal once `refusal` finds nothing against it in the live state; answer the
    state (the workflow applies the Signal a moment later)."""
    refused = refusal(await acting_state(call))
    if refused is not None:
        raise refused
    client = await call.temporal.client()
    await workflow_calls.signal(client, call.complaint_id, method, action)
    return await live_state(call)


async def raise_dispute(call: CaseCall, *, proposed_unit: str, reason: str = "") -> CaseView:
    """The handling unit or a related unit disputes the level (before the handling opinion)."""
    staff = call.staff
    check_role(staff, CASE_ACTORS)
    action = RaiseDispute(
        actor_unit=staff.unit_code, actor=staff.username, proposed_unit=proposed_unit, reason=reason
    )
    return await _signal(
        call, ComplaintWorkflow.raise_dispute, action, lambda view: dispute_refusal(staff, view)
    )


async def rule_dispute(call: CaseCall, *, handling_unit: str, reason: str = "") -> CaseView:
    """The ruling unit (裁定) names the unit that handles the case from now on."""
    staff = call.staff
    check_role(staff, CASE_ACTORS)
    action = RuleDispute(
        actor_unit=staff.unit_code, actor=staff.username, handling_unit=handling_unit, reason=reason
    )
    return await _signal(
        call, ComplaintWorkflow.rule_dispute, action, lambda view: ruling_refusal(staff, view)
    )


async def withdraw(call: CaseCall, *, reason: str = "") -> CaseView:
    """The complainant withdraws the complaint, recorded by whom `withdrawal_refusal` allows."""
    staff = call.staff
    check_role(staff, CASE_STAFF)
    action = Withdraw(reason=reason, actor_unit=staff.unit_code, actor=staff.username)
    return await _signal(
        call, ComplaintWorkflow.withdraw, action, lambda view: withdrawal_refusal(staff, view)
    )


# ---------------------------------------------------------------- the person in charge


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


def assignable(session: Session, unit_code: str) -> list[StaffUser]:
    """The accounts of the unit a leader may name as the person in charge."""
    users = list_users(session=session, unit_codes={unit_code})
    return [u for u in users if u.unit_code == unit_code and u.active and u.role in CASE_ACTORS]


async def assign_case(call: CaseCall, *, assignee: str, reason: str = "") -> CaseView:
    """Name the handling unit's person in charge of the case (指定承办人)."""
    staff, session = call.staff, call.session
    check_role(staff, CASE_ACTORS)
    await acting_state(call)
    await store_call(session, check_assignee, session, staff, assignee)
    action = AssignCase(
        actor_unit=staff.unit_code, actor=staff.username, assignee=assignee, reason=reason
    )
    client = await call.temporal.client()
    view = await workflow_calls.update(client, call.complaint_id, ComplaintWorkflow.assign, action)
    return in_beijing_time(view)


async def assign_slip(call: CaseCall, *, slip_id: str, assignee: str, reason: str = "") -> None:
    """Name the addressee's person in charge of a slip (the slip's 承办人), a school's
    included."""
    staff, session = call.staff, call.session

    def check() -> None:
        slip_on_route(session, staff, call.complaint_id, slip_id)
        check_assignee(session, staff, assignee)

    await store_call(session, check)
    action = AssignSlip(
        actor_unit=staff.unit_code,
        actor=staff.username,
        slip_id=slip_id,
        assignee=assignee,
        reason=reason,
    )
    client = await call.temporal.client()
    await workflow_calls.update_once_started(
        client, f"{call.complaint_id}.{slip_id}", SlipWorkflow.assign, action
    )
