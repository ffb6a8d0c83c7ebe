"""Working-day calendar years as the API, the console and `xueji calendar` show them, and the
re-timing of running cases after a year is loaded (shared by all three)."""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.schemas.calendar import Retiming, YearRow, YearSource
from domain.workdays import WorkdayCalendar
from domain.year_files import parse_year_document
from store.models import CalendarYear

RETIME_HINT = "服务恢复后请运行 xueji calendar retime"


def _days(calendar: WorkdayCalendar, year: int) -> tuple[list[str], list[str]]:
    """The year's weekday holidays and weekend make-up days, as ISO dates."""
    day, end = date(year, 1, 1), date(year, 12, 31)
    weekday_rest, weekend_work = [], []
    while day <= end:
        if day.weekday() < 5 and not calendar.is_workday(day):
            weekday_rest.append(day.isoformat())
        if day.weekday() >= 5 and calendar.is_workday(day):
            weekend_work.append(day.isoformat())
        day += timedelta(days=1)
    return weekday_rest, weekend_work


def year_view(calendar: WorkdayCalendar, year: int) -> dict[str, Any]:
    """The year's source (official or estimated), its weekday holidays and weekend workdays."""
    weekday_rest, weekend_work = _days(calendar, year)
    return {
        "year": year,
        "status": calendar.year_status(year),
        "weekday_holidays": weekday_rest,
        "weekend_workdays": weekend_work,
    }


def calendar_years(session: Session, calendar: WorkdayCalendar, today: date) -> list[YearRow]:
    """Last year to the year after next, and every year an administrator loaded: official or
    estimated, and whence (loaded into the store, shipped with the software, an override
    file, or estimated by the holiday rules)."""
    loaded = {row.year: row for row in session.exec(select(CalendarYear))}
    years = sorted({*range(today.year - 1, today.year + 3), *loaded})
    rows = []
    for year in years:
        weekday_rest, weekend_work = _days(calendar, year)
        row = loaded.get(year)
        status = calendar.year_status(year)
        source: YearSource
        if row is not None:
            source, notice = "loaded", _source_of(row.document)
        elif year in calendar.overrides:
            source, notice = "file", calendar.overrides[year].source
        else:
            source, notice = ("package" if status == "official" else "rules"), ""
        rows.append(
            YearRow(
                year=year,
                status=status,
                source=source,
                notice=notice,
                loaded_at=row.loaded_at if row else None,
                loaded_by=row.loaded_by if row else "",
                weekday_holidays=len(weekday_rest),
                weekend_workdays=len(weekend_work),
            )
        )
    return rows


def _source_of(document: str) -> str:
    """The `source` a stored year's document names ("" when it names none or does not read)."""
    try:
        return parse_year_document(json.loads(document)).source
    except ValueError:
        return ""


# Cases re-plan their deadlines, campaigns their reminder; both take the same signal.
RUNNING_CASES = (
    'WorkflowType IN ("ComplaintWorkflow", "CampaignWorkflow") AND ExecutionStatus = "Running"'
)


async def retime_running_cases(
    client: Client, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Retiming:
    """Tell every running case and campaign that the calendar changed; they re-compute their
    open deadlines and reminder times.

    Says how many were told, how many had ended before they could be, and which could not be
    told (to run `xueji calendar retime` for). Safe to repeat: a case whose deadlines did not
    move changes nothing. A Temporal out of reach raises (ConnectionError or RPCError).
    """
    report = Retiming(signalled=0)
    async for execution in client.list_workflows(RUNNING_CASES):
        try:
            await client.get_workflow_handle(execution.id).signal("calendar_changed")
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:  # ended since it was listed
                report.closed += 1
            elif exc.status == RPCStatusCode.UNAVAILABLE and not report.signalled:
                raise
            else:
                report.failed.append(execution.id)
            continue
        report.signalled += 1
    report.finished_at = clock()
    return report
