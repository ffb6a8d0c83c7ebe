"""Store functions for the FAQ (常见问题解答) that units publish."""

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session, col, or_, select

from store.models import Faq, Unit


def create(
    *,
    session: Session,
    unit_code: str,
    question: str,
    answer: str,
    published: bool,
    created_by: str,
    now: datetime,
) -> Faq:
    """A new entry of `unit_code`, with its id."""
    faq = Faq(
        unit_code=unit_code,
        question=question,
        answer=answer,
        published=published,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(faq)
    session.flush()
    return faq


def get(*, session: Session, faq_id: int) -> Faq | None:
    return session.get(Faq, faq_id)


def published(
    *, session: Session, units: Collection[str] | None = None, text: str | None = None
) -> list[tuple[Faq, str]]:
    """Published entries with their unit's name, by unit code then id; only those of `units`
    when given, and only those whose question or answer contains `text` (any case)."""
    query = (
        select(Faq, Unit.name)
        .join(Unit, col(Unit.code) == col(Faq.unit_code))
        .where(col(Faq.published).is_(True))
        .order_by(col(Faq.unit_code), col(Faq.id))
    )
    if units is not None:
        query = query.where(col(Faq.unit_code).in_(sorted(units)))
    if text:
        query = query.where(
            or_(
                col(Faq.question).icontains(text, autoescape=True),
                col(Faq.answer).icontains(text, autoescape=True),
            )
        )
    return [(faq, name) for faq, name in session.exec(query)]


def of_units(*, session: Session, units: Collection[str]) -> list[Faq]:
    """Every entry of `units`, drafts included, by unit code then id."""
    query = (
        select(Faq)
        .where(col(Faq.unit_code).in_(sorted(units)))
        .order_by(col(Faq.unit_code), col(Faq.id))
    )
    return list(session.exec(query))
