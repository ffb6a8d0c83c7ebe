"""Slips addressed to or passing through the caller's unit (核查单, 督办单)."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from sqlmodel import Session

from api.case_reading import slip_detail, slip_out
from api.complaint_schemas import SlipDetail, SlipOut
from api.deps import EngineDep, SealerDep
from api.security import Staff, require_roles
from store.models import CaseSlip
from store.queries import slips_through

router = APIRouter(prefix="/api/slips", tags=["slips"])
ReaderDep = Annotated[Staff, Depends(require_roles("clerk", "handler", "leader"))]


@router.get("", response_model=list[SlipOut])
def list_slips(staff: ReaderDep, engine: EngineDep) -> list[SlipOut]:
    """Every slip addressed to the caller's unit or passing through it, newest first."""
    with Session(engine) as session:
        return [slip_out(row) for row in slips_through(session=session, unit_code=staff.unit_code)]


@router.get("/{complaint_id}/{slip_id}", response_model=SlipDetail)
def get_slip(
    complaint_id: Annotated[str, Path(max_length=64)],
    slip_id: Annotated[str, Path(max_length=16)],
    staff: ReaderDep,
    engine: EngineDep,
    sealer: SealerDep,
) -> SlipDetail:
    """One slip with its instructions, answer and deadline, for the units on its route."""
    with Session(engine) as session:
        row = session.get(CaseSlip, (complaint_id, slip_id))
        if row is None or f'"{staff.unit_code}"' not in row.route:
            raise HTTPException(404, detail="没有这张单据")
        return slip_detail(session, row, sealer)
