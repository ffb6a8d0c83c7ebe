"""ComplaintWorkflow: one complaint from registration to closing (DESIGN §5).

Workflow id = the complaint id. Staff act through Updates (validated: a refused action is
answered at once and changes nothing), disputes, withdrawal and calendar changes arrive as
Signals (recorded, and refused in the timeline when they do not apply), Queries give the live
state. Each slip runs as a SlipWorkflow child with its own clock. The handling unit's own
steps have clocks here; all due times come from the calendar activity.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.process import (
        DISPUTABLE,
        SLIP_NAMES,
        STAGE_NAMES,
        TERMINAL,
        SlipKind,
        Stage,
        first_stage,
    )
    from workflows import clocks
    from workflows import search_attributes as sa
    from workflows.clocks import ALARM_NAMES, Alarm
    from workflows.errors import (
        ALREADY_DONE,
        INVALID_INPUT,
        UNKNOWN_UNIT,
        WRONG_STEP,
        WRONG_UNIT,
        Refused,
    )
    from workflows.messages import (
        CaseRecord,
        CaseSnapshot,
        CaseView,
        Clock,
        ComplaintInput,
        ConfirmResult,
        DecideOpinion,
        Dispute,
        Hop,
        InformComplainant,
        IssueSlips,
        Notice,
        PathRequest,
        RaiseDispute,
        Registration,
        Rework,
        RouteRequest,
        Routing,
        RuleDispute,
        RulingRequest,
        SlipAlarm,
        SlipInput,
        SlipResult,
        SlipState,
        TimelineEntry,
        Withdraw,
    )
    from workflows.slip import SlipWorkflow

_UNIT_OR_SCHOOL = re.compile(r"\d{6}|\d{10}")
_SLIP_PREFIX = {SlipKind.VERIFICATION: "V", SlipKind.SUPERVISION: "S"}


def _codes(field: str, codes: list[str], *, required: bool) -> None:
    if required and not codes:
        raise Refused(f"{field}：至少需要一个单位", INVALID_INPUT)
    for code in codes:
        if not _UNIT_OR_SCHOOL.fullmatch(code):
            raise Refused(f"{field}：“{code}”不是 6 位单位代码或 10 位学校标识码", INVALID_INPUT)
    if len(set(codes)) != len(codes):
        raise Refused(f"{field}：单位重复", INVALID_INPUT)


def _reason(exc: ActivityError | ApplicationError) -> str:
    """The look-up's own message (it names the code); local activities raise it unwrapped."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    return cause.message if isinstance(cause, ApplicationError) else "单位代码无法识别"


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, input: ComplaintInput) -> None:
        self._input = input
        self._policy = input.policy
        self._stage = Stage.REGISTERED
        self._handling = input.receiving_unit
        self._province = ""
        self._route: list[str] = [input.receiving_unit]
        self._related: list[str] = []
        self._clocks: list[Clock] = []
        self._clock: Clock | None = None  # the handling (or ruling) unit's open step clock
        self._slips: dict[str, SlipState] = {}
        self._children: dict[str, workflow.ChildWorkflowHandle[Any, SlipResult]] = {}
        self._settled: set[str] = set()  # slips whose return (or cancellation) is processed
        self._round = 0
        self._disputes: list[Dispute] = []
        self._inbox: list[tuple[str, Any]] = []
        self._outcome = ""
        self._seq = 0
        self._version = 0
        self._published: dict[str, object] = {}
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, input: ComplaintInput) -> CaseView:
        await self._register()
        while self._stage not in TERMINAL:
            if self._inbox:
                name, message = self._inbox.pop(0)
                async with self._lock:
                    await self._handle_signal(name, message)
                continue
            clock, seen = self._clock, self._version
            woken = await clocks.wait_until(
                clocks.next_alarm(clock) if clock else None,
                lambda seen=seen: self._version != seen or bool(self._inbox),  # type: ignore[misc]
            )
            if not woken and clock is not None:
                async with self._lock:
                    if clock is self._clock and clock.status == "open":
                        await self._alarm(
                            clock, await clocks.ring(clock, self._policy.escalate_every)
                        )
        await workflow.wait_condition(lambda: self._settled == set(self._slips))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._view()

    # ------------------------------------------------------------------ queries and signals

    @workflow.query
    def state(self) -> CaseView:
        return self._view()

    @workflow.signal
    def raise_dispute(self, request: RaiseDispute) -> None:
        self._post("raise_dispute", request)

    @workflow.signal
    def rule_dispute(self, request: RuleDispute) -> None:
        self._post("rule_dispute", request)

    @workflow.signal
    def withdraw(self, request: Withdraw) -> None:
        self._post("withdraw", request)

    @workflow.signal
    def calendar_changed(self) -> None:
        self._post("calendar_changed", None)

    @workflow.signal
    def slip_clock(self, alarm: SlipAlarm) -> None:
        slip = self._slips.get(alarm.slip_id)
        if slip is not None and slip.status == "open":
            slip.clock = alarm.clock
            self._publish()

    def _post(self, name: str, message: Any) -> None:
        if self._stage not in TERMINAL:
            self._inbox.append((name, message))

    async def _handle_signal(self, name: str, message: Any) -> None:
        if self._stage in TERMINAL:
            return
        if name == "raise_dispute":
            await self._raise_dispute(message)
        elif name == "rule_dispute":
            await self._rule_dispute(message)
        elif name == "withdraw":
            await self._withdraw(message)
        elif name == "calendar_changed":
            await self._calendar_changed()

    # ------------------------------------------------------------------ updates

    @workflow.update
    async def issue_verification(self, action: IssueSlips) -> CaseView:
        async with self._lock:
            self._check_verification(action)
            await self._issue(SlipKind.VERIFICATION, action.addressees, action.instructions)
            return self._view()

    @issue_verification.validator
    def _check_verification(self, action: IssueSlips) -> None:
        self._require(Stage.VERIFY_ISSUE, action.actor_unit)
        _codes("addressees", action.addressees, required=True)

    @workflow.update
    async def decide_opinion(self, action: DecideOpinion) -> CaseView:
        async with self._lock:
            self._check_opinion(action)
            if action.executing_units:
                await self._issue(SlipKind.SUPERVISION, action.executing_units, action.opinion)
            else:
                await self._to_stage(
                    Stage.INFORMING, "办理意见：无需处理，待告知投诉人", "nothing_to_do"
                )
            return self._view()

    @decide_opinion.validator
    def _check_opinion(self, action: DecideOpinion) -> None:
        self._require(Stage.OPINION, action.actor_unit)
        if not action.opinion.strip():
            raise Refused("opinion：办理意见不能为空", INVALID_INPUT)
        _codes("executing_units", action.executing_units, required=False)

    @workflow.update
    async def confirm_result(self, action: ConfirmResult) -> CaseView:
        async with self._lock:
            self._check_confirm(action)
            await self._to_stage(Stage.INFORMING, "处理结果已确认，待告知投诉人", "confirmed")
            return self._view()

    @confirm_result.validator
    def _check_confirm(self, action: ConfirmResult) -> None:
        self._require(Stage.CONFIRMATION, action.actor_unit)

    @workflow.update
    async def rework(self, action: Rework) -> CaseView:
        async with self._lock:
            self._check_rework(action)
            await self._issue(SlipKind.SUPERVISION, action.executing_units, action.instructions)
            return self._view()

    @rework.validator
    def _check_rework(self, action: Rework) -> None:
        self._require(Stage.CONFIRMATION, action.actor_unit)
        _codes("executing_units", action.executing_units, required=True)

    @workflow.update
    async def inform_complainant(self, action: InformComplainant) -> CaseView:
        async with self._lock:
            self._check_inform(action)
            self._finish_clock("met")
            self._outcome = "closed"
            await self._to_terminal(
                Stage.CLOSED,
                f"{self._handling} 已告知投诉人处理结果，办结",
                "closed",
                [
                    Notice(
                        key=self._key("n"),
                        kind="informed",
                        to_complainant=True,
                        text=action.message,
                    )
                ],
            )
            return self._view()

    @inform_complainant.validator
    def _check_inform(self, action: InformComplainant) -> None:
        self._require(Stage.INFORMING, action.actor_unit)
        if not action.message.strip():
            raise Refused("message：告知内容不能为空", INVALID_INPUT)

    def _require(self, stage: Stage, actor: str) -> None:
        if self._stage is not stage:
            if self._stage in TERMINAL:
                raise Refused(f"本案已{STAGE_NAMES[self._stage]}", ALREADY_DONE)
            raise Refused(
                f"本案当前环节为“{STAGE_NAMES[self._stage]}”，不能办理“{STAGE_NAMES[stage]}”",
                WRONG_STEP,
            )
        if actor != self._handling:
            raise Refused(f"本案由 {self._handling} 处理，{actor} 无权办理", WRONG_UNIT)

    # ------------------------------------------------------------------ registration

    async def _register(self) -> None:
        input = self._input
        routing: Routing = await clocks.call(
            "route_complaint",
            RouteRequest(
                receiving_unit=input.receiving_unit,
                school_codes=input.school_codes,
                unit_codes=input.unit_codes,
            ),
            Routing,
        )
        self._handling, self._province = routing.handling_unit, routing.province
        self._route, self._related = routing.route, routing.related_units
        registration = Registration(
            complainant=input.complainant,
            content=input.content,
            school_codes=input.school_codes,
            unit_codes=input.unit_codes,
            students=input.students,
        )
        timeline = [
            self._entry(
                "registered",
                f"{input.receiving_unit} 受理，受理编号 {input.tracking_no}，"
                f"处理责任单位 {routing.handling_unit}",
                input.receiving_unit,
                at=input.received_at,
            )
        ]
        notices = [
            Notice(
                key=self._key("n"),
                kind="registered",
                to_complainant=True,
                text=f"您的投诉已受理，受理编号 {input.tracking_no}。",
            )
        ]
        elsewhere = routing.handling_unit != input.receiving_unit
        stage = first_stage(
            channel=input.channel,
            refer_to_hotline=input.refer_to_hotline,
            receiving_unit=input.receiving_unit,
            handling_unit=routing.handling_unit,
        )
        if stage is Stage.REFERRED:
            hotline = routing.hotline or "（该单位尚未公布电话）"
            self._outcome = "referred"
            notices.append(
                Notice(
                    key=self._key("n"),
                    kind="referred",
                    to_complainant=True,
                    text=f"您反映的问题由 {routing.handling_unit} 负责处理，"
                    f"请拨打其投诉电话 {hotline}。",
                )
            )
            await self._to_terminal(
                Stage.REFERRED,
                f"来电：已告知来电人处理责任单位 {routing.handling_unit} 的热线，不再转办",
                "referred",
                notices,
                registration=registration,
                timeline=timeline,
            )
            return
        # Forwarding is at once: the case reaches the handling unit when it is received.
        arrival = input.received_at
        hops = [Hop(a, b, arrival) for a, b in itertools.pairwise(self._route)]
        for hop in hops:
            timeline.append(
                self._entry(
                    "forwarded",
                    f"逐级转办：{hop.from_unit} → {hop.to_unit}",
                    hop.to_unit,
                    at=arrival,
                )
            )
            if hop.to_unit != routing.handling_unit:
                notices.append(
                    Notice(
                        key=self._key("n"),
                        kind="passed_on",
                        unit=hop.to_unit,
                        text=f"投诉 {input.tracking_no} 经本单位转至 {routing.handling_unit} 处理",
                    )
                )
        if elsewhere:
            notices.append(
                Notice(
                    key=self._key("n"),
                    kind="transferred",
                    to_complainant=True,
                    text=f"您的投诉由 {routing.handling_unit} 负责处理。",
                )
            )
        await self._to_stage(
            Stage.VERIFY_ISSUE,
            f"{routing.handling_unit} 收到投诉，应下发核查单",
            "arrived",
            registration=registration,
            timeline=timeline,
            notices=notices,
            start=arrival,
        )

    # ------------------------------------------------------------------ slips

    async def _issue(self, kind: SlipKind, addressees: list[str], instructions: str) -> None:
        routes: list[list[str]] = []
        for addressee in addressees:
            try:
                route = await clocks.call(
                    "unit_path", PathRequest(from_code=self._handling, to_code=addressee), list
                )
            except (ActivityError, ApplicationError) as exc:
                raise Refused(_reason(exc), UNKNOWN_UNIT) from None
            routes.append(route)
        now = workflow.now()
        days = self._policy.for_slip(kind)
        deadline = await clocks.plan(now, days)
        if kind is SlipKind.SUPERVISION:
            self._round += 1
        issued: list[str] = []
        for addressee, route in zip(addressees, routes, strict=True):
            number = sum(1 for s in self._slips.values() if s.kind is kind) + 1
            slip_id = f"{_SLIP_PREFIX[kind]}{number}"
            slip = SlipState(
                slip_id=slip_id,
                kind=kind,
                round=self._round if kind is SlipKind.SUPERVISION else 1,
                issuer=self._handling,
                addressee=addressee,
                route=route,
                sent_at=now,
                clock=Clock(
                    key=f"slip-{slip_id}",
                    label=f"{SLIP_NAMES[kind]} {slip_id}",
                    unit=addressee,
                    started_at=now,
                    due=deadline.due,
                    remind_at=deadline.remind_at,
                    estimated=deadline.estimated,
                    working_days=days,
                ),
            )
            self._slips[slip_id] = slip
            self._children[slip_id] = await workflow.start_child_workflow(
                SlipWorkflow.run,
                SlipInput(
                    complaint_id=self._input.complaint_id,
                    slip=slip,
                    instructions=instructions,
                    working_days=days,
                    escalate_every=self._policy.escalate_every,
                ),
                id=f"{self._input.complaint_id}.{slip_id}",
            )
            asyncio.create_task(self._await_slip(slip_id))  # noqa: RUF006
            issued.append(slip_id)
        stage = Stage.VERIFICATION if kind is SlipKind.VERIFICATION else Stage.EXECUTION
        verb = "下发核查单" if kind is SlipKind.VERIFICATION else f"第 {self._round} 轮督办单"
        await self._to_stage(stage, f"{self._handling} {verb}：{'、'.join(issued)}", stage.value)

    async def _await_slip(self, slip_id: str) -> None:
        result: SlipResult = await self._children[slip_id]
        async with self._lock:
            self._slips[slip_id] = result.slip
            await self._after_slip()
            self._settled.add(slip_id)
            self._version += 1

    async def _after_slip(self) -> None:
        """Move on once every slip of the current step is back (its clock counts from then)."""
        if self._stage is Stage.VERIFICATION and self._all_back(SlipKind.VERIFICATION):
            await self._to_stage(Stage.OPINION, "核查单已全部反馈，待研究办理意见", "verified")
        elif self._stage is Stage.EXECUTION and self._all_back(SlipKind.SUPERVISION):
            await self._to_stage(Stage.CONFIRMATION, "督办单已全部反馈，待确认处理结果", "executed")
        else:
            self._publish()

    def _all_back(self, kind: SlipKind) -> bool:
        return all(s.status != "open" for s in self._slips.values() if s.kind is kind)

    async def _cancel_open_slips(self, reason: str, kind: SlipKind | None = None) -> None:
        for slip_id, slip in self._slips.items():
            if slip.status == "open" and kind in (None, slip.kind):
                await self._children[slip_id].signal(SlipWorkflow.cancel, reason)

    # ------------------------------------------------------------------ disputes

    async def _raise_dispute(self, request: RaiseDispute) -> None:
        verifiers = {s.addressee for s in self._slips.values() if s.kind is SlipKind.VERIFICATION}
        parties_allowed = {self._handling, *self._related, *verifiers}
        if self._stage not in DISPUTABLE:
            return await self._refuse(request.actor_unit, "处理层级争议只能在确定办理意见前提出")
        if request.actor_unit not in parties_allowed:
            return await self._refuse(
                request.actor_unit, f"{request.actor_unit} 不是本案的处理责任单位或相关单位"
            )
        if request.proposed_unit == self._handling or not _UNIT_OR_SCHOOL.fullmatch(
            request.proposed_unit
        ):
            return await self._refuse(
                request.actor_unit, f"proposed_unit：“{request.proposed_unit}”不是另一个单位"
            )
        parties = [self._handling, request.proposed_unit]
        try:
            ruling: str = await clocks.call("ruling_unit", RulingRequest(parties=parties), str)
        except (ActivityError, ApplicationError) as exc:
            return await self._refuse(request.actor_unit, _reason(exc))
        self._disputes.append(
            Dispute(
                raised_by=request.actor_unit,
                proposed_unit=request.proposed_unit,
                parties=parties,
                ruling_unit=ruling,
                raised_at=workflow.now(),
                resumed_stage=self._stage,
            )
        )
        await self._to_stage(
            Stage.DISPUTED,
            f"{request.actor_unit} 对处理层级提出争议（拟由 {request.proposed_unit} 处理），"
            f"由 {ruling} 裁定",
            "dispute_raised",
            stop="stopped",
        )

    async def _rule_dispute(self, request: RuleDispute) -> None:
        if self._stage is not Stage.DISPUTED:
            return await self._refuse(request.actor_unit, "本案没有待裁定的处理层级争议")
        dispute = self._disputes[-1]
        if request.actor_unit != dispute.ruling_unit:
            return await self._refuse(
                request.actor_unit, f"只有裁定单位 {dispute.ruling_unit} 可以裁定本争议"
            )
        choices = [*dispute.parties, dispute.ruling_unit]
        if request.handling_unit not in choices:
            return await self._refuse(
                request.actor_unit, f"handling_unit：应为 {'、'.join(choices)} 之一"
            )
        dispute.ruled_at, dispute.ruled_handling_unit = workflow.now(), request.handling_unit
        text = f"{dispute.ruling_unit} 裁定由 {request.handling_unit} 处理"
        if request.handling_unit == self._handling:
            resumed = dispute.resumed_stage
            if resumed is Stage.VERIFICATION and self._all_back(SlipKind.VERIFICATION):
                resumed = Stage.OPINION  # the slips came back while the dispute was open
            await self._to_stage(resumed, text, "dispute_ruled")
            return
        await self._cancel_open_slips("处理责任单位已变更", SlipKind.VERIFICATION)
        routing: Routing = await clocks.call(
            "route_complaint",
            RouteRequest(
                receiving_unit=self._handling, school_codes=[], unit_codes=[request.handling_unit]
            ),
            Routing,
        )
        self._handling, self._province = routing.handling_unit, routing.province
        self._route = [*self._route[:-1], *routing.route]
        await self._to_stage(
            Stage.VERIFY_ISSUE,
            text,
            "dispute_ruled",
            notices=[
                Notice(
                    key=self._key("n"),
                    kind="assigned",
                    unit=self._handling,
                    text=f"投诉 {self._input.tracking_no} 经裁定由本单位处理",
                )
            ],
        )

    async def _refuse(self, unit: str, reason: str) -> None:
        await clocks.record(
            CaseRecord(
                complaint_id=self._input.complaint_id,
                timeline=[self._entry("refused", f"未予受理的操作：{reason}", unit)],
            )
        )

    # ------------------------------------------------------------------ withdrawal, calendar

    async def _withdraw(self, request: Withdraw) -> None:
        await self._cancel_open_slips("投诉人已撤回投诉")
        self._finish_clock("stopped")
        self._outcome = "withdrawn"
        await self._to_terminal(
            Stage.WITHDRAWN,
            f"投诉人撤回投诉（撤回时环节：{STAGE_NAMES[self._stage]}）",
            "withdrawn",
            [
                Notice(
                    key=self._key("n"),
                    kind="withdrawn",
                    unit=self._handling,
                    text=f"投诉 {self._input.tracking_no} 已由投诉人撤回",
                )
            ],
        )

    async def _calendar_changed(self) -> None:
        for slip_id, slip in self._slips.items():
            if slip.status == "open":
                await self._children[slip_id].signal(SlipWorkflow.calendar_changed)
        clock = self._clock
        if clock is not None and await clocks.retime(clock, self._policy.escalate_every):
            await self._save(
                [
                    self._entry(
                        "retimed",
                        f"工作日安排调整，{clock.label} 期限改为 {clock.due:%Y-%m-%d %H:%M}",
                        clock.unit,
                    )
                ],
                [],
            )
            self._version += 1

    # ------------------------------------------------------------------ clocks and stages

    async def _alarm(self, clock: Clock, alarm: Alarm) -> None:
        text = (
            f"{ALARM_NAMES[alarm]}：投诉 {self._input.tracking_no} {clock.label}，"
            f"期限 {clock.due:%Y-%m-%d %H:%M}"
        )
        await self._save(
            [self._entry(alarm.value, text, clock.unit)],
            [
                Notice(
                    key=self._key("n"),
                    kind=alarm.value,
                    unit=clock.unit,
                    climb=clock.escalation_level,
                    text=text,
                )
            ],
        )

    def _finish_clock(self, status: str) -> None:
        if self._clock is not None and self._clock.status == "open":
            clocks.finish(self._clock, status)
        self._clock = None

    async def _to_stage(
        self,
        stage: Stage,
        text: str,
        kind: str,
        *,
        stop: str = "met",
        start: datetime | None = None,
        registration: Registration | None = None,
        timeline: list[TimelineEntry] | None = None,
        notices: list[Notice] | None = None,
    ) -> None:
        """Enter a stage: close the open step clock, start the new one if the stage has one."""
        self._finish_clock(stop)
        self._stage = stage
        unit = self._handling
        timeline = [*(timeline or []), self._entry(kind, text, unit, at=start)]
        notices = list(notices or [])
        if stage in (
            Stage.VERIFY_ISSUE,
            Stage.OPINION,
            Stage.CONFIRMATION,
            Stage.INFORMING,
            Stage.DISPUTED,
        ):
            if stage is Stage.DISPUTED:
                unit = self._disputes[-1].ruling_unit
            number = sum(1 for c in self._clocks if c.key.startswith(stage.value)) + 1
            self._clock = await clocks.start_clock(
                f"{stage.value}-{number}",
                STAGE_NAMES[stage],
                unit,
                start or workflow.now(),
                self._policy.for_stage(stage),
            )
            self._clocks.append(self._clock)
            notices.append(
                Notice(
                    key=self._key("n"),
                    kind="step",
                    unit=unit,
                    text=f"投诉 {self._input.tracking_no} 待{STAGE_NAMES[stage]}，"
                    f"期限 {self._clock.due:%Y-%m-%d %H:%M}",
                )
            )
        await self._save(timeline, notices, registration=registration)
        self._version += 1

    async def _to_terminal(
        self,
        stage: Stage,
        text: str,
        kind: str,
        notices: list[Notice],
        *,
        registration: Registration | None = None,
        timeline: list[TimelineEntry] | None = None,
    ) -> None:
        self._stage = stage
        entries = [*(timeline or []), self._entry(kind, text, self._handling)]
        await self._save(entries, notices, registration=registration)
        self._version += 1

    async def _save(
        self,
        timeline: list[TimelineEntry],
        notices: list[Notice],
        *,
        registration: Registration | None = None,
    ) -> None:
        """Write the case, its clocks, timeline and notices to the store; update the alerts."""
        due, overdue, level = self._alerts()
        input = self._input
        await clocks.record(
            CaseRecord(
                complaint_id=input.complaint_id,
                case=CaseSnapshot(
                    tracking_no=input.tracking_no,
                    channel=input.channel,
                    stage=self._stage,
                    receiving_unit=input.receiving_unit,
                    handling_unit=self._handling,
                    province=self._province,
                    received_at=input.received_at,
                    updated_at=workflow.now(),
                    due=due,
                    overdue=overdue,
                    escalation_level=level,
                    outcome=self._outcome,
                ),
                registration=registration,
                clocks=list(self._clocks),
                timeline=timeline,
                notices=notices,
            )
        )
        self._publish()

    def _alerts(self) -> tuple[Any, bool, int]:
        """Due time of the open step, and whether any open clock (own or a slip's) is overdue."""
        if self._stage in TERMINAL:
            return None, False, 0
        open_clocks = [c for c in self._clocks if c.status == "open"] + [
            s.clock for s in self._slips.values() if s.status == "open" and s.clock is not None
        ]
        due = self._clock.due if self._clock is not None else None
        if due is None and open_clocks:
            due = min(c.due for c in open_clocks)
        overdue = any(c.overdue for c in open_clocks)
        level = max((c.escalation_level for c in open_clocks), default=0)
        return due, overdue, level

    def _publish(self) -> None:
        """Keep the search attributes (the Web UI's alert board) current, upserting changes.

        A finished case keeps the due time of its last step: StageDue is never unset.
        """
        due, overdue, level = self._alerts()
        values: list[Any] = [
            sa.COMPLAINT_STAGE.value_set(self._stage.value),
            sa.HANDLING_UNIT.value_set(self._handling),
            sa.PROVINCE_CODE.value_set(self._province),
            sa.OVERDUE.value_set(overdue),
            sa.ESCALATION_LEVEL.value_set(level),
            sa.CHANNEL.value_set(self._input.channel.value),
            sa.TRACKING_NO.value_set(self._input.tracking_no),
        ]
        if due is not None:
            values.append(sa.STAGE_DUE.value_set(due))
        changed = [v for v in values if self._published.get(v.key.name) != v.value]
        if changed:
            self._published.update({v.key.name: v.value for v in changed})
            workflow.upsert_search_attributes(changed)

    # ------------------------------------------------------------------ helpers

    def _key(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}{self._seq}"

    def _entry(self, kind: str, text: str, unit: str, *, at: Any = None) -> TimelineEntry:
        return TimelineEntry(
            key=self._key("t"), at=at or workflow.now(), kind=kind, text=text, unit=unit
        )

    def _view(self) -> CaseView:
        _, overdue, level = self._alerts()
        input = self._input
        return CaseView(
            complaint_id=input.complaint_id,
            tracking_no=input.tracking_no,
            channel=input.channel,
            stage=self._stage,
            receiving_unit=input.receiving_unit,
            handling_unit=self._handling,
            province=self._province,
            received_at=input.received_at,
            route=list(self._route),
            clocks=list(self._clocks),
            slips=list(self._slips.values()),
            disputes=list(self._disputes),
            supervision_round=self._round,
            overdue=overdue,
            escalation_level=level,
            outcome=self._outcome,
        )
