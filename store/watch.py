"""The figures ops watch (the API's metrics, api/metrics.py): counts only, no personal data."""

from sqlalchemy import func
from sqlmodel import Session, col, select

from store.models import Case, OutboxRow

OPEN = col(Case.outcome) == ""


def open_cases_by_stage(session: Session) -> dict[str, int]:
    query = select(Case.stage, func.count()).where(OPEN).group_by(col(Case.stage))
    return {stage: count for stage, count in session.exec(query)}


def overdue_cases_by_level(session: Session) -> dict[int, int]:
    """Open overdue cases by escalation level (0: overdue at the handling unit, 1: climbed one
    level, ...)."""
    query = (
        select(Case.escalation_level, func.count())
        .where(OPEN, col(Case.overdue).is_(True))
        .group_by(col(Case.escalation_level))
    )
    return {level: count for level, count in session.exec(query)}


def outbox_backlog(session: Session) -> tuple[int, int]:
    """Notices waiting to leave (a unit's or the complainant's, not a person's inbox copy), and
    how many of them have failed at least once."""
    unsent = (col(OutboxRow.sent_at).is_(None), col(OutboxRow.recipient_user) == "")
    waiting = session.exec(select(func.count()).where(*unsent)).one()
    failed = session.exec(select(func.count()).where(*unsent, col(OutboxRow.attempts) > 0)).one()
    return waiting, failed
