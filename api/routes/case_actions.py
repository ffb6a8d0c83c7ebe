"""The staff actions of the process (DESIGN §5), one endpoint each, answering the new state.

403: the caller's unit or role may not act; 404: a case (or slip) the caller may not see;
409: the case is at another step, the action was done, or the case has finished; 422: bad input.
A school's staff may only return the slips addressed to their school: every other action
refuses them (403).
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from sqlmodel import Session

from api import slip_work, workflow_calls
from api.answers import in_beijing_time
from api.case_access import case_state, visible_or_404
from api.case_reading import check_public_reply, slip_state_out
from api.deps import (
    CaseActorDep,
    CaseStaffDep,
    SealerDep,
    SessionDep,
    SlipActorDep,
    TemporalDep,
    TreeDep,
    store_call,
)
from api.schemas.actions import (
    ConfirmationIn,
    DisputeIn,
    InformingIn,
    OpinionIn,
    ReworkIn,
    RulingIn,
    SlipReturnIn,
    VerificationIn,
    WithdrawalIn,
)
from api.schemas.complaints import SlipOut
from api.security import Staff, field_error
from domain.orgtree import OrgTree, UnknownCodeError
from domain.process import DISPUTABLE, SlipKind
from domain.roles import CASE_ACTORS
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import (
    CaseView,
    ConfirmResult,
    DecideOpinion,
    InformComplainant,
    IssueSlips,
    RaiseDispute,
    Rework,
    RuleDispute,
    Withdraw,
)

router = APIRouter(prefix="/api/complaints/{complaint_id}", tags=["actions"])

CaseId = Annotated[str, Path(max_length=64)]
WITHDRAWAL_BY = "只有处理单位的承办人或领导，或案件仍由本单位处理时的受理人员，可以登记撤回"
SlipId = Annotated[str, Path(pattern=r"^[VS]\d{1,4}$")]


async def _act(
    staff: Staff,
    session: Session,
    temporal: Any,
    complaint_id: str,
    method: Any,
    action: Any,
    *,
    slips_to: tuple[str, list[str], OrgTree] | None = None,
) -> CaseView:
    """The update on the case; `slips_to` (field, units, tree): units that slips will be
    addressed to, which must lie in the handling unit's subtree."""
    await visible_or_404(session, staff, complaint_id)
    client = await temporal.client()
    if slips_to is not None:
        field, units, tree = slips_to
        handling = (await case_state(client, complaint_id)).handling_unit
        _within_subtree(tree, handling, field, units)
    view: CaseView = await workflow_calls.update(client, complaint_id, method, action)
    return in_beijing_time(view)


def _within_subtree(tree: OrgTree, handling: str, field: str, units: list[str]) -> None:
    """A 422 naming the first unit or school outside the handling unit's subtree: a slip's
    route shows the case (the complainant's name included) to every bureau on it, and the
    slip to a school at its end."""
    for index, code in enumerate(units):
        try:
            inside = handling in tree.path(code)
        except UnknownCodeError as exc:
            raise field_error([field, index], [str(exc)]) from None
        if not inside:
            name = tree.unit(handling).name
            reason = f"{tree.get(code).name}（{code}）不在本案处理单位{name}的下级范围内"
            raise field_error([field, index], [reason])


@router.post("/verification", response_model=CaseView)
async def issue_verification(
    complaint_id: CaseId,
    body: VerificationIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
    tree: TreeDep,
) -> CaseView:
    """The handling unit sends verification slips (核查单) to related units."""
    action = IssueSlips(
        actor_unit=staff.unit_code,
        actor=staff.username,
        addressees=body.addressees,
        instructions=body.instructions,
    )
    units = ("addressees", body.addressees, tree())
    return await _act(
        staff,
        session,
        temporal,
        complaint_id,
        ComplaintWorkflow.issue_verification,
        action,
        slips_to=units,
    )


@router.post("/opinion", response_model=CaseView)
async def decide_opinion(
    complaint_id: CaseId,
    body: OpinionIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
    tree: TreeDep,
) -> CaseView:
    """The handling opinion (办理意见), with supervision slips (督办单) to executing units."""
    action = DecideOpinion(
        actor_unit=staff.unit_code,
        actor=staff.username,
        opinion=body.opinion,
        executing_units=body.executing_units,
    )
    units = ("executing_units", body.executing_units, tree())
    return await _act(
        staff,
        session,
        temporal,
        complaint_id,
        ComplaintWorkflow.decide_opinion,
        action,
        slips_to=units,
    )


