"""What a unit's staff may list and read (DESIGN §7), from the read model.

Every function takes the caller's unit and returns only what that unit may see: a case
another unit handles is as absent as a case that does not exist. A school sees no case at
all, only the slips addressed to it.
"""

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from domain.orgtree import is_school_code
from store.models import (
    Campaign,
    CampaignUnit,
    Case,
    CaseAccess,
    CaseClock,
    CaseSchool,
    CaseSlip,
    School,
    Unit,
)


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
    tracking_no: str | None = None  # any case
    school: str | None = None  # a 10-digit school code, or part of a school's name
    phone_hash: str | None = None  # store.lookup hashes of the complainant's numbers
    id_card_hash: str | None = None
    assignee: str | None = None  # the person in charge (a username); "" nobody yet
    open_only: bool | None = None  # cases still being handled


@dataclass(frozen=True)
class CasePage:
    total: int
    cases: list[Case]


def visible_cases(
    *, session: Session, unit_code: str, filters: CaseFilter, offset: int = 0, limit: int = 50
) -> CasePage:
    """The cases the unit may see that match the filters, newest first (none for a school)."""
    if is_school_code(unit_code):
        return CasePage(total=0, cases=[])
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
        (Case.complainant_phone_hash, filters.phone_hash),
        (Case.complainant_id_hash, filters.id_card_hash),
        (Case.assignee, filters.assignee),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if filters.open_only:
        query = query.where(col(Case.outcome) == "")
    if filters.received_from is not None:
        query = query.where(col(Case.received_at) >= filters.received_from)
    if filters.received_to is not None:
        query = query.where(col(Case.received_at) < filters.received_to)
    if filters.tracking_no is not None:
        query = query.where(func.upper(col(Case.tracking_no)) == filters.tracking_no.upper())
    if filters.school is not None:
        query = query.where(col(Case.id).in_(_cases_of_school(filters.school)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = query.order_by(col(Case.received_at).desc(), col(Case.id)).offset(offset).limit(limit)
    return CasePage(total=total, cases=list(session.exec(page)))


def _cases_of_school(school: str) -> SelectOfScalar[str]:
    """The ids of the cases about the school with that code, or about any school whose name
    contains `school`."""
    if len(school) == 10 and school.isdigit():
        codes: Any = [school]
    else:
        codes = select(School.code).where(col(School.name).contains(school, autoescape=True))
    return select(CaseSchool.case_id).where(col(CaseSchool.school_code).in_(codes))


def schools_matching(
    *, session: Session, text: str, units: Collection[str] | None, limit: int = 20
) -> list[tuple[School, Unit]]:
    """Schools whose code starts with `text` or whose name contains it, with their
    supervising units, by code: those supervised by one of `units`, or any when None."""
    matching = or_(
        col(School.code).startswith(text, autoescape=True),
        col(School.name).contains(text, autoescape=True),
    )
    query = select(School, Unit).join(Unit, col(Unit.code) == col(School.unit_code))
    query = query.where(matching)
    if units is not None:
        query = query.where(col(School.unit_code).in_(units))
    found = session.exec(query.order_by(col(School.code)).limit(limit))
    return [(school, unit) for school, unit in found]


def visible_case(*, session: Session, unit_code: str, case_id: str) -> Case | None:
    """The case, or None when it does not exist or the unit may not see it (a school never
    sees a whole case)."""
    if is_school_code(unit_code) or session.get(CaseAccess, (case_id, unit_code)) is None:
        return None
    return session.get(Case, case_id)


def slips_through(*, session: Session, unit_code: str) -> list[CaseSlip]:
    """Slips addressed to the unit or passing through it on their route, newest first; for a
    school, those addressed to it."""
    if is_school_code(unit_code):
        seen = col(CaseSlip.addressee) == unit_code
    else:
        seen = col(CaseSlip.route).contains(f'"{unit_code}"')  # route is a JSON list of codes
    query = select(CaseSlip).where(seen).order_by(col(CaseSlip.sent_at).desc())
    return list(session.exec(query))


def visible_slip(
    *, session: Session, unit_code: str, complaint_id: str, slip_id: str
) -> CaseSlip | None:
    """The slip, or None when it does not exist or the unit is not on its route (a school:
    is not its addressee)."""
    slip = session.get(CaseSlip, (complaint_id, slip_id))
    if slip is None:
        return None
    if is_school_code(unit_code):
        return slip if slip.addressee == unit_code else None
    return slip if unit_code in json.loads(slip.route) else None


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
    opened it or must report to it; none for a school."""
    if not workflow_ids or is_school_code(unit_code):
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
