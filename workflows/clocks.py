"""Working-day clocks inside workflow code: planning, waiting, reminding, escalating.

Deterministic: due times come from the `plan_deadline` activity, "now" from `workflow.now()`.
Every side effect (store, notifications) is a local activity, so a step costs few events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain.process import MAX_ESCALATION_LEVEL
    from workflows.messages import CaseRecord, Clock, DeadlinePlan, PlanRequest

T = TypeVar("T")
_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


class Alarm(StrEnum):
    REMINDER = "reminder"  # 临期提醒: one working day left
    OVERDUE = "overdue"  # 超期: the deadline has passed
    ESCALATED = "escalated"  # 超期督办 climbs one more level


ALARM_NAMES = {
    Alarm.REMINDER: "临期提醒",
    Alarm.OVERDUE: "超期督办",
    Alarm.ESCALATED: "超期督办升级",
}


async def call(name: str, arg: object, result_type: type[T]) -> T:
    """Run a worker-side look-up or write as a local activity (one marker event, retried)."""
    result: T = await workflow.execute_local_activity(
        name,
        arg,
        result_type=result_type,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=_RETRY,
    )
    return result


async def plan(start: datetime, working_days: int) -> DeadlinePlan:
    return await call(
        "plan_deadline", PlanRequest(start=start, working_days=working_days), DeadlinePlan
    )


async def record(entry: CaseRecord) -> None:
    await call("record_case", entry, type(None))


async def start_clock(key: str, label: str, unit: str, start: datetime, days: int) -> Clock:
    deadline = await plan(start, days)
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
    if clock.status != "open":
        return None
    if not clock.overdue:
        return clock.due if clock.reminded else clock.remind_at
    return clock.next_escalation_at


async def ring(clock: Clock, escalate_every: int) -> Alarm:
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
        clock.next_escalation_at = (await plan(after, escalate_every)).due
    else:
        clock.next_escalation_at = None
    return alarm


async def retime(clock: Clock, escalate_every: int) -> bool:
    """Re-plan an open clock after a calendar change; True if its due time moved."""
    if clock.status != "open":
        return False
    deadline = await plan(clock.started_at, clock.working_days)
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
            await plan(deadline.due, escalate_every * clock.escalation_level)
        ).due
    return True


def finish(clock: Clock, status: str) -> None:
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
