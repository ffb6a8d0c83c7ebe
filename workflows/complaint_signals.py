"""The Signals a complaint takes in turn from its inbox: disputes, withdrawal, calendar
changes. Each is handled under the case's lock, and not at all once the case has ended (but
for a calendar change during the follow-up and review period)."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import Stage
    from domain.records import ClockStatus, Outcome
    from workflows import complaint_wording as wording
    from workflows.complaint_disputes import raise_dispute, refuse, rule_dispute
    from workflows.complaint_slips import cancel_open_slips, tell_calendar_changed
    from workflows.complaint_stages import finish_clock, retime_clock, to_terminal
    from workflows.complaint_state import CaseState
    from workflows.messages.complaint import Withdraw


async def handle(case: CaseState, name: str, message: Any) -> None:
    if case.ended:
        if name == "calendar_changed":  # the follow-up's or the review's clock
            await retime_clock(case)
        return
    if name == "raise_dispute":
        await raise_dispute(case, message)
    elif name == "rule_dispute":
        await rule_dispute(case, message)
    elif name == "withdraw":
        await withdraw(case, message)
    elif name == "calendar_changed":
        await calendar_changed(case)


async def withdraw(case: CaseState, request: Withdraw) -> None:
    """Only the handling unit, or the receiving unit while the case is its own, records it
    (the API checks the roles); a withdrawal from before actors were recorded is not checked."""
    actor = request.actor_unit
    if actor and actor != case.handling:
        await refuse(case, actor, wording.WITHDRAWAL_BY, request.actor)
        return
    await cancel_open_slips(case, wording.WITHDRAWN_BY_COMPLAINANT)
    finish_clock(case, ClockStatus.STOPPED)
    case.outcome = Outcome.WITHDRAWN
    await to_terminal(
        case,
        Stage.WITHDRAWN,
        wording.withdrawn(case.stage),
        "withdrawn",
        [
            case.notice(
                "withdrawn", wording.withdrawn_notice(case.input.tracking_no), unit=case.handling
            )
        ],
        actor=request.actor,
        actor_unit=actor,
        note=request.reason,
    )


async def calendar_changed(case: CaseState) -> None:
    """Tell the open slips, and re-plan the case's own open clock."""
    await tell_calendar_changed(case)
    await retime_clock(case)
