"""A complaint's slips: issued as SlipWorkflow children, awaited, cancelled, told of calendar
changes; the case moves on once every slip of its stage is back."""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.process import SlipKind, Stage
    from domain.records import SlipState
    from workflows import clocks
    from workflows import complaint_wording as wording
    from workflows.activity_interfaces import OrgActivityInterface
    from workflows.complaint_publishing import publish
    from workflows.complaint_stages import to_stage
    from workflows.complaint_state import FEWER_STEPS, CaseState
    from workflows.errors import UNKNOWN_UNIT, ActionRefused
    from workflows.messages.activities import DeadlinePlan, PathRequest, PathsRequest
    from workflows.messages.slip import SlipInput, SlipResult
    from workflows.slip import SlipWorkflow

_SLIP_PREFIX = {SlipKind.VERIFICATION: "V", SlipKind.SUPERVISION: "S"}


def lookup_reason(exc: ActivityError | ApplicationError) -> str:
    """The look-up's own message (it names the code); local activities raise it unwrapped."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    return cause.message if isinstance(cause, ApplicationError) else wording.UNREADABLE_CODE


async def issue(
    case: CaseState, kind: SlipKind, addressees: list[str], instructions: str, *, actor: str = ""
) -> None:
    """Issue one slip of `kind` to each addressee and enter the stage that waits for them;
    the entry keeps the instructions (or opinion) `actor` wrote."""
    days = case.policy.for_slip(kind)
    together = workflow.patched(FEWER_STEPS)  # histories from before: one thing at a time
    if together:  # the routes and the due time are looked up at once
        now = workflow.now()
        routes, deadline = await asyncio.gather(
            _routes(case, addressees, together=True), case.planner.plan(now, days)
        )
    else:
        routes = await _routes(case, addressees, together=False)
        now = workflow.now()
        deadline = await case.planner.plan(now, days)
    if kind is SlipKind.SUPERVISION:
        case.round += 1
    slips = [
        _slip(case, kind, addressee, route, now, deadline, days)
        for addressee, route in zip(addressees, routes, strict=True)
    ]
    starts = (_start(case, slip, instructions, days) for slip in slips)
    if together:  # the slips' workflows are started at once
        await asyncio.gather(*starts)
    else:
        for start in starts:
            await start
    stage = Stage.VERIFICATION if kind is SlipKind.VERIFICATION else Stage.EXECUTION
    issued = [slip.slip_id for slip in slips]
    text = wording.slips_issued(case.handling, kind, case.round, issued)
    # Entered at the moment the slips were sent (their `sent_at`), so that the timeline shows
    # the issuing before each slip's way down, which the slips' workflows record meanwhile.
    await to_stage(case, stage, text, stage.value, start=now, actor=actor, note=instructions)


def _slip(
    case: CaseState,
    kind: SlipKind,
    addressee: str,
    route: list[str],
    now: datetime,
    deadline: DeadlinePlan,
    days: int,
) -> SlipState:
    """A new slip to `addressee`, numbered after the case's slips of its kind, on the case."""
    number = sum(1 for s in case.slips.values() if s.kind is kind) + 1
    slip_id = f"{_SLIP_PREFIX[kind]}{number}"
    slip = SlipState(
        slip_id=slip_id,
        kind=kind,
        round=case.round if kind is SlipKind.SUPERVISION else 1,
        issuer=case.handling,
        addressee=addressee,
        route=route,
        sent_at=now,
        clock=clocks.planned_clock(
            f"slip-{slip_id}", wording.slip_label(kind, slip_id), addressee, now, days, deadline
        ),
    )
    case.slips[slip_id] = slip
    return slip


async def _start(case: CaseState, slip: SlipState, instructions: str, days: int) -> None:
    """Start the slip's workflow, and wait for its return in the background."""
    case.children[slip.slip_id] = await workflow.start_child_workflow(
        SlipWorkflow.run,
        SlipInput(
            complaint_id=case.input.complaint_id,
            slip=slip,
            instructions=instructions,
            working_days=days,
            escalate_every=case.policy.escalate_every,
            count_due_times=case.planner.counting,
        ),
        id=f"{case.input.complaint_id}.{slip.slip_id}",
    )
    asyncio.create_task(await_slip(case, slip.slip_id))  # noqa: RUF006


async def _routes(case: CaseState, addressees: list[str], *, together: bool) -> list[list[str]]:
    """The way from the handling unit to each addressee, in one look-up (`together`) or one
    each; an unknown code refuses the action."""
    try:
        if together:
            request = PathsRequest(from_code=case.handling, to_codes=addressees)
            return await clocks.call(OrgActivityInterface.unit_paths, request)
        return [
            await clocks.call(
                OrgActivityInterface.unit_path,
                PathRequest(from_code=case.handling, to_code=addressee),
            )
            for addressee in addressees
        ]
    except (ActivityError, ApplicationError) as exc:
        raise ActionRefused(lookup_reason(exc), UNKNOWN_UNIT) from None


async def await_slip(case: CaseState, slip_id: str) -> None:
    result: SlipResult = await case.children[slip_id]
    async with case.lock:
        case.slips[slip_id] = result.slip
        await _after_slip(case)
        case.settled.add(slip_id)
        case.version += 1


async def _after_slip(case: CaseState) -> None:
    """Move on once every slip of the current stage is back (its clock counts from then)."""
    if case.stage is Stage.VERIFICATION and case.all_back(SlipKind.VERIFICATION):
        await to_stage(case, Stage.OPINION, wording.ALL_VERIFIED, "verified")
    elif case.stage is Stage.EXECUTION and case.all_back(SlipKind.SUPERVISION):
        await to_stage(case, Stage.CONFIRMATION, wording.ALL_EXECUTED, "executed")
    else:
        publish(case)


async def cancel_open_slips(case: CaseState, reason: str, kind: SlipKind | None = None) -> None:
    for slip_id in case.open_slips(kind):
        await case.children[slip_id].signal(SlipWorkflow.cancel, reason)


async def tell_calendar_changed(case: CaseState) -> None:
    for slip_id in case.open_slips():
        await case.children[slip_id].signal(SlipWorkflow.calendar_changed)
