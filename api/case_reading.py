"""The detail of a case and of a slip, and a slip's printed form, shaped from the read model;
ID and phone numbers masked."""

import json

from sqlmodel import Session, col, select

from api.schemas.complaints import (
    CaseDetail,
    CaseSummary,
    ClockOut,
    ComplainantOut,
    HopOut,
    SlipDetail,
    SlipOut,
    StudentOut,
    TimelineOut,
)
from api.slip_pdf import SlipDocument, StudentLine
from domain.ids import InvalidIdentifier, mask_id_card, mask_student_no
from domain.records import SlipState
from store.cases import registration, slips, timeline
from store.models import Case, CaseClock, CaseSlip, School, Unit
from store.sealing import Sealer


def case_detail(session: Session, case: Case, sealer: Sealer) -> CaseDetail:
    registered = registration(session, case.id, sealer)
    steps = session.exec(
        select(CaseClock).where(CaseClock.case_id == case.id).order_by(col(CaseClock.started_at))
    )
    return CaseDetail(
        **CaseSummary.model_validate(case, from_attributes=True).model_dump(),
        complainant=(
            ComplainantOut(
                name=registered.complainant.name,
                phone_masked=case.phone_masked,
                email=registered.complainant.email,
                id_card_masked=_masked(mask_id_card, registered.complainant.id_card),
            )
            if registered
            else None
        ),
        students=[
            StudentOut(
                name=student.name,
                id_card_masked=_masked(mask_id_card, student.id_card),
                student_no_masked=_masked(mask_student_no, student.student_no),
            )
            for student in (registered.students if registered else [])
        ],
        summary=registered.content if registered else "",
        school_codes=registered.school_codes if registered else [],
        unit_codes=registered.unit_codes if registered else [],
        steps=[ClockOut.model_validate(step, from_attributes=True) for step in steps],
        slips=[slip_out(row) for row in slips(session, case.id)],
        timeline=[
            TimelineOut.model_validate(row, from_attributes=True)
            for row in timeline(session, case.id)
        ],
    )


def slip_out(row: CaseSlip) -> SlipOut:
    return SlipOut(
        complaint_id=row.case_id,
        slip_id=row.slip_id,
        kind=row.kind,
        round=row.round,
        issuer=row.issuer,
        addressee=row.addressee,
        route=json.loads(row.route),
        hops=[HopOut(**hop) for hop in json.loads(row.hops)],
        status=row.status,
        sent_at=row.sent_at,
        returned_at=row.returned_at,
    )


def slip_state_out(complaint_id: str, slip: SlipState) -> SlipOut:
    """A slip as its workflow holds it, in the shape of the slip list."""
    return SlipOut(
        complaint_id=complaint_id,
        slip_id=slip.slip_id,
        kind=str(slip.kind),
        round=slip.round,
        issuer=slip.issuer,
        addressee=slip.addressee,
        route=list(slip.route),
        hops=[HopOut(from_unit=hop.from_unit, to_unit=hop.to_unit, at=hop.at) for hop in slip.hops],
        status=str(slip.status),
        sent_at=slip.sent_at,
        returned_at=slip.returned_at,
    )


def slip_detail(session: Session, row: CaseSlip, sealer: Sealer) -> SlipDetail:
    clock = session.get(CaseClock, (row.case_id, f"slip-{row.slip_id}"))
    return SlipDetail(
        **slip_out(row).model_dump(),
        instructions=str(sealer.open(row.sealed_instructions)) if row.sealed_instructions else "",
        response=str(sealer.open(row.sealed_response)) if row.sealed_response else "",
        clock=ClockOut.model_validate(clock, from_attributes=True) if clock else None,
    )


def _masked(mask: object, value: str) -> str:
    if not value:
        return ""
    try:
        return mask(value)  # type: ignore[operator,no-any-return]
    except InvalidIdentifier:
        return "****"


def slip_document(session: Session, row: CaseSlip, sealer: Sealer) -> SlipDocument:
    """What the slip's PDF prints: names from the org tree, the case's summary and students
    unsealed, ID card numbers masked."""
    detail = slip_detail(session, row, sealer)
    case = session.get(Case, row.case_id)
    registered = registration(session, row.case_id, sealer)
    return SlipDocument(
        kind=row.kind,
        slip_id=row.slip_id,
        round=row.round,
        tracking_no=case.tracking_no if case else "",
        issuer=_unit_label(session, row.issuer),
        addressee=_unit_label(session, row.addressee),
        route=[_unit_name(session, code) for code in detail.route],
        sent_at=row.sent_at,
        summary=registered.content if registered else "",
        students=[
            StudentLine(name=student.name, id_card_masked=_masked(mask_id_card, student.id_card))
            for student in (registered.students if registered else [])
        ],
        instructions=detail.instructions,
        due=detail.clock.due if detail.clock else None,
        estimated=detail.clock.estimated if detail.clock else False,
        response=detail.response,
        returned_at=row.returned_at,
        returned_by=_unit_label(session, row.addressee) if row.returned_at else "",
    )


def _unit_name(session: Session, code: str) -> str:
    """The name of a unit or school in the org tree; the code itself when it is not there."""
    found = session.get(Unit, code) or session.get(School, code)
    return found.name if found else code


def _unit_label(session: Session, code: str) -> str:
    return f"{code} {_unit_name(session, code)}"
