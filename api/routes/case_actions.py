"""The staff actions of the process (DESIGN §5), one endpoint each, answering the new state.

403: the caller's unit or role may not act; 404: a case (or slip) the caller may not see;
409: the case is at another step, the action was done, or the case has finished; 422: bad input.
A school's staff may only return the slips addressed to their school: every other action
refuses them (403). The rules live in api/case_service.py, which the console calls too.
"""

from typing import Annotated

from fastapi import APIRouter, Path

from api import case_service
from api.case_reading import slip_state_out
from api.case_service import CaseCall
from api.deps import (
    CaseActorDep,
    CaseStaffDep,
    SealerDep,
    SessionDep,
    SlipActorDep,
    TemporalDep,
    TreeDep,
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
from workflows.messages.complaint import CaseView

router = APIRouter(prefix="/api/complaints/{complaint_id}", tags=["actions"])

CaseId = Annotated[str, Path(max_length=64)]
SlipId = Annotated[str, Path(pattern=r"^[VS]\d{1,4}$")]


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
    return await case_service.issue_verification(
        CaseCall(staff, session, temporal, complaint_id),
        tree=tree(),
        addressees=body.addressees,
        instructions=body.instructions,
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
    return await case_service.decide_opinion(
        CaseCall(staff, session, temporal, complaint_id),
        tree=tree(),
        opinion=body.opinion,
        executing_units=body.executing_units,
        attachments=body.attachments,
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
    call = CaseCall(staff, session, temporal, complaint_id)
    return await case_service.confirm_result(call, conclusion=body.conclusion)


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
    return await case_service.rework(
        CaseCall(staff, session, temporal, complaint_id),
        tree=tree(),
        executing_units=body.executing_units,
        instructions=body.instructions,
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
    return await case_service.inform_complainant(
        CaseCall(staff, session, temporal, complaint_id),
        sealer=sealer,
        channel=body.channel,
        message=body.message,
        reached=body.reached,
        public_reply=body.public_reply,
        attachments=body.attachments,
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
    call = CaseCall(staff, session, temporal, complaint_id)
    answer = await case_service.return_slip(
        call, slip_id=slip_id, response=body.response, attachments=body.attachments
    )
    if isinstance(answer, CaseView):
        return answer
    return slip_state_out(complaint_id, answer)


@router.post("/dispute", response_model=CaseView, status_code=202)
async def raise_dispute(
    complaint_id: CaseId,
    body: DisputeIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """The handling unit or a related unit disputes the level (before the handling opinion)."""
    return await case_service.raise_dispute(
        CaseCall(staff, session, temporal, complaint_id),
        proposed_unit=body.proposed_unit,
        reason=body.reason,
    )


@router.post("/ruling", response_model=CaseView, status_code=202)
async def rule_dispute(
    complaint_id: CaseId,
    body: RulingIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """The ruling unit (裁定) names the unit that handles the case from now on."""
    return await case_service.rule_dispute(
        CaseCall(staff, session, temporal, complaint_id),
        handling_unit=body.handling_unit,
        reason=body.reason,
    )


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
    call = CaseCall(staff, session, temporal, complaint_id)
    return await case_service.withdraw(call, reason=body.reason)
