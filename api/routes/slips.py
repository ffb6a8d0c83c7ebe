"""Slips addressed to or passing through the caller's unit (核查单, 督办单); a school's staff see
only the slips addressed to their school."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.audit_trail import PERSONAL_READ
from api.case_access import slip_on_route
from api.case_reading import slip_detail, slip_out
from api.deps import SealerDep, SessionDep, SettingsDep, SlipStaffDep
from api.schemas.complaints import SlipDetail, SlipOut
from api.slip_work import printed_slip
from store.queries import slips_through

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
    dependencies=[PERSONAL_READ],
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
    row = slip_on_route(session, staff, complaint_id, slip_id)
    return printed_slip(session, row, sealer, settings.pdf_font)


@router.get("/{complaint_id}/{slip_id}", dependencies=[PERSONAL_READ], response_model=SlipDetail)
def get_slip(
    complaint_id: ComplaintId,
    slip_id: Annotated[str, Path(max_length=16)],
    staff: SlipStaffDep,
    session: SessionDep,
    sealer: SealerDep,
) -> SlipDetail:
    """One slip with its instructions, answer and deadline, for the units on its route."""
    return slip_detail(session, slip_on_route(session, staff, complaint_id, slip_id), sealer)
