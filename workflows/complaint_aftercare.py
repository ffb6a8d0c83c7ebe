"""After informing: the follow-up call (回访) and the review (复核) of a closed case.

The same ComplaintWorkflow stays open through the review period (docs/process.md, "After
informing"): the case is closed (办结) and shows so, while one clock runs: first the handling
unit's follow-up, then, if the complainant asks for a review, the reviewing unit's (the unit
above the handling unit; the Ministry for its own cases). Upheld, the case stays closed and
the complainant is told; reopened, the case goes back to the handling unit's opinion step
for a new round, and closes again with a follow-up and a review period of its own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import Channel, Stage
    from domain.records import ClockStatus, Notice, Outcome, TimelineEntry
    from workflows import clocks
    from workflows import complaint_wording as wording
    from workflows.activity_interfaces import OrgActivityInterface
    from workflows.complaint_publishing import save
    from workflows.complaint_stages import finish_clock, to_stage
    from workflows.complaint_state import Aftercare, CaseState
    from workflows.errors import ALREADY_DONE, INVALID_INPUT, WRONG_UNIT, ActionRefused
    from workflows.messages.activities import RulingRequest
    from workflows.messages.complaint import (
        DecideReview,
        FollowUp,
        RecordFollowUp,
        RequestReview,
        Review,
    )

PATCH = "follow-up-and-review"  # workflows closed before it end at informing
# A review clock's result (domain.records.Clock.result), as the oversight figures count it.
REVIEW_UPHELD, REVIEW_REOPENED = "upheld", "reopened"


async def begin(case: CaseState) -> bool:
    """Start the follow-up and the review period of a case that has just closed, in a record
    of their own; False if there is none (not closed, already begun with the closing's record
    as informing does now, or a history from before them)."""
    if case.stage is not Stage.CLOSED:
        return False
    if case.after is not None and case.after.closing == case.closings:
        return False
    if not workflow.patched(PATCH):
        return False
    entry, notice = await opening(case, known_reviewer=False)
    await save(case, [entry], [notice])
    case.version += 1
    return True


async def opening(case: CaseState, *, known_reviewer: bool) -> tuple[TimelineEntry, Notice]:
    """Start the follow-up clock and the review period of the case closing now; the entry and
    the notice that say so. The reviewing unit is the one routing found (`known_reviewer`) or,
    for histories from before that, looked up now."""
    now = case.closed_at or workflow.now()
    reviewing = case.reviewing if known_reviewer else ""
    if not reviewing:
        request = RulingRequest(parties=[case.handling])
        reviewing = await clocks.call(OrgActivityInterface.ruling_unit, request)
    number = case.closings
    clock = await clocks.start_clock(
        case.planner,
        f"follow_up-{number}",
        wording.FOLLOW_UP_LABEL,
        case.handling,
        now,
        case.policy.follow_up,
    )
    case.clock = clock
    case.clocks.append(clock)
    case.after = Aftercare(
        closing=number,
        closed_at=now,
        window_end=now + timedelta(days=case.policy.review_window),
        reviewing_unit=reviewing,
        follow_up_clock=clock,
    )
    text = wording.follow_up_started(case.handling, clock.due)
    return case.entry("follow_up_due", text, case.handling), case.notice(
        "step", text, unit=case.handling
    )


def next_moment(case: CaseState) -> datetime | None:
    """When the review period ends, if that is what the case waits for next: never sooner
    than a second from now, so that the answer to the action before reaches its caller
    before the workflow ends."""
    after = case.after
    if after is None or after.over or open_review(case):
        return None
    return max(after.window_end, workflow.now() + timedelta(seconds=1))


def open_review(case: CaseState) -> Review | None:
    after = case.after
    if after is None or after.review is None or after.review.decided_at is not None:
        return None
    return after.review


async def settle(case: CaseState) -> None:
    """End the period once the window has passed with no review open (an open follow-up
    clock stops: the complainant was not called back in the period)."""
    after = case.after
    if after is None or after.over or open_review(case) or workflow.now() < after.window_end:
        return
    finish_clock(case, ClockStatus.STOPPED)
    after.over = True
    await save(case, [case.entry("aftercare_over", wording.WINDOW_PASSED, case.handling)], [])
    case.version += 1


# ---------------------------------------------------------------- the follow-up call


def check_follow_up(case: CaseState, action: RecordFollowUp) -> None:
    after = _after(case)
    if action.actor_unit != case.handling:
        raise ActionRefused(wording.wrong_unit(case.handling, action.actor_unit), WRONG_UNIT)
    if after.followed_up:
        raise ActionRefused(wording.FOLLOWED_UP, ALREADY_DONE)


async def follow_up(case: CaseState, action: RecordFollowUp) -> None:
    after = _after(case)
    after.followed_up = True
    # The answer as data on the follow-up's clock, for the oversight figures (also when a
    # review request stopped the clock before the call was recorded).
    after.follow_up_clock.result = action.result.value
    if after.follow_up_clock is case.clock:
        finish_clock(case, ClockStatus.MET)
    case.follow_ups.append(
        FollowUp(
            result=action.result,
            at=workflow.now(),
            unit=case.handling,
            note=action.note,
            actor=action.actor,
        )
    )
    text = wording.followed_up(case.handling, action.result)
    entry = case.entry("followed_up", text, case.handling, actor=action.actor, note=action.note)
    await save(case, [entry], [])
    case.version += 1


# ---------------------------------------------------------------- the review


def check_request(case: CaseState, request: RequestReview) -> None:
    after = _after(case)
    if case.review_until() is None or workflow.now() > after.window_end:
        raise ActionRefused(wording.NO_REVIEW_NOW, ALREADY_DONE)
    if not request.reason.strip():
        raise ActionRefused(wording.EMPTY_REVIEW_REASON, INVALID_INPUT)
    by_staff = bool(request.actor_unit)
    if by_staff == (request.channel is Channel.WEB):
        raise ActionRefused(wording.REVIEW_CHANNEL_BY_STAFF, INVALID_INPUT)
    if by_staff and request.actor_unit not in (case.handling, after.reviewing_unit):
        text = wording.review_registered_by(case.handling, after.reviewing_unit)
        raise ActionRefused(text, WRONG_UNIT)


async def request_review(case: CaseState, request: RequestReview) -> None:
    after = _after(case)
    if after.follow_up_clock is case.clock:
        finish_clock(case, ClockStatus.STOPPED)
    number = sum(1 for c in case.clocks if c.key.startswith("review-")) + 1
    clock = await clocks.start_clock(
        case.planner,
        f"review-{number}",
        wording.REVIEW_LABEL,
        after.reviewing_unit,
        workflow.now(),
        case.policy.review,
    )
    case.clock = clock
    case.clocks.append(clock)
    review = Review(
        channel=request.channel,
        requested_at=workflow.now(),
        reviewing_unit=after.reviewing_unit,
        reason=request.reason,
        requested_by=request.actor,
    )
    after.review = review
    case.reviews.append(review)
    unit = request.actor_unit or after.reviewing_unit
    text = wording.review_requested(after.reviewing_unit, clock.due)
    entry = case.entry("review_requested", text, unit, actor=request.actor, note=request.reason)
    notice = wording.review_notice(case.input.tracking_no, clock.due)
    notices = [case.notice("review", notice, unit=after.reviewing_unit)]
    if after.reviewing_unit != case.handling:
        notices.append(case.notice("review", notice, unit=case.handling))
    await save(case, [entry], notices)
    case.version += 1


def check_decision(case: CaseState, action: DecideReview) -> None:
    review = open_review(case)
    if review is None:
        raise ActionRefused(wording.NO_OPEN_REVIEW, ALREADY_DONE)
    if action.actor_unit != review.reviewing_unit:
        raise ActionRefused(wording.not_the_reviewing_unit(review.reviewing_unit), WRONG_UNIT)
    if not action.reason.strip():
        raise ActionRefused(wording.EMPTY_DECISION, INVALID_INPUT)


async def decide(case: CaseState, action: DecideReview) -> None:
    """Uphold (the complainant is told, the case stays closed) or reopen for a new round."""
    after = _after(case)
    review = open_review(case)
    assert review is not None  # checked by the validator
    if case.clock is not None:  # the review's clock: its decision as data, for the figures
        case.clock.result = REVIEW_UPHELD if action.uphold else REVIEW_REOPENED
    finish_clock(case, ClockStatus.MET)
    review.decided_at, review.upheld = workflow.now(), action.uphold
    review.decision, review.decided_by = action.reason, action.actor
    tracking_no, unit = case.input.tracking_no, review.reviewing_unit
    if action.uphold:
        told = wording.upheld_to_complainant(tracking_no, action.reason)
        text = wording.review_upheld(unit)
        entry = case.entry("review_upheld", text, unit, actor=action.actor, note=action.reason)
        await save(case, [entry], [case.notice("review_upheld", told, to_complainant=True)])
        case.version += 1
        return
    after.over = True
    case.reopened += 1
    case.outcome = Outcome.PENDING
    told = wording.reopened_to_complainant(tracking_no)
    await to_stage(
        case,
        Stage.OPINION,
        wording.review_reopened(unit, case.handling),
        "reopened",
        actor=action.actor,
        actor_unit=unit,
        note=action.reason,
        notices=[case.notice("reopened", told, to_complainant=True)],
    )


def _after(case: CaseState) -> Aftercare:
    if case.after is None or case.after.over or not case.ended:
        raise ActionRefused(wording.NOT_CLOSED, ALREADY_DONE)
    return case.after
