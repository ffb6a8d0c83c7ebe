"""Level disputes (处理层级争议): raised by a party before the handling opinion, ruled by the
unit above the parties; a ruling for another unit re-routes the case to it.

Disputes arrive as Signals: one that does not apply is recorded in the timeline as refused.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.process import DISPUTABLE, SlipKind, Stage
    from domain.records import ClockStatus
    from workflows import clocks
    from workflows import complaint_wording as wording
    from workflows.activity_interfaces import OrgActivityInterface
    from workflows.complaint_publishing import record_timeline
    from workflows.complaint_slips import cancel_open_slips, lookup_reason
    from workflows.complaint_stages import to_stage
    from workflows.complaint_state import CaseState, is_code
    from workflows.messages.activities import RouteRequest, RulingRequest
    from workflows.messages.complaint import Dispute, RaiseDispute, RuleDispute


async def refuse(case: CaseState, unit: str, reason: str, person: str = "") -> None:
    await record_timeline(case, case.entry("refused", wording.refused(reason), unit, actor=person))


async def raise_dispute(case: CaseState, request: RaiseDispute) -> None:
    actor, person = request.actor_unit, request.actor
    verifiers = {s.addressee for s in case.slips.values() if s.kind is SlipKind.VERIFICATION}
    parties_allowed = {case.handling, *case.related, *verifiers}
    if case.stage not in DISPUTABLE:
        return await refuse(case, actor, wording.TOO_LATE_TO_DISPUTE, person)
    if actor not in parties_allowed:
        return await refuse(case, actor, wording.not_a_party(actor), person)
    if request.proposed_unit == case.handling or not is_code(request.proposed_unit):
        return await refuse(case, actor, wording.not_another_unit(request.proposed_unit), person)
    parties = [case.handling, request.proposed_unit]
    try:
        ruling = await clocks.call(OrgActivityInterface.ruling_unit, RulingRequest(parties=parties))
    except (ActivityError, ApplicationError) as exc:
        return await refuse(case, actor, lookup_reason(exc), person)
    case.disputes.append(
        Dispute(
            raised_by=actor,
            proposed_unit=request.proposed_unit,
            parties=parties,
            ruling_unit=ruling,
            raised_at=workflow.now(),
            resumed_stage=case.stage,
            reason=request.reason,
            raised_by_person=person,
        )
    )
    await to_stage(
        case,
        Stage.DISPUTED,
        wording.dispute_raised(actor, request.proposed_unit, ruling),
        "dispute_raised",
        stop=ClockStatus.STOPPED,
        actor=person,
        actor_unit=actor,
        note=request.reason,
    )


async def rule_dispute(case: CaseState, request: RuleDispute) -> None:
    actor, person = request.actor_unit, request.actor
    if case.stage is not Stage.DISPUTED:
        return await refuse(case, actor, wording.NO_OPEN_DISPUTE, person)
    dispute = case.disputes[-1]
    if actor != dispute.ruling_unit:
        return await refuse(case, actor, wording.not_the_ruling_unit(dispute.ruling_unit), person)
    choices = [*dispute.parties, dispute.ruling_unit]
    if request.handling_unit not in choices:
        return await refuse(case, actor, wording.not_a_choice(choices), person)
    dispute.ruled_at, dispute.ruled_handling_unit = workflow.now(), request.handling_unit
    dispute.ruling_reason, dispute.ruled_by_person = request.reason, person
    text = wording.dispute_ruled(dispute.ruling_unit, request.handling_unit)
    if request.handling_unit == case.handling:
        resumed = dispute.resumed_stage
        if resumed is Stage.VERIFICATION and case.all_back(SlipKind.VERIFICATION):
            resumed = Stage.OPINION  # the slips came back while the dispute was open
        await to_stage(
            case,
            resumed,
            text,
            "dispute_ruled",
            actor=person,
            actor_unit=actor,
            note=request.reason,
        )
        return
    await cancel_open_slips(case, wording.HANDLING_UNIT_CHANGED, SlipKind.VERIFICATION)
    routing = await clocks.call(
        OrgActivityInterface.route_complaint,
        RouteRequest(
            receiving_unit=case.handling, school_codes=[], unit_codes=[request.handling_unit]
        ),
    )
    case.handling, case.province = routing.handling_unit, routing.province
    case.reviewing = routing.reviewing_unit
    case.route = [*case.route[:-1], *routing.route]
    case.assignee = ""  # the new handling unit names its own
    await to_stage(
        case,
        Stage.VERIFY_ISSUE,
        text,
        "dispute_ruled",
        actor=person,
        actor_unit=actor,
        note=request.reason,
        notices=[
            case.notice(
                "assigned", wording.assigned_notice(case.input.tracking_no), unit=case.handling
            )
        ],
    )
