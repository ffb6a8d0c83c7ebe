"""The workers of bench/storm.py, each its own process as in production.

    python bench/storm_worker.py          the real worker (xueji.worker.main), the calendar's
                                          activities replaced (see below)
    python bench/storm_worker.py --bare   the baselines' worker (bare_workflows.py: BareDeadline
                                          for storm.py, BareRetime for retime.py)

Both read their settings from the environment as `xueji worker` does (XUEJI_TEMPORAL_ADDRESS,
XUEJI_TEMPORAL_TASK_QUEUE, XUEJI_WORKER_METRICS_PORT, ...).

Why the calendar's activities are replaced: every deadline of the notice ends at 23:59:59
Beijing time of a working day, days after the clock starts, and the dev server runs on the real
clock, so N cases registered now cannot fall due a few minutes from now by any calendar. The
storm instant is set instead: XUEJI_BENCH_STORM_FILE names a JSON file {"remind_at": ISO,
"due": ISO} which the bench writes once the worker is up. A clock that starts before `due` (a
case's first step) falls due at `due`, with its reminder at `remind_at` (the storm a working
day before); a plan that starts at or after it (the next escalation after the overdue alert) is
the real calendar's, days away, as in production. A workflow counts its due times in a window
of working days (workday_window); for a start before the storm instant the window here reaches
no day, so the workflow asks plan_deadline for that due time, which gives the storm's. Without
the file, every window and plan is the real one. The workflow code, the store, the notices and
the search attributes are the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from datetime import datetime
from pathlib import Path

from temporalio import activity
from temporalio.worker import Worker

import xueji.worker
from activities.calendar import CalendarActivities
from core.settings import get_settings
from core.telemetry import worker_runtime
from core.temporal import connect_with_retry, end_process
from domain.workdays import WorkdayWindow
from store.db import hand_over_the_interpreter_sooner
from workflows.messages.activities import DeadlinePlan, PlanRequest

STORM_FILE = "XUEJI_BENCH_STORM_FILE"


def storm_instants() -> tuple[datetime, datetime] | None:
    """(remind_at, due) of the storm, once the bench has set them."""
    path = os.environ.get(STORM_FILE)
    if not path or not Path(path).exists():
        return None
    instants = json.loads(Path(path).read_text())
    return datetime.fromisoformat(instants["remind_at"]), datetime.fromisoformat(instants["due"])


class StormCalendarActivities(CalendarActivities):
    @activity.defn(name="workday_window")
    async def workday_window(self, start: datetime) -> WorkdayWindow:
        instants = storm_instants()
        if instants is not None and start < instants[1]:
            return WorkdayWindow(first=start.date(), days="")  # reaches no day: plan_deadline
        return await super().workday_window(start)

    @activity.defn(name="plan_deadline")
    async def plan_deadline(self, request: PlanRequest) -> DeadlinePlan:
        instants = storm_instants()
        if instants is not None and request.start < instants[1]:
            remind_at, due = instants
            return DeadlinePlan(due=due, remind_at=remind_at, estimated=False)
        return await super().plan_deadline(request)


async def run_bare() -> None:
    from bare_workflows import BareDeadline, BareRetime, bare_alarm

    settings = get_settings()
    client = await connect_with_retry(settings, runtime=worker_runtime(settings))
    worker = Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[BareDeadline, BareRetime],
        activities=[bare_alarm],
    )
    async with worker:
        await asyncio.Event().wait()  # until the bench stops the process


if __name__ == "__main__":
    if "--bare" in sys.argv:
        hand_over_the_interpreter_sooner()  # as the real worker does
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_bare())
        end_process(0)
    xueji.worker.CalendarActivities = StormCalendarActivities  # type: ignore[misc]
    xueji.worker.main()
    end_process(0)
