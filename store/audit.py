"""The audit log (审计日志): append-only, chained under a key, verifiable (DESIGN §7).

`append` adds an entry whose hash is an HMAC under the active audit key of its fields and the
previous entry's hash (the rules and the verification are in `store/audit_chain.py`). There is
no update or delete here; `purge_before` drops only a prefix older than the retention period
and leaves an anchor (the last purged hash, sealed with the key when it was keyed) from which
verification continues.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, text
from sqlmodel import Session, col, delete, func, select
from sqlmodel.sql.expression import SelectOfScalar

from core.keys import AuditKeys
from domain.workdays import SHANGHAI, beijing_minute
from store.audit_chain import (
    KEYED,
    UNKEYED,
    anchor_mac,
    chain_start,
    entry_mac,
    latest_anchor,
    verify,
)
from store.models import AuditAnchor, AuditRecord, School, StaffUser

RETENTION = timedelta(days=180)
RESULTS = ("ok", "refused", "failed")
# Writers of the chain on PostgreSQL take this transaction-level advisory lock: a table lock
# in EXCLUSIVE mode would need UPDATE rights, which the insert-only audit role must not have.
ADVISORY_LOCK = 0x78756A69_61756474  # "xuji" "audt"
EXPORT_HEADER = [
    "序号",
    "时间",
    "用户",
    "单位",
    "角色",
    "操作",
    "对象",
    "结果",
    "客户端地址",
    "前一条哈希",
    "哈希",
    "密钥编号",
]


class AuditRetentionError(ValueError):
    """A purge the retention rule (or a broken chain) forbids; `str()` is for the operator."""


def append(
    *,
    session: Session,
    keys: AuditKeys,
    actor: str,
    actor_unit: str,
    actor_role: str,
    action: str,
    target: str,
    result: str,
    client: str,
    now: datetime | None = None,
) -> AuditRecord:
    """Add the next entry of the chain, under the active audit key, in the caller's
    transaction and return it.

    `result` is "ok", or "refused:reason" / "failed:reason". Concurrent writers are
    serialised until the caller commits, so keep the transaction short.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("naive datetime: the audit log keeps aware times only")
    if result.split(":", 1)[0] not in RESULTS:
        raise ValueError(f"audit result must start with one of {RESULTS}: {result!r}")
    _lock(session)
    last_seq, prev_hash, follows = _chain_end(session)
    record = AuditRecord(
        seq=last_seq + 1,
        at=(now or datetime.now(UTC)).astimezone(UTC),
        actor=actor,
        actor_unit=actor_unit,
        actor_role=actor_role,
        action=action,
        target=target,
        result=result,
        client=client,
        prev_hash=prev_hash,
        hash="",
        key_id=keys.active_key_id,
    )
    record.hash = entry_mac(record, keys=keys, follows=follows)
    session.add(record)
    session.flush()
    return record


def count(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditRecord)).one()


