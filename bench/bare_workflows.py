"""Bare Temporal workflows shaped like a complaint's happy path, the baseline of lifecycle.py.

The same client round trips as ComplaintWorkflow's happy path: four updates on the parent, a
child for each slip with one update each (two, then one), a query to see the step move on
once the children are back, and the result. No activities, no store, no clocks, no search
attributes: what remains is Temporal itself. The baselines of storm.py and retime.py below:
the same timers, one local activity and one search-attribute upsert per alarm or re-timing.
In a module of its own: a workflow defined in a script fails the sandbox's validation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from workflows import search_attributes as sa


@workflow.defn(name="BareSlip")
class BareSlip:
    @workflow.init
    def __init__(self) -> None:
        self._answer: str | None = None

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self._answer is not None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._answer or ""

    @workflow.update
    def answer(self, text: str) -> str:
        self._answer = text
        return text


@workflow.defn(name="BareCase")
class BareCase:
    @workflow.init
    def __init__(self) -> None:
        self._stage = "verify_issue"
        self._slips = 0
        self._waiting: list[asyncio.Task[None]] = []

    @workflow.run
    async def run(self) -> str:
        await workflow.wait_condition(lambda: self._stage == "closed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._stage

    @workflow.query
    def stage(self) -> str:
        return self._stage

    @workflow.update
    async def issue(self, addressees: list[str]) -> str:
        await self._send(addressees, "V", "verification", then="opinion")
        return self._stage

    @issue.validator
    def _check_issue(self, addressees: list[str]) -> None:
        self._require("verify_issue")

    @workflow.update
    async def decide(self, executing_units: list[str]) -> str:
        await self._send(executing_units, "S", "execution", then="confirmation")
        return self._stage

    @decide.validator
    def _check_decide(self, executing_units: list[str]) -> None:
        self._require("opinion")

    @workflow.update
    def confirm(self) -> str:
        self._stage = "informing"
        return self._stage

    @confirm.validator
    def _check_confirm(self) -> None:
        self._require("confirmation")

    @workflow.update
    def inform(self) -> str:
        self._stage = "closed"
        return self._stage

    @inform.validator
    def _check_inform(self) -> None:
        self._require("informing")

    def _require(self, stage: str) -> None:
        if self._stage != stage:
            raise ValueError(f"at {self._stage}, not {stage}")

    async def _send(self, addressees: list[str], prefix: str, stage: str, *, then: str) -> None:
        parent = workflow.info().workflow_id
        children = [
            await workflow.start_child_workflow(BareSlip.run, id=f"{parent}.{prefix}{number}")
            for number in range(1, len(addressees) + 1)
        ]
        self._stage = stage
        self._waiting.append(asyncio.create_task(self._collect(children, then)))

    async def _collect(
        self, children: list[workflow.ChildWorkflowHandle[BareSlip, str]], then: str
    ) -> None:
        await asyncio.gather(*children)
        self._stage = then


@workflow.defn(name="BareIntake")
class BareIntake:
    """The baseline of intake.py: a workflow that returns at once."""

    @workflow.run
    async def run(self) -> str:
        return "registered"


@activity.defn(name="bare_alarm")
async def bare_alarm(kind: str) -> str:
    """The baselines' one activity per alarm or re-timing: it does nothing but answer."""
    return kind


@dataclass
class BareClock:
    remind_at: datetime
    due: datetime


@workflow.defn(name="BareDeadline")
class BareDeadline:
    """The baseline of storm.py: a clock's two alarms, each a timer, one local activity (as
    xueji's side effects are local activities) and one search-attribute upsert: the reminder
    marks ComplaintStage "reminded", the due time Overdue = true (ComplaintStage "waiting"
    from the start shows the bench that the timers are armed). No store, no notices. It then
    waits, as a case waits for its next escalation."""

    @workflow.run
    async def run(self, clock: BareClock) -> str:
        workflow.upsert_search_attributes([sa.COMPLAINT_STAGE.value_set("waiting")])
        await self._alarm(clock.remind_at, "reminder")
        workflow.upsert_search_attributes([sa.COMPLAINT_STAGE.value_set("reminded")])
        await self._alarm(clock.due, "overdue")
        workflow.upsert_search_attributes([sa.OVERDUE.value_set(True)])
        await workflow.wait_condition(lambda: False)
        return "overdue"

    async def _alarm(self, moment: datetime, kind: str) -> None:
        await workflow.sleep(max(timedelta(seconds=0), moment - workflow.now()))
        await workflow.execute_local_activity(
            bare_alarm, kind, start_to_close_timeout=timedelta(seconds=30)
        )


@workflow.defn(name="BareRetime")
class BareRetime:
    """The baseline of retime.py: a timer armed for a due time, shown as StageDue; the signal
    `calendar_changed` runs one local activity (the re-plan), upserts the new due time and
    arms the timer again."""

    @workflow.init
    def __init__(self, due: datetime) -> None:
        self._due = due
        self._told = 0

    @workflow.run
    async def run(self, due: datetime) -> str:
        self._show_due()  # as a case shows its first deadline
        while True:
            told = self._told
            try:
                await workflow.wait_condition(
                    lambda told=told: self._told != told,  # type: ignore[misc]
                    timeout=self._due - workflow.now(),
                )
            except TimeoutError:
                return "due"
            await workflow.execute_local_activity(
                bare_alarm, "retime", start_to_close_timeout=timedelta(seconds=30)
            )
            self._due += timedelta(days=1)
            self._show_due()

    def _show_due(self) -> None:
        # In UTC, as xueji's due times come: the dev server's visibility compares the text.
        workflow.upsert_search_attributes([sa.STAGE_DUE.value_set(self._due.astimezone(UTC))])

    @workflow.signal
    def calendar_changed(self) -> None:
        self._told += 1
