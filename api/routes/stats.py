"""Oversight figures (督办统计) of the caller's subtree: the whole report for a period, the
backlog now, and the report as a workbook. A leader's unit and the bureaus below it; any other
unit is 404, as if it did not exist (docs/oversight.md)."""

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from sqlmodel import Session

from api import stats
from api.deps import CalendarDep, ClockDep, SessionDep, TreeDep
from api.security import Staff, query_error, require_roles
from api.stats_workbook import XLSX, build_workbook, file_names
from domain.orgtree import OrgTree
from domain.roles import STATS_READERS
from domain.workdays import SHANGHAI, WorkdayCalendar

router = APIRouter(prefix="/api/stats", tags=["stats"])

StatsReaderDep = Annotated[Staff, Depends(require_roles(*STATS_READERS))]
NO_UNIT = "没有这个单位，或不在本单位的统计范围内"
UnitQuery = Annotated[
    str | None,
    Query(pattern=r"^\d{6}$", description="本单位或其下级单位的代码；缺省为本单位"),
]
FromQuery = Annotated[date | None, Query(alias="from", description="起始日（北京时间，含）")]
ToQuery = Annotated[date | None, Query(alias="to", description="截止日（北京时间，含）")]


def period_or_422(start: date | None, end: date | None, today: date) -> stats.Period:
    try:
        return stats.choose_period(start, end, today)
    except stats.PeriodError as exc:
        raise query_error(exc.field, [str(exc)]) from exc


def subtree_report(
    *,
    session: Session,
    tree: OrgTree,
    calendar: WorkdayCalendar,
    staff: Staff,
    unit: str | None,
    period: stats.Period,
    clock: ClockDep,
) -> stats.Report:
    """The report, 404 for a unit outside the caller's subtree."""
    try:
        return stats.report(
            session=session,
            tree=tree,
            calendar=calendar,
            caller_unit=staff.unit_code,
            unit=unit,
            period=period,
            now=clock(),
        )
    except stats.NotInSubtree as exc:
        raise HTTPException(404, detail=NO_UNIT) from exc


@router.get("/summary", response_model=stats.Report)
def summary(
    staff: StatsReaderDep,
    session: SessionDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
    unit: UnitQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
) -> stats.Report:
    """Every figure of the unit's subtree for the period (this month by default) with the
    period before, the backlog now and the units directly below ranked."""
    period = period_or_422(start, end, clock().astimezone(SHANGHAI).date())
    return subtree_report(
        session=session,
        tree=tree(),
        calendar=calendar(),
        staff=staff,
        unit=unit,
        period=period,
        clock=clock,
    )


@router.get("/backlog", response_model=stats.Backlog)
def backlog(
    staff: StatsReaderDep,
    session: SessionDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
    unit: UnitQuery = None,
) -> stats.Backlog:
    """The subtree's open cases now, by step and age in working days, and the overdue ones
    by escalation level."""
    org = tree()
    try:
        code = stats.subtree_unit(org, staff.unit_code, unit)
    except stats.NotInSubtree as exc:
        raise HTTPException(404, detail=NO_UNIT) from exc
    return stats.backlog(session=session, tree=org, calendar=calendar(), unit=code, now=clock())


@router.get("/summary.xlsx", response_class=Response)
def summary_workbook(
    staff: StatsReaderDep,
    session: SessionDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
    unit: UnitQuery = None,
    start: FromQuery = None,
    end: ToQuery = None,
) -> Response:
    """The same figures as `/summary`, as a workbook with the unit and period on its first
    rows."""
    period = period_or_422(start, end, clock().astimezone(SHANGHAI).date())
    found = subtree_report(
        session=session,
        tree=tree(),
        calendar=calendar(),
        staff=staff,
        unit=unit,
        period=period,
        clock=clock,
    )
    return workbook_response(found, exported_by=staff.username)


def workbook_response(found: stats.Report, *, exported_by: str) -> Response:
    ascii_name, chinese_name = file_names(found)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''" + quote(chinese_name)
    return Response(
        build_workbook(found, exported_by=exported_by),
        media_type=XLSX,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
    )