def by_units(units: set[str]) -> ColumnElement[bool]:
    """The entries of actors of these units or the schools they supervise: by the entry's
    unit, or for an entry without one (a login), by the account the name belongs to."""
    schools = select(School.code).where(col(School.unit_code).in_(units))
    accounts = select(StaffUser.username).where(
        or_(col(StaffUser.unit_code).in_(units), col(StaffUser.unit_code).in_(schools))
    )
    return or_(
        col(AuditRecord.actor_unit).in_(units),
        col(AuditRecord.actor_unit).in_(schools),
        and_(col(AuditRecord.actor_unit) == "", col(AuditRecord.actor).in_(accounts)),
    )


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to read: `since` inclusive, `until` exclusive; actor and action match
    exactly; `target` is a part of the target (a case's id, a path); `result` a class of
    RESULTS (`refused` finds `refused:403`...); `units` as for `by_units`, None: every entry."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    target: str | None = None
    result: str | None = None
    units: set[str] | None = None


def _where(query: SelectOfScalar[AuditRecord], wanted: AuditFilter) -> SelectOfScalar[AuditRecord]:
    if wanted.units is not None:
        query = query.where(by_units(wanted.units))
    if wanted.actor is not None:
        query = query.where(AuditRecord.actor == wanted.actor)
    if wanted.action is not None:
        query = query.where(AuditRecord.action == wanted.action)
    if wanted.since is not None:
        query = query.where(col(AuditRecord.at) >= wanted.since)
    if wanted.until is not None:
        query = query.where(col(AuditRecord.at) < wanted.until)
    if wanted.target:
        query = query.where(col(AuditRecord.target).contains(wanted.target, autoescape=True))
    if wanted.result == "ok":
        query = query.where(AuditRecord.result == "ok")
    elif wanted.result is not None:
        query = query.where(col(AuditRecord.result).startswith(f"{wanted.result}:"))
    return query


def export(*, session: Session, wanted: AuditFilter | None = None) -> Iterator[list[str]]:
    """The matching entries as CSV rows, oldest first, the header first; times in Beijing
    time."""
    yield EXPORT_HEADER
    query = select(AuditRecord).order_by(col(AuditRecord.seq)).execution_options(yield_per=1000)
    for r in session.exec(_where(query, wanted or AuditFilter())):
        at = r.at.astimezone(SHANGHAI).isoformat(timespec="seconds")
        yield [
            str(r.seq),
            at,
            r.actor,
            r.actor_unit,
            r.actor_role,
            r.action,
            r.target,
            r.result,
            r.client,
            r.prev_hash,
            r.hash,
            r.key_id or "",
        ]


def search(
    *,
    session: Session,
    wanted: AuditFilter | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[AuditRecord]]:
    """How many entries match, and one page of them, newest first."""
    query = _where(select(AuditRecord), wanted or AuditFilter())
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = query.order_by(col(AuditRecord.seq).desc()).offset(offset).limit(limit)
    return total, list(session.exec(page))


def find(*, session: Session, seq: int, units: set[str] | None = None) -> AuditRecord | None:
    """The entry `seq` if it exists and, with `units`, is one of those units' actors'."""
    query = _where(select(AuditRecord), AuditFilter(units=units)).where(AuditRecord.seq == seq)
    return session.exec(query).first()


def csv_safe(cell: str) -> str:
    """A cell Excel will not run as a formula (a user name may start with '=')."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def purge_before(*, session: Session, keys: AuditKeys, cutoff: datetime, now: datetime) -> int:
    """Delete the oldest entries, those before `cutoff`, and return how many went.

    Refuses a cutoff less than 180 days before `now`, and a log whose chain is broken (a
    purge must not erase the evidence). Deletes only a prefix of the chain, up to the first
    entry at or after `cutoff`, and anchors the rest with the last purged entry's hash,
    sealed under the active audit key when that entry was keyed.
    """
    if cutoff > now - RETENTION:
        raise AuditRetentionError(
            f"审计日志至少保留 {RETENTION.days} 天，只能清理 "
            f"{beijing_minute(now - RETENTION)} 之前的记录"
        )
    _lock(session)
    broken = verify(session=session, keys=keys)
    if broken is not None:
        raise AuditRetentionError(f"审计日志第 {broken.seq} 条校验未通过，不能清理，请先调查")
    kept = select(func.min(AuditRecord.seq)).where(col(AuditRecord.at) >= cutoff)
    first_kept = session.exec(kept).one()
    prefix = select(AuditRecord).order_by(col(AuditRecord.seq).desc()).limit(1)
    if first_kept is not None:
        prefix = prefix.where(col(AuditRecord.seq) < first_kept)
    last_purged = session.exec(prefix).first()
    if last_purged is None:
        return 0
    first_seq, _, _ = chain_start(latest_anchor(session))
    anchor = AuditAnchor(
        through_seq=last_purged.seq, hash=last_purged.hash, cutoff=cutoff, purged_at=now
    )
    if last_purged.key_id is not None:
        anchor.key_id = keys.active_key_id
        anchor.mac = anchor_mac(anchor, keys=keys)
    session.add(anchor)
    session.exec(delete(AuditRecord).where(col(AuditRecord.seq) <= last_purged.seq))  # type: ignore[call-overload]
    session.flush()
    return last_purged.seq - first_seq


def _lock(session: Session) -> None:
    """Serialise writers of the chain until the caller's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": ADVISORY_LOCK})
    else:
        # SQLite: a write as the transaction's first statement takes the database's write
        # lock (waiting for other writers) before the chain's end is read.
        session.execute(text("UPDATE audit_anchor SET hash = hash WHERE 1 = 0"))


def _chain_end(session: Session) -> tuple[int, str, str]:
    """The last entry's seq, hash and link kind; the anchor's (or the genesis) when the log
    is empty."""
    query = select(AuditRecord.seq, AuditRecord.hash, AuditRecord.key_id)
    last = session.exec(query.order_by(col(AuditRecord.seq).desc()).limit(1)).first()
    if last is not None:
        return last[0], last[1], UNKEYED if last[2] is None else KEYED
    return chain_start(latest_anchor(session))
