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

from sqlalchemy import ColumnElement, func, or_
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
from store.sealing import Sealer
from store.search_index import TextSearch, cases_of_student, cases_with_tokens, summary_holds


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
    student_name_hash: str | None = None  # store.search_index hash of a student's name
    text: TextSearch | None = None  # words of the summary (store.search_index)


# The most cases a list counts: beyond it the page says "10,000+" (total_capped) instead of
# counting a whole province's or the country's cases for every page of 50.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class CasePage:
    total: int  # the matching cases, at most COUNT_CAP
    cases: list[Case]
    total_capped: bool = False  # more than COUNT_CAP cases match; total is COUNT_CAP


def visible_cases(
    *,
    session: Session,
    unit_code: str,
    filters: CaseFilter,
    offset: int = 0,
    limit: int = 50,
    sealer: Sealer | None = None,
) -> CasePage:
    """The cases the unit may see that match the filters, newest first (none for a school);
    counted up to COUNT_CAP.

    A free-text filter needs `sealer`: the cases holding all the query's tokens are unsealed,
    only among those the unit may see, and kept when their summary holds the query itself.
    """
    if is_school_code(unit_code):
        return CasePage(total=0, cases=[])
    if filters.text is not None and not filters.text.exact:
        if sealer is None:
            raise ValueError("a free-text search needs the store's sealer")
        return _confirmed_page(session, unit_code, filters, filters.text, sealer, offset, limit)
    conditions = _conditions(unit_code, filters)
    query = select(Case).join(CaseAccess, _ACCESS).where(*conditions).order_by(*_NEWEST_FIRST)
    if filters == CaseFilter():
        # The unit's access index alone counts, up to the cap; the page is a range of it.
        counted = select(CaseAccess.case_id).where(*conditions).limit(COUNT_CAP + 1)
        found = session.exec(select(func.count()).select_from(counted.subquery())).one()
        cases = list(session.exec(query.offset(offset).limit(limit)))
        return CasePage(total=min(found, COUNT_CAP), cases=cases, total_capped=found > COUNT_CAP)
    # A filter on the case: one pass over the matches gives the count and the page (the ids of
    # the newest COUNT_CAP + 1), which would otherwise read each case twice.
    matching = select(CaseAccess.case_id).join(Case, _ACCESS).where(*conditions)
    ids = list(session.exec(matching.order_by(*_NEWEST_FIRST).limit(COUNT_CAP + 1)))
    if offset + limit <= COUNT_CAP or len(ids) <= COUNT_CAP:
        wanted = ids[offset : offset + limit]
        found_cases = session.exec(select(Case).where(col(Case.id).in_(wanted)))
        by_id = {case.id: case for case in found_cases}
        cases = [by_id[case_id] for case_id in wanted]
    else:  # a page beyond the count's cap
        cases = list(session.exec(query.offset(offset).limit(limit)))
    return CasePage(total=min(len(ids), COUNT_CAP), cases=cases, total_capped=len(ids) > COUNT_CAP)


_ACCESS = col(CaseAccess.case_id) == col(Case.id)
# By the access rows' copy of the received time: ix_case_access_unit_received walked
# backwards, so that a page is a range of that index (the cases received at the same instant,
# few, sorted by id on the way: PostgreSQL's incremental sort, SQLite's "right part").
_NEWEST_FIRST = (col(CaseAccess.received_at).desc(), col(CaseAccess.case_id))


def _conditions(unit_code: str, filters: CaseFilter) -> list[ColumnElement[bool]]:
    """The conditions, over a case joined with its access rows, that the unit may see it and
    that it matches the filters (the free text by its tokens only)."""
    conditions = [col(CaseAccess.unit_code) == unit_code]
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
            conditions.append(col(column) == value)
    if filters.open_only:
        conditions.append(col(Case.outcome) == "")
    if filters.received_from is not None:
        conditions.append(col(Case.received_at) >= filters.received_from)
    if filters.received_to is not None:
        conditions.append(col(Case.received_at) < filters.received_to)
    if filters.tracking_no is not None:
        conditions.append(func.upper(col(Case.tracking_no)) == filters.tracking_no.upper())
    if filters.school is not None:
        conditions.append(col(Case.id).in_(_cases_of_school(filters.school)))
    if filters.student_name_hash is not None:
        conditions.append(col(Case.id).in_(cases_of_student(filters.student_name_hash)))
    if filters.text is not None:
        conditions.append(col(Case.id).in_(cases_with_tokens(filters.text.token_hashes)))
    return conditions


def _confirmed_page(
    session: Session,
    unit_code: str,
    filters: CaseFilter,
    text: TextSearch,
    sealer: Sealer,
    offset: int,
    limit: int,
) -> CasePage:
    """The page of the candidates whose unsealed summary holds the query: every candidate is
    checked, so that the total counts only true matches."""
    candidates = (
        select(Case.id, Case.sealed)
        .join(CaseAccess, _ACCESS)
        .where(*_conditions(unit_code, filters))
    )
    matched = [
        case_id
        for case_id, sealed in session.exec(candidates.order_by(*_NEWEST_FIRST))
        if summary_holds(sealer, case_id, sealed, text.needle)
    ]
    wanted = matched[offset : offset + limit]
    found = {case.id: case for case in session.exec(select(Case).where(col(Case.id).in_(wanted)))}
    return CasePage(
        total=min(len(matched), COUNT_CAP),
        cases=[found[case_id] for case_id in wanted],
        total_capped=len(matched) > COUNT_CAP,
    )


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
