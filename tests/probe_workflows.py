"""A probe workflow for tests: asks the real worker's activities on another task queue."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import Deadline, DeadlineRequest


@workflow.defn
class DeadlineProbe:
    @workflow.run
    async def run(self, task_queue: str, request: DeadlineRequest) -> Deadline:
        return await workflow.execute_activity(
            "compute_deadline",
            request,
            task_queue=task_queue,
            result_type=Deadline,
            start_to_close_timeout=timedelta(seconds=10),
        )
