"""ComplaintWorkflow: one complaint from registration to closing (DESIGN §5).

Workflow id = the complaint id. Staff act through Updates (validated: a refused action is
answered at once and changes nothing), disputes, withdrawal and calendar changes arrive as
Signals (recorded, and refused in the timeline when they do not apply), Queries give the live
state. Each slip runs as a SlipWorkflow child with its own clock. The handling unit's own
stages have clocks here; all due times come from the calendar activity.

This module holds the handlers; the work is done in the complaint_* modules beside it:
state, wording, publishing, stages, registration, slips, disputes and signals.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import SlipKind, Stage
    from domain.records import ClockStatus, SlipStatus
    from workflows import clocks, complaint_aftercare, complaint_signals
    from workflows import complaint_wording as wording
    from workflows.complaint_people import assign, check_assignment, check_channel, inform
    from workflows.complaint_publishing import publish
    from workflows.complaint_registration import register
    from workflows.complaint_slips import issue
    from workflows.complaint_stages import sound_alarm, to_stage
    from workflows.complaint_state import CaseState, check_codes
    from workflows.errors import INVALID_INPUT, ActionRefused
    from workflows.messages.complaint import (
        AssignCase,
        CaseView,
        ComplaintInput,
        ConfirmResult,
        DecideOpinion,
        DecideReview,
        InformComplainant,
        IssueSlips,
        RaiseDispute,
        RecordFollowUp,
        RequestReview,
        Rework,
        RuleDispute,
        Withdraw,
    )
    from workflows.messages.slip import SlipAlarm


@workflow.defn(name="ComplaintWorkflow")
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, input: ComplaintInput) -> None:
        self._case = CaseState(input)
        self._inbox: list[tuple[str, Any]] = []

    # ------------------------------------------------------------------ run

    @workflow.run
    async def run(self, input: ComplaintInput) -> CaseView:
        case = self._case
        case.planner.counting = workflow.patched(clocks.COUNTED_HERE)  # first: see there
        await register(case)
        while True:
            await self._work()
            # A closed case stays open for its follow-up and review (complaint_aftercare).
            if not await complaint_aftercare.begin(case):
                break
        await workflow.wait_condition(lambda: case.settled == set(case.slips))
        await workflow.wait_condition(workflow.all_handlers_finished)
        return case.view()

    async def _work(self) -> None:
        """Handle the signals in turn and ring the open clock, until the case is done (or,
        after informing, the follow-up and review period is over)."""
        case = self._case
        while not case.done:
            if self._inbox:
                name, message = self._inbox.pop(0)
                async with case.lock:
                    await complaint_signals.handle(case, name, message)
                continue
            clock, seen = case.clock, case.version
            alarm = clocks.next_alarm(clock) if clock else None
            window = complaint_aftercare.next_moment(case)
            moment = alarm if window is None or (alarm is not None and alarm < window) else window
            woken = await clocks.wait_until(
                moment,
                lambda seen=seen: case.version != seen or bool(self._inbox),  # type: ignore[misc]
            )
            if woken:
                continue
            async with case.lock:
                rang = alarm is not None and workflow.now() >= alarm
                ringing = clock if rang and clock is case.clock else None
                if ringing is not None and ringing.status == ClockStatus.OPEN:
                    await sound_alarm(case, ringing)
                await complaint_aftercare.settle(case)

    # ------------------------------------------------------------------ queries and signals

    @workflow.query
    def state(self) -> CaseView:
        return self._case.view()

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
        slip = self._case.slips.get(alarm.slip_id)
        if slip is not None and slip.status == SlipStatus.OPEN:
            slip.clock = alarm.clock
            publish(self._case)

    def _post(self, name: str, message: Any) -> None:
        """Signals wait in the inbox; the run loop handles them in turn, under the lock."""
        case = self._case
        if not case.ended or (name == "calendar_changed" and not case.done):
            self._inbox.append((name, message))

    # ------------------------------------------------------------------ updates

    @workflow.update
    async def issue_verification(self, action: IssueSlips) -> CaseView:
        async with self._case.lock:
            self._check_verification(action)
            await issue(
                self._case,
                SlipKind.VERIFICATION,
                action.addressees,
                action.instructions,
                actor=action.actor,
            )
            return self._case.view()

    @issue_verification.validator
    def _check_verification(self, action: IssueSlips) -> None:
        self._case.require(Stage.VERIFY_ISSUE, action.actor_unit)
        check_codes("addressees", action.addressees, required=True)

    @workflow.update
    async def decide_opinion(self, action: DecideOpinion) -> CaseView:
        async with self._case.lock:
            self._check_opinion(action)
            if action.executing_units:
                await issue(
                    self._case,
                    SlipKind.SUPERVISION,
                    action.executing_units,
                    action.opinion,
                    actor=action.actor,
                )
            else:
                await to_stage(
                    self._case,
                    Stage.INFORMING,
                    wording.NOTHING_TO_DO,
                    "nothing_to_do",
                    actor=action.actor,
                    note=action.opinion,
                )
            return self._case.view()

    @decide_opinion.validator
    def _check_opinion(self, action: DecideOpinion) -> None:
        self._case.require(Stage.OPINION, action.actor_unit)
        if not action.opinion.strip():
            raise ActionRefused(wording.EMPTY_OPINION, INVALID_INPUT)
        check_codes("executing_units", action.executing_units, required=False)

    @workflow.update
    async def confirm_result(self, action: ConfirmResult) -> CaseView:
        async with self._case.lock:
            self._check_confirm(action)
            await to_stage(
                self._case,
                Stage.INFORMING,
                wording.RESULT_CONFIRMED,
                "confirmed",
                actor=action.actor,
                note=action.conclusion,
            )
            return self._case.view()

    @confirm_result.validator
    def _check_confirm(self, action: ConfirmResult) -> None:
        self._case.require(Stage.CONFIRMATION, action.actor_unit)

    @workflow.update
    async def rework(self, action: Rework) -> CaseView:
        async with self._case.lock:
            self._check_rework(action)
            await issue(
                self._case,
                SlipKind.SUPERVISION,
                action.executing_units,
                action.instructions,
                actor=action.actor,
            )
            return self._case.view()

    @rework.validator
    def _check_rework(self, action: Rework) -> None:
        self._case.require(Stage.CONFIRMATION, action.actor_unit)
        check_codes("executing_units", action.executing_units, required=True)

    @workflow.update
    async def inform_complainant(self, action: InformComplainant) -> CaseView:
        async with self._case.lock:
            self._check_inform(action)
            await inform(self._case, action)
            return self._case.view()

    @inform_complainant.validator
    def _check_inform(self, action: InformComplainant) -> None:
        self._case.require(Stage.INFORMING, action.actor_unit)
        if not action.message.strip():
            raise ActionRefused(wording.EMPTY_MESSAGE, INVALID_INPUT)
        check_channel(self._case, action)

    @workflow.update
    async def assign(self, action: AssignCase) -> CaseView:
        async with self._case.lock:
            self._check_assign(action)
            await assign(self._case, action)
            return self._case.view()

    @assign.validator
    def _check_assign(self, action: AssignCase) -> None:
        check_assignment(self._case, action)

    # ------------------------------------------------------------------ after informing

    @workflow.update
    async def record_follow_up(self, action: RecordFollowUp) -> CaseView:
        async with self._case.lock:
            self._check_follow_up(action)
            await complaint_aftercare.follow_up(self._case, action)
            return self._case.view()

    @record_follow_up.validator
    def _check_follow_up(self, action: RecordFollowUp) -> None:
        complaint_aftercare.check_follow_up(self._case, action)

    @workflow.update
    async def request_review(self, request: RequestReview) -> CaseView:
        async with self._case.lock:
            self._check_review_request(request)
            await complaint_aftercare.request_review(self._case, request)
            return self._case.view()

    @request_review.validator
    def _check_review_request(self, request: RequestReview) -> None:
        complaint_aftercare.check_request(self._case, request)

    @workflow.update
    async def decide_review(self, action: DecideReview) -> CaseView:
        async with self._case.lock:
            self._check_review_decision(action)
            await complaint_aftercare.decide(self._case, action)
            return self._case.view()

    @decide_review.validator
    def _check_review_decision(self, action: DecideReview) -> None:
        complaint_aftercare.check_decision(self._case, action)