@router.post("/confirmation", response_model=CaseView)
async def confirm_result(
    complaint_id: CaseId,
    body: ConfirmationIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """The handling unit confirms the results returned."""
    action = ConfirmResult(
        actor_unit=staff.unit_code, actor=staff.username, conclusion=body.conclusion
    )
    return await _act(
        staff, session, temporal, complaint_id, ComplaintWorkflow.confirm_result, action
    )


@router.post("/rework", response_model=CaseView)
async def rework(
    complaint_id: CaseId,
    body: ReworkIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
    tree: TreeDep,
) -> CaseView:
    """The results are not enough: a new supervision round."""
    action = Rework(
        actor_unit=staff.unit_code,
        actor=staff.username,
        executing_units=body.executing_units,
        instructions=body.instructions,
    )
    units = ("executing_units", body.executing_units, tree())
    return await _act(
        staff, session, temporal, complaint_id, ComplaintWorkflow.rework, action, slips_to=units
    )


@router.post("/informing", response_model=CaseView)
async def inform_complainant(
    complaint_id: CaseId,
    body: InformingIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
    sealer: SealerDep,
) -> CaseView:
    """The complainant is told the result, by the channel given: SMS and e-mail are sent by
    the system, a call, letter or visit is recorded as done. Once they are reached the case
    closes (办结); a call that did not reach them is recorded and the case stays open. The
    public reply is what the tracking page shows: it must name neither the complainant nor a
    student (422)."""
    await visible_or_404(session, staff, complaint_id)
    await store_call(session, check_public_reply, session, complaint_id, body.public_reply, sealer)
    action = InformComplainant(
        actor_unit=staff.unit_code,
        actor=staff.username,
        message=body.message,
        channel=body.channel,
        reached=body.reached,
        public_reply=body.public_reply,
    )
    return await _act(
        staff, session, temporal, complaint_id, ComplaintWorkflow.inform_complainant, action
    )


@router.post("/slips/{slip_id}/return", response_model=CaseView | SlipOut)
async def return_slip(
    complaint_id: CaseId,
    slip_id: SlipId,
    body: SlipReturnIn,
    staff: SlipActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView | SlipOut:
    """The addressee returns its slip with the findings or the result, and gets the case's
    state; a school's handler, whose school sees the slip but not the case, gets the slip as
    returned (404 for a slip not addressed to the school)."""
    returned = await slip_work.return_slip(
        staff, session, temporal, complaint_id, slip_id, body.response
    )
    if staff.at_school:
        return slip_state_out(complaint_id, returned)
    return await case_state(await temporal.client(), complaint_id)


@router.post("/dispute", response_model=CaseView, status_code=202)
async def raise_dispute(
    complaint_id: CaseId,
    body: DisputeIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """The handling unit or a related unit disputes the level (before the handling opinion)."""
    action = RaiseDispute(
        actor_unit=staff.unit_code,
        actor=staff.username,
        proposed_unit=body.proposed_unit,
        reason=body.reason,
    )

    def may_dispute(view: CaseView) -> None:
        if view.stage not in DISPUTABLE:
            raise HTTPException(409, detail="只能在研究办理意见之前提出层级争议")
        verifying = {s.addressee for s in view.slips if s.kind is SlipKind.VERIFICATION}
        if staff.unit_code not in {view.handling_unit, *verifying}:
            raise HTTPException(403, detail="只有处理责任单位或相关单位可以提出层级争议")

    method = ComplaintWorkflow.raise_dispute
    return await _signal(staff, session, temporal, complaint_id, method, action, may_dispute)


@router.post("/ruling", response_model=CaseView, status_code=202)
async def rule_dispute(
    complaint_id: CaseId,
    body: RulingIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """The ruling unit (裁定) names the unit that handles the case from now on."""
    action = RuleDispute(
        actor_unit=staff.unit_code,
        actor=staff.username,
        handling_unit=body.handling_unit,
        reason=body.reason,
    )

    def may_rule(view: CaseView) -> None:
        open_disputes = [d for d in view.disputes if d.ruled_at is None]
        if not open_disputes:
            raise HTTPException(409, detail="该案件没有待裁定的层级争议")
        if open_disputes[-1].ruling_unit != staff.unit_code:
            raise HTTPException(403, detail=f"应由 {open_disputes[-1].ruling_unit} 裁定")

    method = ComplaintWorkflow.rule_dispute
    return await _signal(staff, session, temporal, complaint_id, method, action, may_rule)


@router.post("/withdrawal", response_model=CaseView, status_code=202)
async def withdraw(
    complaint_id: CaseId,
    body: WithdrawalIn,
    staff: CaseStaffDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """The complainant withdraws the complaint, at any step; recorded by the handling unit's
    handler or leader, or by the receiving unit while the case is still its own (403 else)."""

    def may_record(view: CaseView) -> None:
        if staff.unit_code != view.handling_unit:
            raise HTTPException(403, detail=WITHDRAWAL_BY)
        if staff.role not in CASE_ACTORS and staff.unit_code != view.receiving_unit:
            raise HTTPException(403, detail=WITHDRAWAL_BY)

    action = Withdraw(reason=body.reason, actor_unit=staff.unit_code, actor=staff.username)
    method = ComplaintWorkflow.withdraw
    return await _signal(staff, session, temporal, complaint_id, method, action, may_record)


async def _signal(
    staff: Staff,
    session: Session,
    temporal: Any,
    complaint_id: str,
    method: Any,
    action: Any,
    check: Callable[[CaseView], None] | None = None,
) -> CaseView:
    """Send a Signal after `check` has passed on the live state; answer the state (the
    workflow applies the Signal a moment later, hence 202)."""
    await visible_or_404(session, staff, complaint_id)
    client = await temporal.client()
    if check is not None:
        check(await case_state(client, complaint_id))
    await workflow_calls.signal(client, complaint_id, method, action)
    return await case_state(client, complaint_id)
