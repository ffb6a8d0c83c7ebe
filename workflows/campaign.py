"""CampaignWorkflow: collecting the personnel table (附件3) from a set of units.

The Ministry (or a province, for its prefectures and counties) opens a campaign with a due
date. Each unit reports its people and its public complaint phone and e-mail, and may correct
the report until the due time. Units that have not reported are reminded three working days
before and alerted at the due time, when the campaign shows on the Web UI's overdue board;
after it only the missing units may still report (逾期补报). The campaign closes when the due
time has passed and every unit has reported, or when the opening unit closes it; then the
public phones and e-mails go into the directory.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.records import (
        CampaignRecord,
        CampaignState,
        CampaignStatus,
        Notice,
        PersonnelReport,
        UnitStatus,
    )
    from workflows import clocks
    from workflows.activity_interfaces import CalendarActivityInterface, StoreActivityInterface
    from workflows.errors import ALREADY_DONE, INVALID_INPUT, WRONG_STAGE, WRONG_UNIT, ActionRefused
    from workflows.messages.campaign import CampaignInput, CloseCampaign, SubmitReport
    from workflows.search_attributes import HANDLING_UNIT, OVERDUE, PROVINCE_CODE, STAGE_DUE

TABLE = "《处理群众投诉中小学生学籍管理问题人员信息表》"
ESTIMATE_RECORDED = "campaign-reminder-estimate-recorded"


@workflow.defn(name="CampaignWorkflow")
class CampaignWorkflow:
    @workflow.init
    def __init__(self, input: CampaignInput) -> None:
        self._input = input
        self._state = initial_state(input)
        self._close_asked = False
        self._calendar_changes = 0
        # Records go to the store one at a time, in order: a later state never lands first.
        self._writing = asyncio.Lock()

    @workflow.run
    async def run(self, input: CampaignInput) -> CampaignState:
        state = self._state
        self._publish_alert_flags()
        await self._record(
            notices=[
                self._notice(
                    code, "opened", f"请于 {state.due:%Y-%m-%d} 前报送{TABLE}（{state.title}）"
                )
                for code in input.units
            ]
        )
        await self._wait_for_reminder()
        await clocks.wait_until(state.due, lambda: False)
        missing = state.missing
        if missing:
            state.status, state.alerted_at = CampaignStatus.OVERDUE, workflow.now()
            self._publish_alert_flags()
            await self._record(
                notices=[
                    *(
                        self._notice(
                            code, "overdue", f"{TABLE}已逾期未报送（{state.title}），请尽快补报"
                        )
                        for code in missing
                    ),
                    self._notice(
                        state.opener,
                        "overdue",
                        f"{state.title}：截至 {state.due:%Y-%m-%d} 尚未报送的单位："
                        + "、".join(missing),
                    ),
                ]
            )
        await workflow.wait_condition(lambda: self._close_asked or not state.missing)
        # A report in hand has set its unit's status already; its record goes first (the
        # records take turns), and the validators refuse anything new from here on.
        state.status, state.closed_at = CampaignStatus.CLOSED, workflow.now()
        self._publish_alert_flags()
        await self._record(publish=True)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    # ------------------------------------------------------------------ staff actions

    @workflow.update
    async def submit(self, action: SubmitReport) -> CampaignState:
        """A unit reports, or corrects its report before the due time."""
        status = self._status_of(action.actor_unit)
        now = workflow.now()
        if status.submitted_at is not None:
            status.corrections += 1
        else:
            status.late = now > self._state.due
        status.submitted_at = now
        await self._record(reports={action.actor_unit: action.report})
        return self._state

    @submit.validator
    def _check_submit(self, action: SubmitReport) -> None:
        state = self._state
        if state.status == CampaignStatus.CLOSED or self._close_asked:
            raise ActionRefused(f"{state.title} 已结束，不能再报送", ALREADY_DONE)
        if action.actor_unit not in {status.unit for status in state.units}:
            raise ActionRefused(f"{action.actor_unit} 不在本次报送范围内", WRONG_UNIT)
        if workflow.now() > state.due and self._status_of(action.actor_unit).submitted_at:
            raise ActionRefused(
                f"已过报送截止时间 {state.due:%Y-%m-%d %H:%M}，不能再修改已报送的信息", WRONG_STAGE
            )
        _check_report(action.report)

    @workflow.update
    async def close(self, action: CloseCampaign) -> CampaignState:
        """The opening unit closes the campaign after the due time, missing units or not."""
        self._close_asked = True
        await workflow.wait_condition(lambda: self._state.status == CampaignStatus.CLOSED)
        return self._state

    @close.validator
    def _check_close(self, action: CloseCampaign) -> None:
        state = self._state
        if action.actor_unit != state.opener:
            raise ActionRefused(f"只有发起单位 {state.opener} 可以结束征集", WRONG_UNIT)
        if state.status == CampaignStatus.CLOSED or self._close_asked:
            raise ActionRefused(f"{state.title} 已结束", ALREADY_DONE)
        if workflow.now() <= state.due:
            raise ActionRefused(
                f"截止时间 {state.due:%Y-%m-%d %H:%M} 前各单位仍可修改，不能提前结束", WRONG_STAGE
            )

    @workflow.signal
    def calendar_changed(self) -> None:
        self._calendar_changes += 1

    @workflow.query
    def state(self) -> CampaignState:
        return self._state

    # ------------------------------------------------------------------ helpers

    async def _wait_for_reminder(self) -> None:
        """Wait for the reminder time, re-planned when the calendar changes; then remind."""
        state = self._state
        while True:
            seen = self._calendar_changes
            changed = await clocks.wait_until(
                state.remind_at,
                lambda seen=seen: self._calendar_changes != seen,  # type: ignore[misc]
            )
            if not changed:
                break
            due_date: date = state.due.date()
            plan = await clocks.call(CalendarActivityInterface.plan_campaign, due_date)
            # Before the patch only a new reminder time was recorded; an official year loaded
            # over an estimated one may keep the time and only end the estimate.
            if plan.remind_at != state.remind_at or (
                plan.estimated != state.remind_estimated and workflow.patched(ESTIMATE_RECORDED)
            ):
                state.remind_at, state.remind_estimated = plan.remind_at, plan.estimated
                await self._record()
        missing = state.missing
        if missing and state.remind_at > state.opened_at:
            state.reminded_at = workflow.now()
            await self._record(
                notices=[
                    self._notice(
                        code,
                        "reminder",
                        f"{TABLE}（{state.title}）将于 {state.due:%Y-%m-%d} 截止报送，请尽快报送",
                    )
                    for code in missing
                ]
            )

    def _status_of(self, unit: str) -> UnitStatus:
        return next(status for status in self._state.units if status.unit == unit)

    def _notice(self, unit: str, kind: str, text: str) -> Notice:
        return Notice(key=f"{kind}:{unit}", kind=f"campaign_{kind}", unit=unit, text=text)

    async def _record(
        self,
        *,
        reports: dict[str, PersonnelReport] | None = None,
        notices: list[Notice] | None = None,
        publish: bool = False,
    ) -> None:
        async with self._writing:
            record = CampaignRecord(
                state=self._state, reports=reports or {}, notices=notices or [], publish=publish
            )
            await clocks.call(StoreActivityInterface.record_campaign, record)

    def _publish_alert_flags(self) -> None:
        """Overdue on the Web UI's board while a unit is missing after the due time."""
        state = self._state
        values: list[SearchAttributeUpdate[Any]] = [
            HANDLING_UNIT.value_set(state.opener),
            STAGE_DUE.value_set(state.due),
            OVERDUE.value_set(state.status == CampaignStatus.OVERDUE and bool(state.missing)),
        ]
        if self._input.province:
            values.append(PROVINCE_CODE.value_set(self._input.province))
        workflow.upsert_search_attributes(values)


def initial_state(input: CampaignInput) -> CampaignState:
    """The state a campaign starts in (the API answers with it at once)."""
    return CampaignState(
        campaign_id=input.campaign_id,
        title=input.title,
        opener=input.opener,
        status=CampaignStatus.OPEN,
        opened_at=input.opened_at,
        due=input.plan.due,
        remind_at=input.plan.remind_at,
        units=[UnitStatus(unit=code) for code in input.units],
        remind_estimated=input.plan.estimated,
    )


def _check_report(report: PersonnelReport) -> None:
    if not report.entries:
        raise ActionRefused("entries：至少填写一名人员", INVALID_INPUT)
    for index, entry in enumerate(report.entries):
        if not entry.name.strip():
            raise ActionRefused(f"entries.{index}.name：姓名不能为空", INVALID_INPUT)
