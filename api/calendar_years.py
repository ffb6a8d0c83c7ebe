"""Working-day calendar years as the API and `xueji calendar` show them, and the re-timing of
running cases after a year is loaded (shared by the API and the command line)."""

from datetime import date, timedelta
from typing import Any

from temporalio.client import Client

from domain.workdays import WorkdayCalendar

RETIME_HINT = "服务恢复后请运行 xueji calendar retime"


def year_view(calendar: WorkdayCalendar, year: int) -> dict[str, Any]:
    """The year's source (official or estimated), its weekday holidays and weekend workdays."""
    day, end = date(year, 1, 1), date(year, 12, 31)
    weekday_rest, weekend_work = [], []
    while day <= end:
        if day.weekday() < 5 and not calendar.is_workday(day):
            weekday_rest.append(day.isoformat())
        if day.weekday() >= 5 and calendar.is_workday(day):
            weekend_work.append(day.isoformat())
        day += timedelta(days=1)
    return {
        "year": year,
        "status": calendar.year_status(year),
        "weekday_holidays": weekday_rest,
        "weekend_workdays": weekend_work,
    }


# Cases re-plan their deadlines, campaigns their reminder; both take the same signal.
RUNNING_CASES = (
    'WorkflowType IN ("ComplaintWorkflow", "CampaignWorkflow") AND ExecutionStatus = "Running"'
)


async def retime_running_cases(client: Client) -> int:
    """Tell every running case and campaign that the calendar changed; they re-compute their
    open deadlines and reminder times.

    Returns how many cases were told. Safe to repeat: a case whose deadlines did not move
    changes nothing.
    """
    told = 0
    async for execution in client.list_workflows(RUNNING_CASES):
        await client.get_workflow_handle(execution.id).signal("calendar_changed")
        told += 1
    return told
