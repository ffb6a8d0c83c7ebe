"""DigestWorkflow: one run of the daily oversight digest (督办日报), started by the Temporal
Schedule `xueji-oversight-digest` every day at 08:30 Beijing time (xueji/schedules.py).

Deterministic: whether the day is a working day is the activity's to decide, by the
working-day calendar of the store (loaded years and estimates), so a calendar loaded later
changes the following runs and never a history.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.activity_interfaces import DigestActivityInterface
    from workflows.messages.digest import DigestRequest, DigestResult


@workflow.defn(name="DigestWorkflow")
class DigestWorkflow:
    @workflow.run
    async def run(self) -> DigestResult:
        return await workflow.execute_activity_method(
            DigestActivityInterface.send_digest,
            DigestRequest(at=workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
