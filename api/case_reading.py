"""The detail of a case and of a slip, and a slip's printed form, shaped from the read model;
ID and phone numbers masked."""

import json
from dataclasses import asdict

from fastapi import HTTPException, status
from sqlmodel import Session, col, select

from api.case_names import Names
from api.repeats import linked_cases
from api.schemas.complaints import (
    CaseDetail,
    CasePending,
    CaseSummary,
    ClockOut,
    ComplainantOut,
    HopOut,
    PersonalData,
    PersonOut,
    SlipDetail,
    SlipOut,
    StudentOut,
    TimelineOut,
)
from api.security import Staff, field_error
from api.slip_pdf import SlipDocument, StudentLine, file_line
from domain.ids import InvalidIdentifier, mask_id_card, mask_student_no
from domain.process import Stage
from domain.records import SlipState
from domain.roles import CASE_STAFF
from store import attachments
from store.cases import registration, slips, timeline
from store.models import Case, CaseClock, CaseSlip, Intake, TimelineRow
from store.repeats import repeats_of
from store.sealing import Sealer

PENDING_TEXT = "投诉已登记，办理流程正在建立，请稍后刷新"
PERSONAL_REFUSED = "只有本案处理单位的办案人员可以查看完整的个人信息"
PRIVATE_IN_REPLY = "公开答复不得包含投诉人或学生的姓名、电话、邮箱或证件号码"


def case_detail(session: Session, case: Case, sealer: Sealer, viewer: str) -> CaseDetail:
    """The case as the unit `viewer` reads it (which linked cases it may see)."""
    registered = registration(session, case.id, sealer)
    names = Names(session)
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
        timeline=[timeline_out(row, names, sealer) for row in timeline(session, case.id)],
        repeats=repeats_of(session, case.id),
        links=linked_cases(session, case.id, viewer),
    )


def pending_case(session: Session, unit_code: str, complaint_id: str) -> CasePending | None:
    """A complaint `unit_code` registered whose case the worker has not written yet, or
    None (no such registration, another unit's, or written already)."""
    intake = session.get(Intake, complaint_id)
    if intake is None or intake.receiving_unit != unit_code:
        return None
    if session.get(Case, complaint_id) is not None:  # written, and not this unit's to see
        return None
    return CasePending(
        id=complaint_id,
        tracking_no=intake.tracking_no,
        stage=Stage.REGISTERED.value,
        received_at=intake.created_at,
        detail=PENDING_TEXT,
    )


def personal_data(session: Session, case: Case, staff: Staff, sealer: Sealer) -> PersonalData:
    """The complainant's and the students' data unmasked, for the case staff of the unit that
    handles the case now (403 for any other unit that sees it): they call the complainant
    back and check the students' records. The route that answers it is an audited read."""
    if staff.unit_code != case.handling_unit or staff.role not in CASE_STAFF:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=PERSONAL_REFUSED)
    registered = registration(session, case.id, sealer)
    complainant = registered.complainant if registered else None
    return PersonalData(
        id=case.id,
        tracking_no=case.tracking_no,
        complainant=PersonOut(**asdict(complainant)) if complainant else None,
        students=[PersonOut(**asdict(s)) for s in (registered.students if registered else [])],
    )


def timeline_out(row: TimelineRow, names: Names, sealer: Sealer) -> TimelineOut:
    """An entry as staff read it: unit names for codes, the actor's name, their text."""
    return TimelineOut(
        at=row.at,
        kind=row.kind,
        unit=row.unit,
        unit_name=names.unit(row.unit),
        text=names.text(row.text),
        actor=row.actor,
        actor_name=names.person(row.actor),
        note=str(sealer.open_column(row, "sealed_note")) if row.sealed_note is not None else "",
    )


def check_public_reply(session: Session, case_id: str, reply: str, sealer: Sealer) -> None:
    """A 422 on `public_reply` when it names the complainant or a student, or quotes their
    phone, e-mail or ID numbers: the public tracking page shows it to anyone with the code."""
    registered = registration(session, case_id, sealer)
    if registered is None or not reply:
        return
    person = registered.complainant
    private = [person.name, person.phone, person.email, person.id_card, person.student_no]
    for student in registered.students:
        private += [student.name, student.id_card, student.student_no]
    squeezed = "".join(reply.split())
    if any(value and "".join(value.split()) in squeezed for value in private):
        raise field_error("public_reply", [PRIVATE_IN_REPLY])


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
        assignee=row.assignee,
        returned_by=row.returned_by,
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
        instructions=_opened(sealer, row, "sealed_instructions"),
        response=_opened(sealer, row, "sealed_response"),
        clock=ClockOut.model_validate(clock, from_attributes=True) if clock else None,
    )


def _opened(sealer: Sealer, row: CaseSlip, column: str) -> str:
    return str(sealer.open_column(row, column)) if getattr(row, column) else ""


def _masked(mask: object, value: str) -> str:
    if not value:
        return ""
    try:
        return mask(value)  # type: ignore[operator,no-any-return]
    except InvalidIdentifier:
        return "****"


def slip_document(session: Session, row: CaseSlip, sealer: Sealer) -> SlipDocument:
    """What the slip's PDF prints: names from the org tree, the case's summary and students
    unsealed, ID card numbers masked, the unit and person who returned it."""
    detail = slip_detail(session, row, sealer)
    names = Names(session)
    case = session.get(Case, row.case_id)
    registered = registration(session, row.case_id, sealer)
    return SlipDocument(
        kind=row.kind,
        slip_id=row.slip_id,
        round=row.round,
        tracking_no=case.tracking_no if case else "",
        issuer=_unit_label(names, row.issuer),
        addressee=_unit_label(names, row.addressee),
        route=[names.unit(code) for code in detail.route],
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
        returned_by=_returned_by(names, row),
        files=[
            file_line(attachments.name_of(file, sealer), file.size, file.sha256)
            for file in attachments.of_case(
                session=session, complaint_id=row.case_id, slip_ids=[row.slip_id]
            )
        ],
    )


def _returned_by(names: Names, row: CaseSlip) -> str:
    if row.returned_at is None:
        return ""
    person = f"（{names.display(row.returned_by)}）" if row.returned_by else ""
    return _unit_label(names, row.addressee) + person


def _unit_label(names: Names, code: str) -> str:
    return f"{code} {names.unit(code)}"
