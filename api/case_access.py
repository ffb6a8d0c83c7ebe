"""What the caller's unit may reach, for the JSON routes and the console alike: a case it may
see, a slip on its route (a school: addressed to it), and the case's live state. What may not
be seen is 404, the same answer as what does not exist."""

from typing import Any

from fastapi import HTTPException
from sqlmodel import Session

from api import workflow_calls
from api.answers import in_beijing_time
from api.deps import store_call
from api.security import Staff
from store.models import Case, CaseSlip
from store.queries import visible_case, visible_slip
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import CaseView

NO_CASE = "没有这个案件"
NO_SLIP = "没有这张单据"


async def visible_or_404(session: Session, staff: Staff, complaint_id: str) -> Case:
    """The case as the store shows it; 404 for a case the caller's unit may not see."""
    found = await store_call(
        session, visible_case, session=session, unit_code=staff.unit_code, case_id=complaint_id
    )
    if found is None:
        raise HTTPException(404, detail=NO_CASE)
    return found


def slip_on_route(session: Session, staff: Staff, complaint_id: str, slip_id: str) -> CaseSlip:
    """The slip if the caller's unit is on its route (a school: is its addressee); 404 alike
    for one it may not see."""
    row = visible_slip(
        session=session, unit_code=staff.unit_code, complaint_id=complaint_id, slip_id=slip_id
    )
    if row is None:
        raise HTTPException(404, detail=NO_SLIP)
    return row


async def case_state(client: Any, complaint_id: str) -> CaseView:
    """The case as its workflow holds it now, times in Beijing time."""
    view: CaseView = await workflow_calls.query(client, complaint_id, ComplaintWorkflow.state)
    return in_beijing_time(view)
