"""Slips addressed to or passing through the caller's unit (核查单, 督办单); a school's staff see
only the slips addressed to their school."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response
from sqlmodel import Session

from api.case_reading import slip_detail, slip_document, slip_out
from api.deps import SealerDep, SessionDep, SettingsDep, SlipStaffDep
from api.schemas.complaints import SlipDetail, SlipOut
from api.security import Staff
from api.slip_pdf import content_disposition, embeddable_font, render
from store.models import CaseSlip
from store.queries import slips_through, visible_slip

router = APIRouter(prefix="/api/slips", tags=["slips"])
ComplaintId = Annotated[str, Path(max_length=64)]


@router.get("", response_model=list[SlipOut])
def list_slips(staff: SlipStaffDep, session: SessionDep) -> list[SlipOut]:
    """Every slip addressed to the caller's unit or passing through it (a school: addressed to
    it), newest first."""
    return [slip_out(row) for row in slips_through(session=session, unit_code=staff.unit_code)]


# Declared before `get_slip`, whose `{slip_id}` would otherwise take "V1.pdf" as a slip id.
@router.get(
    "/{complaint_id}/{slip_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the slip as A4 PDF"}},
)
def get_slip_pdf(
    complaint_id: ComplaintId,
    slip_id: Annotated[str, Path(pattern=r"^[VS]\d{1,4}$")],
    staff: SlipStaffDep,
    session: SessionDep,
    sealer: SealerDep,
    settings: SettingsDep,
) -> Response:
    """The slip as an A4 form to print, sign and seal (核查单 or 督办单), for the units on its
    route; students' ID card numbers masked."""
    document = slip_document(session, _slip_on_route(session, staff, complaint_id, slip_id), sealer)
    return Response(
        render(document, embeddable_font(settings.pdf_font)),
        media_type="application/pdf",
        headers={"Content-Disposition": content_disposition(document)},
    )


@router.get("/{complaint_id}/{slip_id}", response_model=SlipDetail)
def get_slip(
    complaint_id: ComplaintId,
    slip_id: Annotated[str, Path(max_length=16)],
    staff: SlipStaffDep,
    session: SessionDep,
    sealer: SealerDep,
) -> SlipDetail:
    """One slip with its instructions, answer and deadline, for the units on its route."""
    return slip_detail(session, _slip_on_route(session, staff, complaint_id, slip_id), sealer)


def _slip_on_route(session: Session, staff: Staff, complaint_id: str, slip_id: str) -> CaseSlip:
    """The slip if the caller's unit is on its route (a school: is its addressee); 404 alike
    for one it may not see."""
    row = visible_slip(
        session=session, unit_code=staff.unit_code, complaint_id=complaint_id, slip_id=slip_id
    )
    if row is None:
        raise HTTPException(404, detail="没有这张单据")
    return row
