"""A person's work (待办): their unit's open steps and slips, soonest due first, each with its
person in charge, and the notices addressed to them. The JSON inbox and the console's share it."""

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session

from api.answers import Reply
from api.case_names import Names
from api.security import Staff
from store.inbox import open_steps, person_notices


class InboxItem(Reply):
    complaint_id: str
    tracking_no: str
    slip_id: str = Field(description="'' for a step of the case itself")
    step: str = Field(description="e.g. 下发核查单, 核查单 V1")
    due: datetime
    estimated: bool = Field(description="counted over a year without official data (预计)")
    overdue: bool
    due_soon: bool = Field(description="临期: not overdue, and its reminder time has come")
    escalation_level: int
    assignee: str = Field(description="'' nobody named yet (未指定)")
    assignee_name: str


class PersonNotice(Reply):
    kind: str
    text: str
    created_at: datetime


class Inbox(BaseModel):
    items: list[InboxItem]
    mine: int = Field(description="how many of the unit's open steps are the caller's")
    unassigned: int = Field(description="how many nobody has been named for")
    notices: list[PersonNotice] = Field(description="notices to the caller, newest first")


def work_of(session: Session, staff: Staff, *, now: datetime, mine: bool = False) -> Inbox:
    """The inbox of `staff` at `now`; `mine` keeps their own steps."""
    names = Names(session)
    items = [
        InboxItem(
            complaint_id=step.case.id,
            tracking_no=step.case.tracking_no,
            slip_id=step.slip.slip_id if step.slip else "",
            step=step.clock.label,
            due=step.clock.due,
            estimated=step.clock.estimated,
            overdue=step.clock.overdue,
            due_soon=not step.clock.overdue and now >= step.clock.remind_at,
            escalation_level=step.clock.escalation_level,
            assignee=step.assignee,
            assignee_name=names.person(step.assignee),
        )
        for step in open_steps(session, staff.unit_code)
    ]
    own = [item for item in items if item.assignee == staff.username]
    return Inbox(
        items=own if mine else items,
        mine=len(own),
        unassigned=sum(1 for item in items if not item.assignee),
        notices=[
            PersonNotice(kind=row.kind, text=row.text, created_at=row.created_at)
            for row in person_notices(session, staff.username)
        ],
    )
