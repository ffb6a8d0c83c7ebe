"""What a unit's staff may list and read (DESIGN §7), from the read model.

Every function takes the caller's unit and returns only what that unit may see: a case
another unit handles is as absent as a case that does not exist.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import Campaign, CampaignUnit, Case, CaseAccess, CaseClock, CaseSlip


@dataclass(frozen=True)
class CaseFilter:
    """Filters of the case list; None means any."""

    stage: str | None = None
    overdue: bool | None = None
    handling_unit: str | None = None
    province: str | None = None
    channel: str | None = None
    received_from: datetime | None = None  # inclusive
    received_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class CasePage:
    total: int
    cases: list[Case]


def visible_cases(
    *, session: Session, unit_code: str, filters: CaseFilter, offset: int = 0, limit: int = 50
) -> CasePage:
    """The cases the unit may see that match the filters, newest first."""
    query = (
        select(Case)
        .join(CaseAccess, col(CaseAccess.case_id) == col(Case.id))
        .where(CaseAccess.unit_code == unit_code)
    )
    for column, value in (
        (Case.stage, filters.stage),
        (Case.overdue, filters.overdue),
        (Case.handling_unit, filters.handling_unit),
        (Case.province, filters.province),
        (Case.channel, filters.channel),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if filters.received_from is not None:
        query = query.where(col(Case.received_at) >= filters.received_from)
    if filters.received_to is not None:
        query = query.where(col(Case.received_at) < filters.received_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = query.order_by(col(Case.received_at).desc(), col(Case.id)).offset(offset).limit(limit)
    return CasePage(total=total, cases=list(session.exec(page)))


def visible_case(*, session: Session, unit_code: str, case_id: str) -> Case | None:
    """The case, or None when it does not exist or the unit may not see it."""
    if session.get(CaseAccess, (case_id, unit_code)) is None:
        return None
    return session.get(Case, case_id)


def slips_through(*, session: Session, unit_code: str) -> list[CaseSlip]:
    """Slips addressed to the unit or passing through it on their route, newest first."""
    on_route = col(CaseSlip.route).contains(f'"{unit_code}"')  # route is a JSON list of codes
    query = select(CaseSlip).where(on_route).order_by(col(CaseSlip.sent_at).desc())
    return list(session.exec(query))


def estimated_dues(*, session: Session, cases: Collection[Case]) -> set[str]:
    """The ids of those cases whose current due time is an estimate (预计): an open clock of
    the case, due at that time, counted over a year without an official arrangement."""
    due_of = {case.id: case.due for case in cases if case.due is not None}
    if not due_of:
        return set()
    open_estimates = select(CaseClock.case_id, CaseClock.due).where(
        col(CaseClock.case_id).in_(due_of), CaseClock.status == "open", col(CaseClock.estimated)
    )
    return {case_id for case_id, due in session.exec(open_estimates) if due == due_of[case_id]}


def readable_workflows(
    *, session: Session, unit_code: str, workflow_ids: Collection[str]
) -> set[str]:
    """Those of the workflow ids whose history the unit may read: a complaint's or a slip's
    (`<complaint id>.<slip id>`) when the unit may see the case, a campaign's when the unit
    opened it or must report to it."""
    if not workflow_ids:
        return set()
    case_of = {workflow_id: workflow_id.split(".", 1)[0] for workflow_id in workflow_ids}
    seen = select(CaseAccess.case_id).where(
        CaseAccess.unit_code == unit_code, col(CaseAccess.case_id).in_(set(case_of.values()))
    )
    cases = set(session.exec(seen))
    opened = select(Campaign.id).where(
        Campaign.opener_unit == unit_code, col(Campaign.id).in_(workflow_ids)
    )
    reporting = select(CampaignUnit.campaign_id).where(
        CampaignUnit.unit_code == unit_code, col(CampaignUnit.campaign_id).in_(workflow_ids)
    )
    campaigns = set(session.exec(opened)) | set(session.exec(reporting))
    return {
        workflow_id
        for workflow_id, case_id in case_of.items()
        if case_id in cases or workflow_id in campaigns
    }
