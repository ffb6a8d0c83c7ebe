"""/api/faq: questions and answers (常见问题解答) that handlers and leaders write for their
unit, and that anyone may read once published."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, BeforeValidator, Field

from api.answers import Reply
from api.deps import ClockDep, EngineDep, FaqWriterDep
from api.faq_scope import PROVINCE, SEARCH, UNIT, find_published
from api.public_filters import FilterError
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from api.security import Staff
from store import faq as faq_store
from store.db import session_scope
from store.models import Faq
from store.org import ancestor_path, subtree_codes

router = APIRouter(prefix="/api/faq", tags=["faq"])

QUESTION_MAX, ANSWER_MAX = 200, 4000


def _text(label: str, limit: int) -> BeforeValidator:
    """Strip, then refuse blank or over-long text naming the field in Chinese."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # pydantic's own "应为文本"
        value = value.strip()
        if not value:
            raise ValueError(f"{label}不能为空")
        if len(value) > limit:
            raise ValueError(f"{label}最多 {limit} 个字符")
        return value

    return BeforeValidator(check)


Question = Annotated[
    str,
    Field(min_length=1, max_length=QUESTION_MAX, description="问题"),
    _text("问题", QUESTION_MAX),
]
Answer = Annotated[
    str, Field(min_length=1, max_length=ANSWER_MAX, description="答案"), _text("答案", ANSWER_MAX)
]


class FaqNew(BaseModel):
    """A question and its answer for the writer's own unit; unpublished unless asked."""

    question: Question
    answer: Answer
    published: bool = Field(False, description="是否向社会公开")


class FaqChange(BaseModel):
    """What to change; `published: false` withdraws the entry from the public pages."""

    question: Question | None = None
    answer: Answer | None = None
    published: bool | None = None


class FaqView(Reply):
    id: int
    unit_code: str
    question: str
    answer: str
    published: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


class FaqPublic(Reply):
    """A published entry as the public sees it."""

    id: int
    unit_code: str
    unit_name: str
    question: str
    answer: str
    updated_at: datetime


def _view(faq: Faq) -> FaqView:
    return FaqView.model_validate(faq, from_attributes=True)


def _may_edit(staff: Staff, path: tuple[str, ...]) -> bool:
    """Staff of the entry's unit or of a unit above it."""
    return staff.unit_code in path


@router.post("", status_code=status.HTTP_201_CREATED, responses={403: {}, 422: {}})
def create_faq(body: FaqNew, staff: FaqWriterDep, engine: EngineDep, clock: ClockDep) -> FaqView:
    """Write an entry for the caller's own unit (handler or leader)."""
    with session_scope(engine) as session:
        faq = faq_store.create(
            session=session,
            unit_code=staff.unit_code,
            question=body.question,
            answer=body.answer,
            published=body.published,
            created_by=staff.username,
            now=clock(),
        )
        return _view(faq)


@router.get("/unit", responses={403: {}})
def unit_faq(staff: FaqWriterDep, engine: EngineDep) -> list[FaqView]:
    """The entries of the caller's unit and of the units below it, drafts (not yet published)
    included: what the caller may edit."""
    with session_scope(engine) as session:
        units = subtree_codes(session=session, code=staff.unit_code)
        return [_view(faq) for faq in faq_store.of_units(session=session, units=units)]


# The faq.id column is a 32-bit integer: a larger id is a 422 naming it, never a database error.
FaqId = Annotated[int, Path(ge=1, le=2**31 - 1, description="问答编号")]


@router.patch("/{faq_id}", responses={403: {}, 404: {}, 422: {}})
def change_faq(
    faq_id: FaqId, body: FaqChange, staff: FaqWriterDep, engine: EngineDep, clock: ClockDep
) -> FaqView:
    """Edit, publish or withdraw an entry: staff of its unit or of a unit above, else 403."""
    with session_scope(engine) as session:
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
        return _view(faq)


@router.get(
    "",
    response_model=list[FaqPublic],
    dependencies=[Depends(rate_limited("public", "faq"))],
    responses={**TOO_MANY_RESPONSE, 422: {}},
)
def list_faq(
    engine: EngineDep,
    province: str | None = PROVINCE,
    unit: str | None = UNIT,
    q: str | None = SEARCH,
) -> list[FaqPublic]:
    """Published entries, no login needed: of one unit, or of every unit of a province."""
    try:
        found = find_published(engine, province=province, unit=unit, q=q)
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
