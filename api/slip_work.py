"""A unit's slips (核查单, 督办单), for the JSON routes and the console alike: the slips it
received or that pass through it, the printed form, and returning one."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Response
from sqlmodel import Session, col, select

from api import workflow_calls
from api.answers import in_beijing_time
from api.attachments import AttachmentOut, out
from api.case_access import slip_on_route, visible_or_404
from api.case_names import Names
from api.case_reading import slip_document
from api.deps import store_call
from api.security import Staff, has_role
from api.slip_pdf import content_disposition, embeddable_font, render
from domain.process import SLIP_NAMES, SlipKind
from domain.records import AttachmentRef, SlipState, SlipStatus
from domain.roles import CASE_ACTORS, SCHOOL_SLIP_ACTORS
from store.attachments import of_slip_returns
from store.inbox import SLIP_CLOCK
from store.models import Case, CaseClock, CaseSlip
from store.queries import slips_through
from store.sealing import Sealer
from workflows.messages.slip import ReturnSlip
from workflows.slip import SlipWorkflow

STATUS_NAMES = {
    SlipStatus.OPEN: "待反馈",
    SlipStatus.RETURNED: "已反馈",
    SlipStatus.CANCELLED: "已撤销",
}


@dataclass(frozen=True)
class ReceivedSlip:
    """A slip as the unit's list shows it, with what the caller may do with it."""

    complaint_id: str
    slip_id: str
    kind: str  # verification 核查单, supervision 督办单
    kind_name: str
    tracking_no: str
    issuer_name: str
    addressee_name: str
    addressed_here: bool  # addressed to the caller's unit (else it passes through)
    case_seen: bool  # the caller may open the case (a bureau on the route; never a school)
    sent_at: datetime
    due: datetime | None
    estimated: bool
    overdue: bool
    due_soon: bool
    escalation_level: int
    status: str
    status_name: str
    returned_at: datetime | None
    assignee: str  # the addressee's person in charge, a username ('' none yet)
    assignee_name: str
    instructions: str  # the issuer's, shown to the addressee only
    may_return: bool
    # The files of the slip's return, for its addressee (what /api/.../attachments lists a
    # school: the files of the slips addressed to it); none for a slip passing through.
    files: tuple[AttachmentOut, ...] = ()


def may_return(staff: Staff, row: CaseSlip) -> bool:
    """Whether the caller may return the slip now: its addressee's handler or leader (a
    school's handler), while it is open. The workflow checks the unit again."""
    return (
        row.addressee == staff.unit_code
        and row.status == SlipStatus.OPEN
        and has_role(staff, CASE_ACTORS, SCHOOL_SLIP_ACTORS)
    )


def received_slips(
    session: Session, staff: Staff, sealer: Sealer, *, now: datetime
) -> list[ReceivedSlip]:
    """The slips addressed to the caller's unit or passing through it (a school: addressed
    to it), open ones first, each group newest first."""
    rows = slips_through(session=session, unit_code=staff.unit_code)
    case_ids = {row.case_id for row in rows}
    numbers = select(Case.id, Case.tracking_no).where(col(Case.id).in_(case_ids))
    tracking = {case_id: number for case_id, number in session.exec(numbers)}
    clocks = {
        (clock.case_id, clock.key): clock
        for clock in session.exec(
            select(CaseClock).where(
                col(CaseClock.case_id).in_(case_ids), col(CaseClock.key).startswith(SLIP_CLOCK)
            )
        )
    }
    names = Names(session)
    files = _returned_files(session, sealer, staff, rows)
    slips = [
        _received(
            row,
            clocks.get((row.case_id, SLIP_CLOCK + row.slip_id)),
            tracking.get(row.case_id, ""),
            staff,
            sealer,
            now,
            names,
            files.get((row.case_id, row.slip_id), ()),
        )
        for row in rows
    ]
    return sorted(slips, key=lambda slip: slip.status != SlipStatus.OPEN)  # stable: newest first


def _returned_files(
    session: Session, sealer: Sealer, staff: Staff, rows: list[CaseSlip]
) -> dict[tuple[str, str], tuple[AttachmentOut, ...]]:
    """The files of each slip addressed to the caller's unit, by (case, slip)."""
    here = {(row.case_id, row.slip_id) for row in rows if row.addressee == staff.unit_code}
    found: dict[tuple[str, str], tuple[AttachmentOut, ...]] = {}
    if not here:
        return found
    for file in of_slip_returns(session=session, case_ids={case_id for case_id, _ in here}):
        key = (file.complaint_id, file.slip_id)
        if key in here:
            found[key] = (*found.get(key, ()), out(file, sealer))
    return found


def _received(
    row: CaseSlip,
    clock: CaseClock | None,
    tracking_no: str,
    staff: Staff,
    sealer: Sealer,
    now: datetime,
    names: Names,
    files: tuple[AttachmentOut, ...],
) -> ReceivedSlip:
    is_open = row.status == SlipStatus.OPEN
    overdue = bool(clock and clock.overdue and is_open)
    here = row.addressee == staff.unit_code
    return ReceivedSlip(
        complaint_id=row.case_id,
        slip_id=row.slip_id,
        kind=row.kind,
        kind_name=SLIP_NAMES.get(SlipKind(row.kind), row.kind),
        tracking_no=tracking_no,
        issuer_name=names.unit(row.issuer),
        addressee_name=names.unit(row.addressee),
        addressed_here=here,
        case_seen=not staff.at_school,
        sent_at=row.sent_at,
        due=clock.due if clock else None,
        estimated=bool(clock and clock.estimated),
        overdue=overdue,
        due_soon=bool(clock and is_open and not overdue and now >= clock.remind_at),
        escalation_level=clock.escalation_level if clock else 0,
        status=row.status,
        status_name=STATUS_NAMES.get(SlipStatus(row.status), row.status),
        returned_at=row.returned_at,
        assignee=row.assignee,
        assignee_name=names.person(row.assignee),
        instructions=(
            str(sealer.open_column(row, "sealed_instructions"))
            if here and row.sealed_instructions
            else ""
        ),
        may_return=may_return(staff, row),
        files=files,
    )


def printed_slip(session: Session, row: CaseSlip, sealer: Sealer, font: Path | None) -> Response:
    """The slip as an A4 PDF form to print, sign and seal, named for download."""
    document = slip_document(session, row, sealer)
    return Response(
        render(document, embeddable_font(font)),
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(document)},
    )


async def return_slip(
    staff: Staff,
    session: Session,
    temporal: Any,
    complaint_id: str,
    slip_id: str,
    response: str,
    attachments: list[AttachmentRef] | None = None,
) -> SlipState:
    """The addressee returns its slip with the findings or the result; the slip as returned.
    404 for a case (a school: a slip) the caller may not see; the workflow's refusals (wrong
    unit 403, already returned 409, empty answer 422) as HTTPException; a slip the store shows
    whose workflow has not started yet (the store ahead of the history) is waited for, then
    503. The caller's role is the route's to check."""
    if staff.at_school:  # a school sees the slip, never the case
        await store_call(session, slip_on_route, session, staff, complaint_id, slip_id)
    else:
        await visible_or_404(session, staff, complaint_id)
    client = await temporal.client()
    action = ReturnSlip(
        actor_unit=staff.unit_code,
        actor=staff.username,
        slip_id=slip_id,
        response=response,
        attachments=attachments or [],
    )
    returned: SlipState = await workflow_calls.update_once_started(
        client, f"{complaint_id}.{slip_id}", SlipWorkflow.return_slip, action
    )
    return in_beijing_time(returned)
