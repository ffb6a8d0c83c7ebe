"""Working-day calendar years as the API, the console and `xueji calendar` show them, and the
re-timing of running cases after a year is loaded (shared by all three)."""

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api.schemas.calendar import Retiming, YearRow, YearSource
from domain.workdays import WorkdayCalendar
from domain.year_files import parse_year_document
from store.models import CalendarYear
from workflows.retime import PAGE_SIZE, RetimeProgress, RetimeWorkflow

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


def retime_id(task_queue: str) -> str:
    """The one re-timing operation of a task queue's cases (workflows/retime.py)."""
    return f"{task_queue}-retime"


async def start_retiming(
    client: Client, task_queue: str, now: datetime, *, page_size: int = PAGE_SIZE
) -> Retiming:
    """Start telling every running case and campaign that the calendar changed, as durable
    work (RetimeWorkflow); one still running is replaced and the count starts again, since
    the cases it told before this load must hear again. Raises ConnectionError or RPCError
    when Temporal is out of reach."""
    handle = await client.start_workflow(
        RetimeWorkflow.run,
        RetimeProgress(started_at=now, page_size=page_size),
        id=retime_id(task_queue),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    return Retiming(state="running", operation=handle.id, started_at=now, signalled=0)


async def retiming_status(client: Client, task_queue: str) -> Retiming | None:
    """The last re-timing: running with its counts so far, done, or stopped (replaced by a
    newer one, or ended by ops); None when none has run."""
    handle = client.get_workflow_handle(retime_id(task_queue), result_type=RetimeProgress)
    try:
        described = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if described.status == WorkflowExecutionStatus.COMPLETED:
        progress: RetimeProgress | None = await handle.result()
    elif described.status == WorkflowExecutionStatus.RUNNING:
        progress = await handle.query(RetimeWorkflow.progress)
    else:
        progress = None
    if progress is None:  # its first task has not run yet, or it did not end by itself
        running = described.status == WorkflowExecutionStatus.RUNNING
        return Retiming(
            state="running" if running else "stopped",
            operation=handle.id,
            started_at=described.start_time,
            signalled=0,
        )
    return Retiming(
        state="done" if progress.state == "done" else "running",
        operation=handle.id,
        started_at=progress.started_at,
        signalled=progress.signalled,
        closed=progress.closed,
        failed=progress.failed,
        finished_at=progress.finished_at,
    )
