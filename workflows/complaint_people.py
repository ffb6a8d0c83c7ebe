"""The people of a case: who handles it at the handling unit (承办人), and how the complainant
was told the outcome (告知, by which channel, reached or not)."""

from __future__ import annotations

from functools import partial

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import SENT_BY_SYSTEM, InformChannel, Stage
    from domain.records import ClockStatus, Outcome
    from workflows import complaint_aftercare
    from workflows import complaint_wording as wording
    from workflows.complaint_publishing import save
    from workflows.complaint_stages import finish_clock, to_terminal
    from workflows.complaint_state import FEWER_STEPS, CaseState
    from workflows.errors import ALREADY_DONE, INVALID_INPUT, WRONG_UNIT, ActionRefused
    from workflows.messages.complaint import AssignCase, InformComplainant

# ---------------------------------------------------------------- informing the complainant


def check_channel(case: CaseState, action: InformComplainant) -> None:
    """Refuse a channel that cannot reach this complainant (an e-mail to one who gave no
    address would close the case with nobody told), and "not reached" but for a call."""
    channel = action.channel
    if channel is None:
        return  # histories from before channels: e-mail through the outbox, as then
    complainant = case.input.complainant
    if channel is InformChannel.EMAIL and not complainant.email.strip():
        raise ActionRefused(wording.NO_EMAIL, INVALID_INPUT)
    if channel in (InformChannel.SMS, InformChannel.PHONE) and not complainant.phone.strip():
        raise ActionRefused(wording.no_phone(channel), INVALID_INPUT)
    if not action.reached and channel is not InformChannel.PHONE:
        raise ActionRefused(wording.ONLY_CALLS_UNREACHED, INVALID_INPUT)


async def inform(case: CaseState, action: InformComplainant) -> None:
    """Record the informing; once the complainant is reached the case closes (办结)."""
    channel = action.channel
    if not action.reached:
        entry = case.entry(
            "inform_attempt",
            wording.not_reached(action.actor_unit),
            action.actor_unit,
            actor=action.actor,
            note=action.message,
        )
        await save(case, [entry], [])
        return
    finish_clock(case, ClockStatus.MET)
    case.outcome = Outcome.CLOSED
    case.closings += 1
    case.closed_at = workflow.now()
    case.public_reply = action.public_reply.strip()
    notices = []
    if channel is None or channel in SENT_BY_SYSTEM:
        notices.append(
            case.notice(
                "informed",
                action.message,
                to_complainant=True,
                channel=channel.value if channel else "",
            )
        )
    text = (
        wording.closed(case.handling)
        if channel is None
        else wording.informed(case.handling, channel)
    )
    # The follow-up and the review period start with the closing's record (histories from
    # before: in one of their own, complaint_aftercare.begin).
    then = None
    if workflow.patched(FEWER_STEPS):
        then = partial(complaint_aftercare.opening, case, known_reviewer=True)
    await to_terminal(
        case,
        Stage.CLOSED,
        text,
        "closed",
        notices,
        then=then,
        actor=action.actor,
        note=action.message,
    )


# ---------------------------------------------------------------- the person in charge


def check_assignment(case: CaseState, action: AssignCase) -> None:
    if case.ended:
        raise ActionRefused(wording.already_ended(case.stage), ALREADY_DONE)
    if action.actor_unit != case.handling:
        raise ActionRefused(wording.wrong_unit(case.handling, action.actor_unit), WRONG_UNIT)
    if not action.assignee.strip():
        raise ActionRefused(wording.NO_ASSIGNEE, INVALID_INPUT)
    if action.assignee == case.assignee:
        raise ActionRefused(wording.already_assigned(action.assignee), ALREADY_DONE)
    if case.assignee and not action.reason.strip():
        raise ActionRefused(wording.REASSIGN_WITHOUT_REASON, INVALID_INPUT)


async def assign(case: CaseState, action: AssignCase) -> None:
    previous, case.assignee = case.assignee, action.assignee
    entry = case.entry(
        "assignee",
        wording.assignee_named(case.handling, action.assignee, previous),
        case.handling,
        actor=action.actor,
        note=action.reason,
    )
    notice = case.notice(
        "assignee", wording.assignee_notice(case.input.tracking_no), unit=case.handling
    )
    await save(case, [entry], [notice])
