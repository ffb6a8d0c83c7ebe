"""/api/faq: questions and answers (常见问题解答) that handlers and leaders write for their
unit, and that anyone may read once published."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status

from api.deps import CaseActorDep, ClockDep, SessionDep
from api.faq_scope import PROVINCE, SEARCH, UNIT, find_published
from api.public_filters import FilterError
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from api.schemas.faq import FaqChange, FaqNew, FaqPublic, FaqView
from api.security import Staff
from store import faq as faq_store
from store.models import Faq
from store.org import ancestor_path, subtree_codes

router = APIRouter(prefix="/api/faq", tags=["faq"])


def _view(faq: Faq) -> FaqView:
    return FaqView.model_validate(faq, from_attributes=True)


def _may_edit(staff: Staff, path: tuple[str, ...]) -> bool:
    """Staff of the entry's unit or of a unit above it."""
    return staff.unit_code in path


@router.post("", status_code=status.HTTP_201_CREATED, responses={403: {}, 422: {}})
def create_faq(body: FaqNew, staff: CaseActorDep, session: SessionDep, clock: ClockDep) -> FaqView:
    """Write an entry for the caller's own unit (handler or leader)."""
    faq = faq_store.create(
        session=session,
        unit_code=staff.unit_code,
        question=body.question,
        answer=body.answer,
        published=body.published,
        created_by=staff.username,
        now=clock(),
    )
    view = _view(faq)
    session.commit()
    return view


@router.get("/unit", responses={403: {}})
def unit_faq(staff: CaseActorDep, session: SessionDep) -> list[FaqView]:
    """The entries of the caller's unit and of the units below it, drafts (not yet published)
    included: what the caller may edit."""
    units = subtree_codes(session=session, code=staff.unit_code)
    return [_view(faq) for faq in faq_store.of_units(session=session, units=units)]


# The faq.id column is a 32-bit integer: a larger id is a 422 naming it, never a database error.
FaqId = Annotated[int, Path(ge=1, le=2**31 - 1, description="问答编号")]


@router.patch("/{faq_id}", responses={403: {}, 404: {}, 422: {}})
def change_faq(
    faq_id: FaqId, body: FaqChange, staff: CaseActorDep, session: SessionDep, clock: ClockDep
) -> FaqView:
    """Edit, publish or withdraw an entry: staff of its unit or of a unit above, else 403."""
    faq = faq_store.get(session=session, faq_id=faq_id)
    if faq is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="问答不存在")
    if not _may_edit(staff, ancestor_path(session=session, code=faq.unit_code)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="只能修改本单位或下级单位的问答")
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(faq, name, value)
    faq.updated_at = clock()
    session.add(faq)
    session.flush()
    view = _view(faq)
    session.commit()
    return view


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
