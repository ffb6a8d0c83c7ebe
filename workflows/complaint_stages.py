"""Moving a complaint from stage to stage, and the handling (or ruling) unit's own clocks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import STAGE_NAMES, Stage
    from domain.records import Clock, ClockStatus, Notice, Registration, TimelineEntry
    from workflows import clocks
    from workflows import complaint_wording as wording
    from workflows.clocks import Alarm
    from workflows.complaint_publishing import save
    from workflows.complaint_state import CaseState

# Stages in which the handling unit (the ruling unit, for a dispute) has a clock of its own.
STAGES_WITH_CLOCK = (
    Stage.VERIFY_ISSUE,
    Stage.OPINION,
    Stage.CONFIRMATION,
    Stage.INFORMING,
    Stage.DISPUTED,
)


def finish_clock(case: CaseState, status: ClockStatus) -> None:
    if case.clock is not None and case.clock.status == ClockStatus.OPEN:
        clocks.finish(case.clock, status)
    case.clock = None


async def to_stage(
    case: CaseState,
    stage: Stage,
    text: str,
    kind: str,
    *,
    stop: ClockStatus = ClockStatus.MET,
    start: datetime | None = None,
    registration: Registration | None = None,
    timeline: list[TimelineEntry] | None = None,
    notices: list[Notice] | None = None,
    actor: str = "",
    actor_unit: str = "",
    note: str = "",
) -> None:
    """Enter a stage: close the open clock, start the new one if the stage has one. The
    entry names `actor`, who moved the case on, with what they wrote (`note`)."""
    finish_clock(case, stop)
    case.stage = stage
    unit = case.handling
    entry = case.entry(kind, text, actor_unit or unit, at=start, actor=actor, note=note)
    timeline = [*(timeline or []), entry]
    notices = list(notices or [])
    if stage in STAGES_WITH_CLOCK:
        if stage is Stage.DISPUTED:
            unit = case.disputes[-1].ruling_unit
        number = sum(1 for c in case.clocks if c.key.startswith(stage.value)) + 1
        clock = await clocks.start_clock(
            case.planner,
            f"{stage.value}-{number}",
            STAGE_NAMES[stage],
            unit,
            start or workflow.now(),
            case.policy.for_stage(stage),
        )
        case.clock = clock
        case.clocks.append(clock)
        notices.append(
            case.notice(
                "step", wording.stage_notice(case.input.tracking_no, stage, clock.due), unit=unit
            )
        )
    await save(case, timeline, notices, registration=registration)
    case.version += 1


async def to_terminal(
    case: CaseState,
    stage: Stage,
    text: str,
    kind: str,
    notices: list[Notice],
    *,
    registration: Registration | None = None,
    timeline: list[TimelineEntry] | None = None,
    then: Callable[[], Awaitable[tuple[TimelineEntry, Notice]]] | None = None,
    actor: str = "",
    actor_unit: str = "",
    note: str = "",
) -> None:
    """End the case in a terminal stage (closed, referred, withdrawn); what `then` starts
    (the follow-up of a closed case) goes in the same record, after the ending's entry."""
    case.stage = stage
    entry = case.entry(kind, text, actor_unit or case.handling, actor=actor, note=note)
    entries = [*(timeline or []), entry]
    if then is not None:
        after, notice = await then()
        entries, notices = [*entries, after], [*notices, notice]
    await save(case, entries, notices, registration=registration)
    case.version += 1


async def sound_alarm(case: CaseState, clock: Clock) -> None:
    """The open clock's alarm has come: remind, or alert it overdue one level higher."""
    alarm: Alarm = await clocks.ring(case.planner, clock, case.policy.escalate_every)
    text = wording.alarm(alarm, case.input.tracking_no, clock.label, clock.due)
    await save(
        case,
        [case.entry(alarm.value, text, clock.unit)],
        [case.notice(alarm.value, text, unit=clock.unit, climb=clock.escalation_level)],
    )


async def retime_clock(case: CaseState) -> None:
    """Re-plan the open clock after a calendar change, recording a moved due time."""
    case.planner.calendar_changed()
    clock = case.clock
    if clock is not None and await clocks.retime(case.planner, clock, case.policy.escalate_every):
        await save(
            case, [case.entry("retimed", wording.retimed(clock.label, clock.due), clock.unit)], []
        )
        case.version += 1
