"""OutboxDeliveryWorkflow: one delivery run of the notification outbox, started every minute by
a Temporal Schedule (xueji/schedules.py) instead of an operator's cron.

The run is one activity with Temporal's retries and a bounded backoff; the outbox rows it
claims make each notice leave once however runs and retries overlap (activities/notify.py).
A failed notice stays unsent with its attempts and last error, for the next run and for ops
(`xueji status`).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.activity_interfaces import OutboxActivityInterface
    from workflows.messages.activities import DeliveryReport

BATCH = 200  # notices a run sends at most; the rest wait for the next run

# A run that cannot reach the store is tried again soon, then left to the next minute's run.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=4,
)


@workflow.defn(name="OutboxDeliveryWorkflow")
class OutboxDeliveryWorkflow:
    @workflow.run
    async def run(self) -> DeliveryReport:
        """No input: the schedule's workflow id gets the time of each run appended, so a
        payload bound to the id it was written for (core/codec.py) would be refused."""
        return await workflow.execute_activity_method(
            OutboxActivityInterface.deliver_notifications,
            BATCH,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RETRY,
        )
