"""督办统计: the oversight figures of a leader's subtree (api.stats.report, as the JSON route
`/api/stats/summary`), each table with a chart beside it, the units directly below a link one
level down, and the same figures as a workbook. Bad dates show the form again (422) with what
was typed; a unit outside the subtree is the 404 page."""

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from api import stats
from api.console import stats_chart
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, acting_as
from api.console.render import page
from api.deps import CalendarDep, ClockDep, SessionDep, TreeDep
from api.routes.stats import NO_UNIT, workbook_response
from api.stats_workbook import figure_rows, percent
from domain.roles import STATS_READERS
from domain.workdays import SHANGHAI

router = APIRouter(prefix=PATH, tags=["console"], default_response_class=HTMLResponse)

LABELS = {"from": "起始日", "to": "截止日", "unit": "单位"}


@dataclass
class Asked:
    """The form as typed, and the period it became, or the reasons it is not one."""

    values: dict[str, str]
    period: stats.Period | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


def _asked(request: Request, today: date) -> Asked:
    params = request.query_params
    values = {name: params.get(name, "").strip() for name in ("from", "to", "unit")}
    asked = Asked({name: value for name, value in values.items() if value})
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        try:
            days[name] = date.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            asked.errors.append((name, "应为日期，如 2030-03-01"))
    if asked.errors:
        return asked
    try:
        asked.period = stats.choose_period(days["from"], days["to"], today)
    except stats.PeriodError as exc:
        asked.errors.append((exc.field, str(exc)))
    return asked


def _report(
    request: Request,
    user: ConsoleUser,
    session: SessionDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> tuple[Asked, stats.Report | None]:
    staff = acting_as(user, STATS_READERS)
    now = clock()
    asked = _asked(request, now.astimezone(SHANGHAI).date())
    if asked.period is None:
        return asked, None
    try:
        found = stats.report(
            session=session,
            tree=tree(),
            calendar=calendar(),
            caller_unit=staff.unit_code,
            unit=asked.values.get("unit"),
            period=asked.period,
            now=now,
        )
    except stats.NotInSubtree as exc:
        raise HTTPException(404, detail=NO_UNIT) from exc
    return asked, found


@router.get("/stats")
def stats_page(
    request: Request,
    user: ConsoleUserDep,
    session: SessionDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> HTMLResponse:
    """The figures of the unit (or of a unit below, `unit`) for the period asked for."""
    asked, found = _report(request, user, session, tree, calendar, clock)
    if found is None:
        return _page(user, asked, 422)
    period = {"from": found.period.start.isoformat(), "to": found.period.end.isoformat()}
    asked.values = {**period, **asked.values}  # the form shows the period counted
    cases = {
        "received_from": period["from"],
        "received_to": period["to"],
    }
    org = tree()
    links = {
        row.code: (
            "/console/cases?" + urlencode({"handling_unit": row.code, **cases})
            if row.own or not any(not child.is_school for child in org.children(row.code))
            else "/console/stats?" + urlencode({"unit": row.code, **period})
        )
        for row in found.ranking
    }
    return _page(
        user,
        asked,
        200,
        found=found,
        figure_rows=figure_rows(found),
        weekly_chart=stats_chart.weekly(found.weekly),
        unit_chart=stats_chart.on_time_by_unit(found.ranking),
        links=links,
        export="/console/stats.xlsx?" + urlencode({"unit": found.unit.code, **period}),
        trail_query=urlencode(period),
    )


@router.get("/stats.xlsx", response_class=Response)
def stats_workbook(
    request: Request,
    user: ConsoleUserDep,
    session: SessionDep,
    tree: TreeDep,
    calendar: CalendarDep,
    clock: ClockDep,
) -> Response:
    """The same figures as the page, as the JSON route's workbook."""
    asked, found = _report(request, user, session, tree, calendar, clock)
    if found is None:
        return _page(user, asked, 422)
    exported_by = f"{user.unit_name} {user.display_name}（{user.staff.username}）"
    return workbook_response(found, exported_by=exported_by)


def _page(user: ConsoleUser, asked: Asked, status_code: int, **found: object) -> HTMLResponse:
    return page(
        "console/stats.html",
        status_code,
        user=user,
        title="督办统计",
        active="stats",
        values=asked.values,
        errors=asked.errors,
        labels=LABELS,
        percent=percent,
        **found,
    )
