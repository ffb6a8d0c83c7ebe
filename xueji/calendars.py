"""Showing working-day calendar years: shared by `xueji calendar` and the API."""

from datetime import date, timedelta
from typing import Any

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
