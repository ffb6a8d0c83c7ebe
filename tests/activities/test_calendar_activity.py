"""The deadline activity the workflows call: exact due times, estimates flagged, the calendar
directory re-read when an administrator loads a new year."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.calendar import WINDOW_DAYS, CalendarActivities
from domain.workdays import SHANGHAI
from store.calendar import DirectoryCalendar
from workflows.messages.activities import DeadlinePlan, PlanRequest


def _plan(calendar_dir: Path, start: datetime, days: int) -> DeadlinePlan:
    activities = CalendarActivities(DirectoryCalendar(calendar_dir))
    return ActivityEnvironment().run(  # type: ignore[no-any-return]
        activities.plan_deadline, PlanRequest(start=start, working_days=days)
    )


async def test_national_day_with_make_up_saturday(tmp_path: Path) -> None:
    result = await _plan(tmp_path, datetime(2026, 9, 30, 16, 5, tzinfo=SHANGHAI), 3)

    assert (result.due, result.estimated) == (
        datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI),
        False,
    )


async def test_year_end_into_estimated_2027_then_official(tmp_path: Path) -> None:
    activities = CalendarActivities(DirectoryCalendar(tmp_path))
    request = PlanRequest(start=datetime(2026, 12, 30, 9, tzinfo=SHANGHAI), working_days=3)
    env = ActivityEnvironment()

    estimated = await env.run(activities.plan_deadline, request)
    assert (estimated.due, estimated.estimated) == (
        datetime(2027, 1, 5, 23, 59, 59, tzinfo=SHANGHAI),
        True,
    )

    (tmp_path / "2027.json").write_text(
        json.dumps({"year": 2027, "holidays": ["2027-01-01", "2027-01-04"], "workdays": []}),
        encoding="utf-8",
    )
    official = await env.run(activities.plan_deadline, request)
    assert (official.due, official.estimated) == (
        datetime(2027, 1, 6, 23, 59, 59, tzinfo=SHANGHAI),
        False,
    )


async def test_bad_request_is_not_retried(tmp_path: Path) -> None:
    with pytest.raises(ApplicationError) as raised:
        await _plan(tmp_path, datetime(2026, 9, 30, 16, 5), 3)

    assert raised.value.non_retryable


async def test_plan_reminds_at_the_end_of_the_working_day_before(tmp_path: Path) -> None:
    activities = CalendarActivities(DirectoryCalendar(tmp_path))
    env = ActivityEnvironment()
    # Received Wed 30 Sep 2026: Oct 1-7 are holidays and Sat Oct 10 a make-up working day.
    plan = await env.run(
        activities.plan_deadline,
        PlanRequest(start=datetime(2026, 9, 30, 16, 5, tzinfo=SHANGHAI), working_days=3),
    )
    assert plan == DeadlinePlan(
        due=datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI),
        remind_at=datetime(2026, 10, 9, 23, 59, 59, tzinfo=SHANGHAI),
        estimated=False,
    )
    # A one-day step: the reminder comes at the end of the day it starts.
    plan = await env.run(
        activities.plan_deadline,
        PlanRequest(start=datetime(2026, 9, 30, 16, 5, tzinfo=SHANGHAI), working_days=1),
    )
    assert plan.due == datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI)
    assert plan.remind_at == datetime(2026, 9, 30, 23, 59, 59, tzinfo=SHANGHAI)


async def test_the_window_starts_on_the_beijing_day_and_follows_a_loaded_year(
    tmp_path: Path,
) -> None:
    activities = CalendarActivities(DirectoryCalendar(tmp_path))
    env = ActivityEnvironment()
    start = datetime(2026, 12, 29, 17, 30, tzinfo=UTC)  # 30 December, 01:30 in Beijing

    before = await env.run(activities.workday_window, start)
    assert (before.first, len(before.days), before.estimated_years) == (
        date(2026, 12, 30),
        WINDOW_DAYS,
        [2027, 2028],
    )
    assert before.days[:7] == "1100011"  # 2027-01-01 a holiday by the rules, the 4th worked

    (tmp_path / "2027.json").write_text(
        json.dumps({"year": 2027, "holidays": ["2027-01-01", "2027-01-04"], "workdays": []}),
        encoding="utf-8",
    )
    after = await env.run(activities.workday_window, start)
    assert (after.days[:7], after.estimated_years) == ("1100001", [2028])
