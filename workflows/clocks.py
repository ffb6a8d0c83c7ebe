"""Working-day clocks inside workflow code: planning, waiting, reminding, escalating.

Deterministic: due times are counted in the working days an activity handed the workflow
(`Planner`), "now" comes from `workflow.now()`. Every side effect (store, notifications) is a
local activity, so a stage costs few events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.process import MAX_ESCALATION_LEVEL
    from domain.records import CaseRecord, Clock, ClockStatus
    from domain.workdays import WorkdayWindow
    from workflows.activity_interfaces import CalendarActivityInterface, StoreActivityInterface
    from workflows.messages.activities import DeadlinePlan, PlanRequest

A = TypeVar("A")
R = TypeVar("R")
_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
# Due times are counted in workflow code, in a window of working days one activity hands it;
# histories from before asked the plan_deadline activity for each. A case asks for the patch
# once, first thing as it starts (workflows/complaint.py), and tells its slips in their input:
# asked just after a local activity, a patch can read as absent on replay, when the original
# workflow task ended right after that activity and recorded the patch in the next one.
COUNTED_HERE = "due-times-counted-in-workflow"


class Alarm(StrEnum):
    REMINDER = "reminder"  # 临期提醒: one working day left
    OVERDUE = "overdue"  # 超期: the deadline has passed
    ESCALATED = "escalated"  # 超期督办 climbs one more level


ALARM_NAMES = {
    Alarm.REMINDER: "临期提醒",
    Alarm.OVERDUE: "超期督办",
    Alarm.ESCALATED: "超期督办升级",
}


async def call(activity: Callable[[Any, A], Awaitable[R]], arg: A) -> R:
    """Run a worker-side look-up or write (a method of workflows/activity_interfaces.py) as a
    local activity: one marker event, retried."""
    return await workflow.execute_local_activity_method(
        activity, arg, start_to_close_timeout=timedelta(seconds=30), retry_policy=_RETRY
    )


class Planner:
    """The due times of one workflow's clocks.

    With `counting` (COUNTED_HERE) they are counted in the window of working days it holds
    (WorkdayWindow): asked of the calendar activity (one local activity) when it holds none
    that reaches, forgotten when the calendar changes. Without it (histories from before), and
    where even a new window does not reach or the calendar refuses the request, the calendar
    activity plans the due time itself (and says why it refuses).
    """

    def __init__(self, *, counting: bool = False) -> None:
        self.counting = counting
        self.window: WorkdayWindow | None = None

    def calendar_changed(self) -> None:
        self.window = None

    async def plan(self, start: datetime, working_days: int) -> DeadlinePlan:
        if self.counting:
            planned = self.window.plan(start, working_days) if self.window else None
            if planned is None:
                self.window = await call(CalendarActivityInterface.workday_window, start)
                planned = self.window.plan(start, working_days)
            if planned is not None:
                due, remind_at, estimated = planned
                return DeadlinePlan(due=due, remind_at=remind_at, estimated=estimated)
        return await call(
            CalendarActivityInterface.plan_deadline,
            PlanRequest(start=start, working_days=working_days),
        )


async def record(entry: CaseRecord) -> None:
    await call(StoreActivityInterface.record_case, entry)


async def start_clock(
    planner: Planner, key: str, label: str, unit: str, start: datetime, days: int
) -> Clock:
    return planned_clock(key, label, unit, start, days, await planner.plan(start, days))


def planned_clock(
    key: str, label: str, unit: str, start: datetime, days: int, deadline: DeadlinePlan
) -> Clock:
    """A clock of `days` working days from `start`, due as `deadline` says."""
    return Clock(
        key=key,
        label=label,
        unit=unit,
        started_at=start,
        due=deadline.due,
        remind_at=deadline.remind_at,
        estimated=deadline.estimated,
        working_days=days,
    )


def next_alarm(clock: Clock) -> datetime | None:
    """When this clock next needs attention, or None once met, stopped or fully escalated."""
    if clock.status != ClockStatus.OPEN:
        return None
    if not clock.overdue:
        return clock.due if clock.reminded else clock.remind_at
    return clock.next_escalation_at


async def ring(planner: Planner, clock: Clock, escalate_every: int) -> Alarm:
    """Advance the clock past its alarm that has come; say which one it was."""
    if not clock.overdue and not clock.reminded and workflow.now() < clock.due:
        clock.reminded = True
        return Alarm.REMINDER
    if not clock.overdue:
        clock.reminded = True
        clock.overdue = True
        clock.escalation_level = 1
        alarm = Alarm.OVERDUE
    else:
        clock.escalation_level += 1
        alarm = Alarm.ESCALATED
    if clock.escalation_level < MAX_ESCALATION_LEVEL:
        after = clock.next_escalation_at or clock.due
        clock.next_escalation_at = (await planner.plan(after, escalate_every)).due
    else:
        clock.next_escalation_at = None
    return alarm


async def retime(planner: Planner, clock: Clock, escalate_every: int) -> bool:
    """Re-plan an open clock after a calendar change (the planner has forgotten its window);
    True if its due time moved."""
    if clock.status != ClockStatus.OPEN:
        return False
    deadline = await planner.plan(clock.started_at, clock.working_days)
    if (deadline.due, deadline.remind_at, deadline.estimated) == (
        clock.due,
        clock.remind_at,
        clock.estimated,
    ):
        return False
    now = workflow.now()
    clock.due, clock.remind_at, clock.estimated = (
        deadline.due,
        deadline.remind_at,
        deadline.estimated,
    )
    if deadline.remind_at > now:
        clock.reminded = False
    if deadline.due > now:
        clock.overdue, clock.escalation_level, clock.next_escalation_at = False, 0, None
    elif clock.overdue:
        # Still overdue: the next climb counts from the new due time.
        clock.next_escalation_at = (
            await planner.plan(deadline.due, escalate_every * clock.escalation_level)
        ).due
    return True


def finish(clock: Clock, status: ClockStatus) -> None:
    clock.status = status
    clock.finished_at = workflow.now()
    clock.next_escalation_at = None


async def wait_until(moment: datetime | None, woken: Callable[[], bool]) -> bool:
    """Wait until `woken()` or `moment`; True if woken, False if the moment came.

    A deadline wait always has a timeout and always catches its expiry (an uncaught
    TimeoutError would fail the workflow in this SDK version).
    """
    if moment is None:
        await workflow.wait_condition(woken)
        return True
    remaining = moment - workflow.now()
    if remaining <= timedelta(0):
        return woken()
    try:
        await workflow.wait_condition(woken, timeout=remaining)
    except TimeoutError:
        return woken()
    return True
