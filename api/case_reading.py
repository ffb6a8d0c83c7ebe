"""The detail of a case and of a slip, shaped from the read model; ID and phone numbers masked."""

import json

from sqlmodel import Session, col, select

from api.complaint_schemas import (
    CaseDetail,
    CaseSummary,
    ComplainantOut,
    HopOut,
    SlipDetail,
    SlipOut,
    StepOut,
    StudentOut,
    TimelineOut,
)
from domain.ids import InvalidIdentifier, mask_id_card, mask_student_no
from store.cases import registration, slips, timeline
from store.models import Case, CaseSlip, CaseStep
from store.sealing import Sealer


def case_detail(session: Session, case: Case, sealer: Sealer) -> CaseDetail:
    registered = registration(session, case.id, sealer)
    steps = session.exec(
        select(CaseStep).where(CaseStep.case_id == case.id).order_by(col(CaseStep.started_at))
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
        steps=[StepOut.model_validate(step, from_attributes=True) for step in steps],
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


def slip_detail(session: Session, row: CaseSlip, sealer: Sealer) -> SlipDetail:
    clock = session.get(CaseStep, (row.case_id, f"slip-{row.slip_id}"))
    return SlipDetail(
        **slip_out(row).model_dump(),
        instructions=str(sealer.open(row.sealed_instructions)) if row.sealed_instructions else "",
        response=str(sealer.open(row.sealed_response)) if row.sealed_response else "",
        clock=StepOut.model_validate(clock, from_attributes=True) if clock else None,
    )


def _masked(mask: object, value: str) -> str:
    if not value:
        return ""
    try:
        return mask(value)  # type: ignore[operator,no-any-return]
    except InvalidIdentifier:
        return "****"
