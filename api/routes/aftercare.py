"""After informing: the follow-up call (回访) and the review (复核) of a closed case.

403: the caller's unit or role may not act; 404: a case the caller may not see; 409: not
closed, done already, no review open, or the review period is over; 422: bad input. The rules
live in api/aftercare_service.py, which the console calls too.
"""

from fastapi import APIRouter

from api import aftercare_service
from api.case_service import CaseCall
from api.deps import CaseActorDep, CaseStaffDep, SessionDep, TemporalDep, TreeDep
from api.routes.case_actions import CaseId
from api.schemas.aftercare import FollowUpIn, ReviewIn, ReviewRequestIn
from workflows.messages.complaint import CaseView

router = APIRouter(prefix="/api/complaints/{complaint_id}", tags=["actions"])


@router.post("/follow-up", response_model=CaseView)
async def record_follow_up(
    complaint_id: CaseId,
    body: FollowUpIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
) -> CaseView:
    """The handling unit called the complainant back (回访): satisfied, basically satisfied,
    not satisfied, or not reached."""
    call = CaseCall(staff, session, temporal, complaint_id)
    return await aftercare_service.record_follow_up(call, result=body.result, note=body.note)


@router.post("/review-request", response_model=CaseView)
async def request_review(
    complaint_id: CaseId,
    body: ReviewRequestIn,
    staff: CaseStaffDep,
    session: SessionDep,
    temporal: TemporalDep,
    tree: TreeDep,
) -> CaseView:
    """Staff of the handling or the reviewing unit register a review (复核) the complainant
    asked for by phone, letter, visit or e-mail, within the review period."""
    call = CaseCall(staff, session, temporal, complaint_id)
    return await aftercare_service.request_review(
        call, tree=tree(), channel=body.channel, reason=body.reason
    )


@router.post("/review", response_model=CaseView)
async def decide_review(
    complaint_id: CaseId,
    body: ReviewIn,
    staff: CaseActorDep,
    session: SessionDep,
    temporal: TemporalDep,
    tree: TreeDep,
) -> CaseView:
    """The unit above the handling unit (the Ministry for its own cases) upholds the answer
    (the complainant is told) or reopens the case for a new round at the handling unit."""
    call = CaseCall(staff, session, temporal, complaint_id)
    return await aftercare_service.decide_review(
        call, tree=tree(), uphold=body.uphold, reason=body.reason
    )
