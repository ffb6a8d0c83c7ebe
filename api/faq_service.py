"""The FAQ (常见问题解答) as staff write it: what POST/PATCH /api/faq and GET /api/faq/unit do,
and the console's 常见问题 pages with them. Handlers and leaders write for their own unit and
edit the entries of their unit and the units below it."""

from datetime import datetime

from fastapi import HTTPException, status
from sqlmodel import Session

from api.schemas.faq import FaqChange, FaqNew, FaqView
from api.security import Staff
from store import faq as faq_store
from store.models import Faq
from store.org import ancestor_path, subtree_codes

NOT_FOUND = "问答不存在"
NOT_YOURS = "只能修改本单位或下级单位的问答"


def view(faq: Faq) -> FaqView:
    return FaqView.model_validate(faq, from_attributes=True)


def create(session: Session, staff: Staff, body: FaqNew, now: datetime) -> FaqView:
    """Write an entry for the caller's own unit, committed."""
    faq = faq_store.create(
        session=session,
        unit_code=staff.unit_code,
        question=body.question,
        answer=body.answer,
        published=body.published,
        created_by=staff.username,
        now=now,
    )
    written = view(faq)
    session.commit()
    return written


def unit_entries(session: Session, staff: Staff) -> list[FaqView]:
    """The entries of the caller's unit and of the units below it, drafts included: what the
    caller may edit."""
    units = subtree_codes(session=session, code=staff.unit_code)
    return [view(faq) for faq in faq_store.of_units(session=session, units=units)]


def editable(session: Session, staff: Staff, faq_id: int) -> Faq:
    """The entry, if the caller's unit is its unit or above it: 404 when there is none, 403
    when it is another unit's."""
    faq = faq_store.get(session=session, faq_id=faq_id)
    if faq is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NOT_FOUND)
    if staff.unit_code not in ancestor_path(session=session, code=faq.unit_code):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=NOT_YOURS)
    return faq


def change(session: Session, staff: Staff, faq_id: int, body: FaqChange, now: datetime) -> FaqView:
    """Edit, publish or withdraw an entry (`editable`'s refusals), committed."""
    faq = editable(session, staff, faq_id)
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(faq, name, value)
    faq.updated_at = now
    session.add(faq)
    session.flush()
    changed = view(faq)
    session.commit()
    return changed
