"""/api/faq: questions and answers (常见问题解答) that handlers and leaders write for their
unit, and that anyone may read once published."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from api import faq_service
from api.deps import CaseActorDep, ClockDep, SessionDep
from api.faq_scope import PROVINCE, SEARCH, UNIT, find_published
from api.public_filters import FilterError
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from api.schemas.faq import FaqChange, FaqNew, FaqPublic, FaqView

router = APIRouter(prefix="/api/faq", tags=["faq"])


@router.post("", status_code=status.HTTP_201_CREATED, responses={403: {}, 422: {}})
def create_faq(body: FaqNew, staff: CaseActorDep, session: SessionDep, clock: ClockDep) -> FaqView:
    """Write an entry for the caller's own unit (handler or leader)."""
    return faq_service.create(session, staff, body, clock())


@router.get("/unit", responses={403: {}})
def unit_faq(staff: CaseActorDep, session: SessionDep) -> list[FaqView]:
    """The entries of the caller's unit and of the units below it, drafts (not yet published)
    included: what the caller may edit."""
    return faq_service.unit_entries(session, staff)


# The faq.id column is a 32-bit integer: a larger id is a 422 naming it, never a database error.
FaqId = Annotated[int, Path(ge=1, le=2**31 - 1, description="问答编号")]


@router.patch("/{faq_id}", responses={403: {}, 404: {}, 422: {}})
def change_faq(
    faq_id: FaqId, body: FaqChange, staff: CaseActorDep, session: SessionDep, clock: ClockDep
) -> FaqView:
    """Edit, publish or withdraw an entry: staff of its unit or of a unit above, else 403."""
    return faq_service.change(session, staff, faq_id, body, clock())


@router.get(
    "",
    response_model=list[FaqPublic],
    dependencies=[Depends(rate_limited("public", "faq"))],
    responses={**TOO_MANY_RESPONSE, 422: {}},
)
def list_faq(
    session: SessionDep,
    province: str | None = PROVINCE,
    unit: str | None = UNIT,
    q: str | None = SEARCH,
) -> list[FaqPublic]:
    """Published entries, no login needed: of one unit, or of every unit of a province."""
    try:
        found = find_published(session, province=province, unit=unit, q=q)
    except FilterError as exc:
        raise exc.as_validation_error() from None
    return [
        FaqPublic(
            id=faq.id or 0,
            unit_code=faq.unit_code,
            unit_name=name,
            question=faq.question,
            answer=faq.answer,
            updated_at=faq.updated_at,
        )
        for faq, name in found
    ]
