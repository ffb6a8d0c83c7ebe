"""A complaint's slips: issued as SlipWorkflow children, awaited, cancelled, told of calendar
changes; the case moves on once every slip of its stage is back."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.process import SlipKind, Stage
    from domain.records import Clock, SlipState
    from workflows import clocks
    from workflows import complaint_wording as wording
    from workflows.activity_interfaces import OrgActivityInterface
    from workflows.complaint_publishing import publish
    from workflows.complaint_stages import to_stage
    from workflows.complaint_state import FEWER_STEPS, CaseState
    from workflows.errors import UNKNOWN_UNIT, ActionRefused
    from workflows.messages.activities import PathRequest, PathsRequest
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
    routes = await _routes(case, addressees)
    now = workflow.now()
    days = case.policy.for_slip(kind)
    deadline = await clocks.plan(now, days)
    if kind is SlipKind.SUPERVISION:
        case.round += 1
    issued: list[str] = []
    for addressee, route in zip(addressees, routes, strict=True):
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
            clock=Clock(
                key=f"slip-{slip_id}",
                label=wording.slip_label(kind, slip_id),
                unit=addressee,
                started_at=now,
                due=deadline.due,
                remind_at=deadline.remind_at,
                estimated=deadline.estimated,
                working_days=days,
            ),
        )
        case.slips[slip_id] = slip
        case.children[slip_id] = await workflow.start_child_workflow(
            SlipWorkflow.run,
            SlipInput(
                complaint_id=case.input.complaint_id,
                slip=slip,
                instructions=instructions,
                working_days=days,
                escalate_every=case.policy.escalate_every,
            ),
            id=f"{case.input.complaint_id}.{slip_id}",
        )
        asyncio.create_task(await_slip(case, slip_id))  # noqa: RUF006
        issued.append(slip_id)
    stage = Stage.VERIFICATION if kind is SlipKind.VERIFICATION else Stage.EXECUTION
    text = wording.slips_issued(case.handling, kind, case.round, issued)
    await to_stage(case, stage, text, stage.value, actor=actor, note=instructions)


async def _routes(case: CaseState, addressees: list[str]) -> list[list[str]]:
    """The way from the handling unit to each addressee; an unknown code refuses the action."""
    try:
        if workflow.patched(FEWER_STEPS):
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
