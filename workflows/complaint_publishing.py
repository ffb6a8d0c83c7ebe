"""How a complaint shows outside its workflow: the store's read model and the search
attributes the Temporal Web UI's alert board filters on."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.records import CaseRecord, Notice, Registration, TimelineEntry
    from workflows import clocks
    from workflows import search_attributes as sa
    from workflows.complaint_state import CaseState


async def save(
    case: CaseState,
    timeline: list[TimelineEntry],
    notices: list[Notice],
    *,
    registration: Registration | None = None,
) -> None:
    """Write the case, its clocks, timeline and notices to the store; update the alerts."""
    await clocks.record(
        CaseRecord(
            complaint_id=case.input.complaint_id,
            case=case.snapshot(),
            registration=registration,
            clocks=list(case.clocks),
            timeline=timeline,
            notices=notices,
        )
    )
    publish(case)


async def record_timeline(case: CaseState, entry: TimelineEntry) -> None:
    """Write one timeline entry, and nothing else of the case."""
    await clocks.record(CaseRecord(complaint_id=case.input.complaint_id, timeline=[entry]))


def publish(case: CaseState) -> None:
    """Keep the search attributes (the Web UI's alert board) current, upserting changes.

    A finished case keeps the due time of its last stage: StageDue is never unset.
    """
    due, overdue, level = case.alerts()
    values: list[Any] = [
        sa.COMPLAINT_STAGE.value_set(case.stage.value),
        sa.HANDLING_UNIT.value_set(case.handling),
        sa.PROVINCE_CODE.value_set(case.province),
        sa.OVERDUE.value_set(overdue),
        sa.ESCALATION_LEVEL.value_set(level),
        sa.CHANNEL.value_set(case.input.channel.value),
        sa.TRACKING_NO.value_set(case.input.tracking_no),
    ]
    if due is not None:
        values.append(sa.STAGE_DUE.value_set(due))
    changed = [v for v in values if case.published.get(v.key.name) != v.value]
    if changed:
        case.published.update({v.key.name: v.value for v in changed})
        workflow.upsert_search_attributes(changed)
