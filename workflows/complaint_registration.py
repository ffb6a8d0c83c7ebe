"""Registering a complaint: route it to its handling unit, record who passed it on, then
either refer a caller to that unit's hotline or wait for the first verification slips."""

from __future__ import annotations

import itertools

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.process import Stage, first_stage
    from domain.records import Outcome, Registration
    from workflows import clocks
    from workflows import complaint_wording as wording
    from workflows.activity_interfaces import OrgActivityInterface
    from workflows.complaint_stages import to_stage, to_terminal
    from workflows.complaint_state import CaseState
    from workflows.messages.activities import RouteRequest


async def register(case: CaseState) -> None:
    input = case.input
    routing = await clocks.call(
        OrgActivityInterface.route_complaint,
        RouteRequest(
            receiving_unit=input.receiving_unit,
            school_codes=input.school_codes,
            unit_codes=input.unit_codes,
        ),
    )
    handling = routing.handling_unit
    case.handling, case.province = handling, routing.province
    case.reviewing = routing.reviewing_unit
    case.route, case.related = routing.route, routing.related_units
    registration = Registration(
        complainant=input.complainant,
        content=input.content,
        school_codes=input.school_codes,
        unit_codes=input.unit_codes,
        students=input.students,
    )
    timeline = [
        case.entry(
            "registered",
            wording.registered(input.receiving_unit, input.tracking_no, handling),
            input.receiving_unit,
            at=input.received_at,
        )
    ]
    notices = [
        case.notice("registered", wording.registered_notice(input.tracking_no), to_complainant=True)
    ]
    stage = first_stage(
        channel=input.channel,
        refer_to_hotline=input.refer_to_hotline,
        receiving_unit=input.receiving_unit,
        handling_unit=handling,
    )
    if stage is Stage.REFERRED:
        case.outcome = Outcome.REFERRED
        notices.append(
            case.notice(
                "referred",
                wording.referral_notice(handling, routing.hotline or wording.NO_HOTLINE),
                to_complainant=True,
            )
        )
        await to_terminal(
            case,
            Stage.REFERRED,
            wording.referred(handling),
            "referred",
            notices,
            registration=registration,
            timeline=timeline,
        )
        return
    # Forwarding is at once: the case reaches the handling unit when it is received.
    arrival = input.received_at
    for from_unit, to_unit in itertools.pairwise(case.route):
        timeline.append(
            case.entry("forwarded", wording.forwarded(from_unit, to_unit), to_unit, at=arrival)
        )
        if to_unit != handling:
            notices.append(
                case.notice(
                    "passed_on", wording.passed_on_notice(input.tracking_no, handling), unit=to_unit
                )
            )
    if handling != input.receiving_unit:
        notices.append(
            case.notice("transferred", wording.transferred_notice(handling), to_complainant=True)
        )
    await to_stage(
        case,
        Stage.VERIFY_ISSUE,
        wording.arrived(handling),
        "arrived",
        registration=registration,
        timeline=timeline,
        notices=notices,
        start=arrival,
    )
