"""SlipWorkflow: one verification slip (核查单) or supervision slip (督办单), a child of its case.

The slip travels from the handling unit down the route to its addressee, level by level, each
hop recorded; the addressee's working-day clock runs from receipt, with reminder and climbing
overdue alerts; when the complaint workflow passes on the addressee's answer, the slip goes
back up the same route and the child returns it.
"""

from __future__ import annotations

import itertools

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import SLIP_NAMES
    from domain.records import (
        CaseRecord,
        ClockStatus,
        Hop,
        Notice,
        SlipRecord,
        SlipState,
        SlipStatus,
        TimelineEntry,
    )
    from workflows import clocks
    from workflows.clocks import ALARM_NAMES, Alarm
    from workflows.errors import (
        ALREADY_DONE,
        INVALID_INPUT,
        UNKNOWN_SLIP,
        WRONG_UNIT,
        ActionRefused,
    )
    from workflows.messages.slip import ReturnSlip, SlipAlarm, SlipAnswer, SlipInput, SlipResult


@workflow.defn(name="SlipWorkflow")
class SlipWorkflow:
    @workflow.init
    def __init__(self, input: SlipInput) -> None:
        self._input = input
        self._slip = input.slip
        self._answer: SlipAnswer | None = None
        self._cancel_reason: str | None = None
        self._calendar_changes = 0

    @workflow.run
    async def run(self, input: SlipInput) -> SlipResult:
        slip, clock = self._slip, self._slip.clock
        assert clock is not None, "the complaint workflow issues a slip with its clock"
        name = SLIP_NAMES[slip.kind]
        slip.hops = [
            Hop(from_unit=a, to_unit=b, at=slip.sent_at) for a, b in itertools.pairwise(slip.route)
        ]
        await clocks.record(
            CaseRecord(
                complaint_id=input.complaint_id,
                slips=[SlipRecord(slip=slip, instructions=input.instructions)],
                clocks=[clock],
                timeline=[
                    *self._hop_entries("sent", slip.hops),
                    TimelineEntry(
                        key=f"{slip.slip_id}:received",
                        at=slip.sent_at,
                        kind="slip_received",
                        unit=slip.addressee,
                        text=f"{slip.addressee} 收到{name} {slip.slip_id}，"
                        f"应于 {clock.due:%Y-%m-%d %H:%M} 前反馈",
                    ),
                ],
                notices=[
                    Notice(
                        key=f"{slip.slip_id}:received",
                        kind="slip_received",
                        unit=slip.addressee,
                        text=f"请办理{name} {slip.slip_id}，办理期限 {clock.due:%Y-%m-%d %H:%M}",
                    )
                ],
            )
        )
        while self._answer is None and self._cancel_reason is None:
            seen = self._calendar_changes
            woken = await clocks.wait_until(
                clocks.next_alarm(clock),
                lambda seen=seen: (  # type: ignore[misc]
                    self._answer is not None
                    or self._cancel_reason is not None
                    or self._calendar_changes != seen
                ),
            )
            if self._calendar_changes != seen:
                if await clocks.retime(clock, input.escalate_every):
                    await self._report_clock()
                continue
            if not woken:
                alarm = await clocks.ring(clock, input.escalate_every)
                await self._alarm(alarm)
        if self._answer is None:
            result = await self._cancelled()
        else:
            result = await self._returned(self._answer)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    @workflow.update
    async def return_slip(self, action: ReturnSlip) -> SlipState:
        """The addressee returns the slip; answered once it has gone back up the route."""
        self._answer = SlipAnswer(response=action.response, answered_at=workflow.now())
        await workflow.wait_condition(lambda: self._slip.status != SlipStatus.OPEN)
        return self._slip

    @return_slip.validator
    def _check_return(self, action: ReturnSlip) -> None:
        slip = self._slip
        name = SLIP_NAMES[slip.kind]
        if action.slip_id != slip.slip_id:
            raise ActionRefused(f"本单编号为 {slip.slip_id}，不是 {action.slip_id}", UNKNOWN_SLIP)
        if self._answer is not None or slip.status == SlipStatus.RETURNED:
            raise ActionRefused(f"{name} {slip.slip_id} 已反馈", ALREADY_DONE)
        if self._cancel_reason is not None or slip.status == SlipStatus.CANCELLED:
            raise ActionRefused(f"{name} {slip.slip_id} 已撤销", ALREADY_DONE)
        if action.actor_unit != slip.addressee:
            raise ActionRefused(f"{name} {slip.slip_id} 应由 {slip.addressee} 反馈", WRONG_UNIT)
        if not action.response.strip():
            raise ActionRefused("response：反馈内容不能为空", INVALID_INPUT)

    @workflow.signal
    def cancel(self, reason: str) -> None:
        if self._answer is None and self._cancel_reason is None:
            self._cancel_reason = reason

    @workflow.signal
    def calendar_changed(self) -> None:
        self._calendar_changes += 1

    async def _returned(self, answer: SlipAnswer) -> SlipResult:
        slip, clock = self._slip, self._slip.clock
        assert clock is not None
        clocks.finish(clock, ClockStatus.MET)
        clock.finished_at = answer.answered_at
        slip.status, slip.returned_at = SlipStatus.RETURNED, answer.answered_at
        back = list(reversed(slip.route))
        hops_up = [
            Hop(from_unit=a, to_unit=b, at=answer.answered_at) for a, b in itertools.pairwise(back)
        ]
        slip.hops += hops_up
        late = "（超期）" if clock.overdue else ""
        await clocks.record(
            CaseRecord(
                complaint_id=self._input.complaint_id,
                slips=[SlipRecord(slip=slip, response=answer.response)],
                clocks=[clock],
                timeline=[
                    TimelineEntry(
                        key=f"{slip.slip_id}:answered",
                        at=answer.answered_at,
                        kind="slip_answered",
                        unit=slip.addressee,
                        text=f"{slip.addressee} 反馈{SLIP_NAMES[slip.kind]} {slip.slip_id}{late}",
                    ),
                    *self._hop_entries("returned", hops_up),
                ],
                notices=[
                    Notice(
                        key=f"{slip.slip_id}:returned",
                        kind="slip_returned",
                        unit=slip.issuer,
                        text=f"{SLIP_NAMES[slip.kind]} {slip.slip_id} 已由 {slip.addressee} 反馈",
                    )
                ],
            )
        )
        return SlipResult(slip=slip, response=answer.response)

    async def _cancelled(self) -> SlipResult:
        slip, clock = self._slip, self._slip.clock
        assert clock is not None
        clocks.finish(clock, ClockStatus.STOPPED)
        slip.status = SlipStatus.CANCELLED
        await clocks.record(
            CaseRecord(
                complaint_id=self._input.complaint_id,
                slips=[SlipRecord(slip=slip)],
                clocks=[clock],
                timeline=[
                    TimelineEntry(
                        key=f"{slip.slip_id}:cancelled",
                        at=workflow.now(),
                        kind="slip_cancelled",
                        unit=slip.addressee,
                        text=f"{SLIP_NAMES[slip.kind]} {slip.slip_id} 已撤销："
                        f"{self._cancel_reason}",
                    )
                ],
            )
        )
        return SlipResult(slip=slip, response="")

    async def _alarm(self, alarm: Alarm) -> None:
        slip, clock = self._slip, self._slip.clock
        assert clock is not None
        key = f"{slip.slip_id}:{alarm.value}:{clock.escalation_level}"
        text = (
            f"{ALARM_NAMES[alarm]}：{SLIP_NAMES[slip.kind]} {slip.slip_id} "
            f"办理期限 {clock.due:%Y-%m-%d %H:%M}"
        )
        await clocks.record(
            CaseRecord(
                complaint_id=self._input.complaint_id,
                clocks=[clock],
                slips=[SlipRecord(slip=slip)],
                timeline=[
                    TimelineEntry(
                        key=key, at=workflow.now(), kind=alarm.value, unit=slip.addressee, text=text
                    )
                ],
                notices=[
                    Notice(
                        key=key,
                        kind=alarm.value,
                        unit=slip.addressee,
                        climb=clock.escalation_level,
                        text=text,
                    )
                ],
            )
        )
        await self._report_clock()

    async def _report_clock(self) -> None:
        """Tell the complaint workflow, which shows the slip's clock and raises the alert flag."""
        assert self._slip.clock is not None
        parent = workflow.info().parent
        if parent is None:
            return
        await workflow.get_external_workflow_handle(parent.workflow_id).signal(
            "slip_clock", SlipAlarm(slip_id=self._slip.slip_id, clock=self._slip.clock)
        )

    def _hop_entries(self, direction: str, hops: list[Hop]) -> list[TimelineEntry]:
        name = SLIP_NAMES[self._slip.kind]
        verb = "逐级下发" if direction == "sent" else "逐级反馈"
        return [
            TimelineEntry(
                key=f"{self._slip.slip_id}:{direction}:{index}",
                at=hop.at,
                kind=f"slip_{direction}",
                unit=hop.to_unit,
                text=f"{name} {self._slip.slip_id} {verb}：{hop.from_unit} → {hop.to_unit}",
            )
            for index, hop in enumerate(hops)
        ]
