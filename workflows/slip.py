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
    from workflows.messages.slip import (
        AssignSlip,
        ReturnSlip,
        SlipAlarm,
        SlipAnswer,
        SlipInput,
        SlipResult,
    )

# Slips pass each level in turn, every hop recorded at its own time (before: all at once).
HOPS_IN_TURN = "slip-hops-in-turn"
# The hops of one passage happen in one workflow task, at one time: one record carries them
# with the receipt (or the answer) instead of one record per hop (before: one per hop).
ONE_RECORD = "slip-one-record-per-passage"


@workflow.defn(name="SlipWorkflow")
class SlipWorkflow:
    @workflow.init
    def __init__(self, input: SlipInput) -> None:
        self._input = input
        self._slip = input.slip
        self._answer: SlipAnswer | None = None
        self._cancel_reason: str | None = None
        self._calendar_changes = 0
        # Counts the due times of the clock's alert climbs.
        self._planner = clocks.Planner(counting=input.count_due_times)
        self._assignments = 0
        self._finished = False  # returned (or cancelled) and back at the issuer

    @workflow.run
    async def run(self, input: SlipInput) -> SlipResult:
        slip, clock = self._slip, self._slip.clock
        assert clock is not None, "the complaint workflow issues a slip with its clock"
        name = SLIP_NAMES[slip.kind]
        received = TimelineEntry(
            key=f"{slip.slip_id}:received",
            at=slip.sent_at,
            kind="slip_received",
            unit=slip.addressee,
            text=f"{slip.addressee} 收到{name} {slip.slip_id}，"
            f"应于 {clock.due:%Y-%m-%d %H:%M} 前反馈",
        )
        notice = Notice(
            key=f"{slip.slip_id}:received",
            kind="slip_received",
            unit=slip.addressee,
            text=f"请办理{name} {slip.slip_id}，办理期限 {clock.due:%Y-%m-%d %H:%M}",
        )
        notices = [notice]
        if workflow.patched(ONE_RECORD):
            timeline, notices = self._passage(list(itertools.pairwise(slip.route)), "sent")
            received.at = workflow.now()
            timeline.append(received)
            notices.append(notice)
        elif workflow.patched(HOPS_IN_TURN):
            await self._travel(list(itertools.pairwise(slip.route)), "sent")
            received.at = workflow.now()
            timeline = [received]
        else:  # histories from before: every hop at the time of sending, in one record
            slip.hops = [
                Hop(from_unit=a, to_unit=b, at=slip.sent_at)
                for a, b in itertools.pairwise(slip.route)
            ]
            timeline = [*self._hop_entries("sent", slip.hops), received]
        await clocks.record(
            CaseRecord(
                complaint_id=input.complaint_id,
                slips=[SlipRecord(slip=slip, instructions=input.instructions)],
                clocks=[clock],
                timeline=timeline,
                notices=notices,
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
                self._planner.calendar_changed()
                if await clocks.retime(self._planner, clock, input.escalate_every):
                    await self._report_clock()
                continue
            if not woken:
                alarm = await clocks.ring(self._planner, clock, input.escalate_every)
                await self._alarm(alarm)
        if self._answer is None:
            result = await self._cancelled()
        else:
            result = await self._returned(self._answer)
        self._finished = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return result

    @workflow.update
    async def return_slip(self, action: ReturnSlip) -> SlipState:
        """The addressee returns the slip; answered once it has gone back up the route."""
        self._answer = SlipAnswer(
            response=action.response, answered_at=workflow.now(), actor=action.actor
        )
        await workflow.wait_condition(lambda: self._finished)
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

    @workflow.update
    async def assign(self, action: AssignSlip) -> SlipState:
        """The addressee names its person in charge of the slip (承办人)."""
        slip = self._slip
        previous, slip.assignee = slip.assignee, action.assignee
        text = f"{slip.addressee} {SLIP_NAMES[slip.kind]} {slip.slip_id} 承办人" + (
            f"由 {previous} 改为 {action.assignee}" if previous else f"：{action.assignee}"
        )
        self._assignments += 1
        await clocks.record(
            CaseRecord(
                complaint_id=self._input.complaint_id,
                slips=[SlipRecord(slip=slip)],
                timeline=[
                    TimelineEntry(
                        key=f"{slip.slip_id}:assignee:{self._assignments}",
                        at=workflow.now(),
                        kind="slip_assignee",
                        unit=slip.addressee,
                        text=text,
                        actor=action.actor,
                        note=action.reason,
                    )
                ],
                notices=[
                    Notice(
                        key=f"{slip.slip_id}:assignee:{self._assignments}",
                        kind="assignee",
                        unit=slip.addressee,
                        person=action.assignee,
                        text=f"{SLIP_NAMES[slip.kind]} {slip.slip_id} 已指定承办人",
                    )
                ],
            )
        )
        return slip

    @assign.validator
    def _check_assign(self, action: AssignSlip) -> None:
        slip = self._slip
        name = f"{SLIP_NAMES[slip.kind]} {slip.slip_id}"
        if action.slip_id != slip.slip_id:
            raise ActionRefused(f"本单编号为 {slip.slip_id}，不是 {action.slip_id}", UNKNOWN_SLIP)
        if (
            self._answer is not None
            or self._cancel_reason is not None
            or (slip.status != SlipStatus.OPEN)
        ):
            raise ActionRefused(f"{name} 已办结，不能再指定承办人", ALREADY_DONE)
        if action.actor_unit != slip.addressee:
            raise ActionRefused(f"{name} 应由 {slip.addressee} 指定承办人", WRONG_UNIT)
        if not action.assignee.strip():
            raise ActionRefused("assignee：承办人不能为空", INVALID_INPUT)
        if action.assignee == slip.assignee:
            raise ActionRefused(f"assignee：承办人已是 {slip.assignee}", ALREADY_DONE)
        if slip.assignee and not action.reason.strip():
            raise ActionRefused("reason：更换承办人须说明理由", INVALID_INPUT)

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
        slip.returned_by = answer.actor
        name = SLIP_NAMES[slip.kind]
        late = "（超期）" if clock.overdue else ""
        answered = TimelineEntry(
            key=f"{slip.slip_id}:answered",
            at=answer.answered_at,
            kind="slip_answered",
            unit=slip.addressee,
            text=f"{slip.addressee} 反馈{name} {slip.slip_id}{late}",
            actor=answer.actor,
        )
        returned = Notice(
            key=f"{slip.slip_id}:returned",
            kind="slip_returned",
            unit=slip.issuer,
            text=f"{name} {slip.slip_id} 已由 {slip.addressee} 反馈",
        )
        back = list(itertools.pairwise(reversed(slip.route)))
        record = CaseRecord(
            complaint_id=self._input.complaint_id,
            slips=[SlipRecord(slip=slip, response=answer.response)],
            clocks=[clock],
        )
        if workflow.patched(ONE_RECORD):
            hops, record.notices = self._passage(back, "returned", last_notice=returned)
            record.timeline = [answered, *hops]
            await clocks.record(record)
        elif workflow.patched(HOPS_IN_TURN):
            record.timeline = [answered]
            await clocks.record(record)
            await self._travel(back, "returned", last_notice=returned)
        else:  # histories from before: every hop at the time of answering, in one record
            slip.hops += [Hop(from_unit=a, to_unit=b, at=answer.answered_at) for a, b in back]
            record.timeline = [answered, *self._hop_entries("returned", slip.hops[-len(back) :])]
            record.notices = [returned]
            await clocks.record(record)
        return SlipResult(slip=slip, response=answer.response)

    def _passage(
        self,
        hops: list[tuple[str, str]],
        direction: str,
        *,
        last_notice: Notice | None = None,
        start: int = 0,
    ) -> tuple[list[TimelineEntry], list[Notice]]:
        """Pass the slip along `hops` level by level (逐级): each hop on the slip and in the
        timeline, each bureau in between told; `last_notice` goes with the last hop."""
        slip = self._slip
        name = SLIP_NAMES[slip.kind]
        end = slip.addressee if direction == "sent" else slip.issuer
        verb = "下发" if direction == "sent" else "报送"
        entries: list[TimelineEntry] = []
        notices: list[Notice] = []
        for index, (from_unit, to_unit) in enumerate(hops):
            hop = Hop(from_unit=from_unit, to_unit=to_unit, at=workflow.now())
            slip.hops.append(hop)
            (entry,) = self._hop_entries(direction, [hop], start=start + index)
            entries.append(entry)
            if to_unit != end:
                notices.append(
                    Notice(
                        key=entry.key,
                        kind="slip_passed",
                        unit=to_unit,
                        text=f"{name} {slip.slip_id} 经本单位{verb}：{from_unit} → {to_unit}",
                    )
                )
            elif last_notice is not None:
                notices.append(last_notice)
        return entries, notices

    async def _travel(
        self, hops: list[tuple[str, str]], direction: str, *, last_notice: Notice | None = None
    ) -> None:
        """Histories from before ONE_RECORD: the same passage, one record per hop."""
        for index, pair in enumerate(hops):
            entries, notices = self._passage(
                [pair],
                direction,
                last_notice=last_notice if index == len(hops) - 1 else None,
                start=index,
            )
            # Going down, each record carries the instructions: the slip is readable in full
            # by the units it has reached.
            instructions = self._input.instructions if direction == "sent" else None
            await clocks.record(
                CaseRecord(
                    complaint_id=self._input.complaint_id,
                    slips=[SlipRecord(slip=self._slip, instructions=instructions)],
                    timeline=entries,
                    notices=notices,
                )
            )

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
                        person=slip.assignee,
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

    def _hop_entries(
        self, direction: str, hops: list[Hop], *, start: int = 0
    ) -> list[TimelineEntry]:
        name = SLIP_NAMES[self._slip.kind]
        verb = "逐级下发" if direction == "sent" else "逐级反馈"
        return [
            TimelineEntry(
                key=f"{self._slip.slip_id}:{direction}:{start + index}",
                at=hop.at,
                kind=f"slip_{direction}",
                unit=hop.to_unit,
                text=f"{name} {self._slip.slip_id} {verb}：{hop.from_unit} → {hop.to_unit}",
            )
            for index, hop in enumerate(hops)
        ]
