"""The audit log as tests read it: the entries written after a point, in order."""

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from store.models import AuditRecord


def last_seq(engine: Engine) -> int:
    """The sequence number of the newest entry (0 when the log is empty)."""
    with Session(engine) as session:
        rows = session.exec(select(AuditRecord.seq).order_by(col(AuditRecord.seq).desc()))
        return rows.first() or 0


def records_since(engine: Engine, seq: int) -> list[tuple[str, str, str, str]]:
    """(actor, action, target, result) of the entries after `seq`, oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(AuditRecord).where(col(AuditRecord.seq) > seq).order_by(col(AuditRecord.seq))
        ).all()
        return [(r.actor, r.action, r.target, r.result) for r in rows]
