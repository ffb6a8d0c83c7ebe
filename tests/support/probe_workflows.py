"""A probe workflow for tests: asks the real worker's activities on another task queue."""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.activity_interfaces import CalendarActivityInterface
    from workflows.messages.activities import DeadlinePlan, PlanRequest


@workflow.defn
class DeadlineProbe:
    @workflow.run
    async def run(self, task_queue: str, request: PlanRequest) -> DeadlinePlan:
        return await workflow.execute_activity_method(
            CalendarActivityInterface.plan_deadline,
            request,
            task_queue=task_queue,
            start_to_close_timeout=timedelta(seconds=10),
        )


@workflow.defn
class TimerProbe:
    """Sleeps on a durable timer, then returns the workflow time it woke at."""

    @workflow.run
    async def run(self, seconds: float) -> datetime:
        await asyncio.sleep(seconds)
        return workflow.now()


@workflow.defn(failure_exception_types=[Exception])
class ClockReader:
    """Reads the machine's clock in workflow code, which the sandbox must refuse."""

    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()
