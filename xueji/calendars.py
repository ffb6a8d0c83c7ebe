"""Installing and showing working-day calendar years: shared by `xueji calendar` and the API."""

import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from domain.workdays import WorkdayCalendar, YearArrangement

RETIME_HINT = "服务恢复后请运行 xueji calendar retime"


def save_year(directory: Path, arrangement: YearArrangement) -> Path:
    """Write the year's file atomically (a running worker never reads half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{arrangement.year}.json"
    document = {
        "year": arrangement.year,
        "source": arrangement.source,
        "holidays": sorted(day.isoformat() for day in arrangement.holidays),
        "workdays": sorted(day.isoformat() for day in arrangement.workdays),
    }
    temporary = target.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, target)
    return target


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
