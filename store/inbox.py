"""A unit's open work (待办) and a person's share of it: the open clocks the unit must meet,
each with the person in charge of its case or slip, and the notices addressed to a person."""

from dataclasses import dataclass

from sqlalchemy import and_
from sqlmodel import Session, col, select

from store.models import Case, CaseClock, CaseSlip, OutboxRow

SLIP_CLOCK = "slip-"  # a slip's clock is keyed "slip-<slip id>"


@dataclass(frozen=True)
class OpenStep:
    case: Case
    clock: CaseClock
    slip: CaseSlip | None  # the slip the clock belongs to; None for a step of the case

    @property
    def assignee(self) -> str:
        return self.slip.assignee if self.slip is not None else self.case.assignee


def open_steps(session: Session, unit_code: str, *, assignee: str | None = None) -> list[OpenStep]:
    """The unit's open clocks, soonest due first; `assignee` keeps those of one person ("":
    those nobody has been named for)."""
    slip_of_clock = and_(
        col(CaseSlip.case_id) == col(CaseClock.case_id),
        col(CaseClock.key) == SLIP_CLOCK + col(CaseSlip.slip_id),
    )
    query = (
        select(Case, CaseClock, CaseSlip)
        .join(Case, col(Case.id) == col(CaseClock.case_id))
        .join(CaseSlip, slip_of_clock, isouter=True)
        .where(CaseClock.unit == unit_code, CaseClock.status == "open")
        .order_by(col(CaseClock.due), col(CaseClock.case_id), col(CaseClock.key))
    )
    steps = [OpenStep(case, clock, slip) for case, clock, slip in session.exec(query)]
    if assignee is None:
        return steps
    return [step for step in steps if step.assignee == assignee]


def person_notices(session: Session, username: str, *, limit: int = 50) -> list[OutboxRow]:
    """The notices addressed to the person (their copy of a unit's reminder or alert), newest
    first."""
    query = (
        select(OutboxRow)
        .where(OutboxRow.recipient_user == username)
        .order_by(col(OutboxRow.created_at).desc(), col(OutboxRow.key))
        .limit(limit)
    )
    return list(session.exec(query))
