"""The audit log (审计日志): append-only, hash-chained, verifiable (DESIGN §7).

Each entry's hash is SHA-256 over a canonical JSON of its fields and the previous entry's
hash, so editing, inserting or deleting an entry breaks the chain at that entry. There is no
update or delete here; `purge_before` drops only a prefix older than the retention period and
leaves an anchor (the last purged hash) from which verification continues.
"""

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, col, delete, func, select

from domain.workdays import SHANGHAI, beijing_minute
from store.models import AuditAnchor, AuditRecord

GENESIS = "0" * 64
RETENTION = timedelta(days=180)
RESULTS = ("ok", "refused", "failed")
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
]


class AuditRetentionError(ValueError):
    """A purge the retention rule (or a broken chain) forbids; `str()` is for the operator."""


def append(
    *,
    session: Session,
    actor: str,
    actor_unit: str,
    actor_role: str,
    action: str,
    target: str,
    result: str,
    client: str,
    now: datetime | None = None,
) -> AuditRecord:
    """Add the next entry of the chain in the caller's transaction and return it.

    `result` is "ok", or "refused:reason" / "failed:reason". Concurrent writers are
    serialised until the caller commits, so keep the transaction short.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("naive datetime: the audit log keeps aware times only")
    if result.split(":", 1)[0] not in RESULTS:
        raise ValueError(f"audit result must start with one of {RESULTS}: {result!r}")
    _lock(session)
    last_seq, prev_hash = _chain_end(session)
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
    )
    record.hash = entry_hash(record)
    session.add(record)
    session.flush()
    return record


def entry_hash(record: AuditRecord) -> str:
    """SHA-256 (hex) of the canonical JSON of the entry's fields and its prev_hash."""
    fields = {
        "seq": record.seq,
        "at": record.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": record.actor,
        "actor_unit": record.actor_unit,
        "actor_role": record.actor_role,
        "action": record.action,
        "target": record.target,
        "result": record.result,
        "client": record.client,
        "prev_hash": record.prev_hash,
    }
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def verify(*, session: Session) -> int | None:
    """The seq of the first entry that breaks the chain, or None when the whole log holds.

    An entry breaks the chain when its hash does not match its fields, its prev_hash is not
    the previous entry's hash (or the purge anchor's), or its seq does not follow on.
    """
    expected_seq, expected_prev = _anchor(session)
    query = select(AuditRecord).order_by(col(AuditRecord.seq)).execution_options(yield_per=1000)
    for record in session.exec(query):
        expected_seq += 1
        broken = (
            record.seq != expected_seq
            or record.prev_hash != expected_prev
            or record.hash != entry_hash(record)
        )
        if broken:
            return record.seq
        expected_prev = record.hash
    return None


def count(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditRecord)).one()


def export(*, session: Session) -> Iterator[list[str]]:
    """The log as CSV rows, the header first; times in Beijing time."""
    yield EXPORT_HEADER
    query = select(AuditRecord).order_by(col(AuditRecord.seq)).execution_options(yield_per=1000)
    for r in session.exec(query):
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
        ]


def search(
    *,
    session: Session,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[AuditRecord]]:
    """How many entries match, and one page of them, newest first. `since` is inclusive,
    `until` exclusive; actor and action match exactly."""
    query = select(AuditRecord)
    if actor is not None:
        query = query.where(AuditRecord.actor == actor)
    if action is not None:
        query = query.where(AuditRecord.action == action)
    if since is not None:
        query = query.where(col(AuditRecord.at) >= since)
    if until is not None:
        query = query.where(col(AuditRecord.at) < until)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = query.order_by(col(AuditRecord.seq).desc()).offset(offset).limit(limit)
    return total, list(session.exec(page))


def csv_safe(cell: str) -> str:
    """A cell Excel will not run as a formula (a user name may start with '=')."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def purge_before(*, session: Session, cutoff: datetime, now: datetime) -> int:
    """Delete the oldest entries, those before `cutoff`, and return how many went.

    Refuses a cutoff less than 180 days before `now`, and a log whose chain is broken (a
    purge must not erase the evidence). Deletes only a prefix of the chain, up to the first
    entry at or after `cutoff`, and anchors the rest with the last purged entry's hash.
    """
    if cutoff > now - RETENTION:
        raise AuditRetentionError(
            f"审计日志至少保留 {RETENTION.days} 天，只能清理 "
            f"{beijing_minute(now - RETENTION)} 之前的记录"
        )
    _lock(session)
    broken = verify(session=session)
    if broken is not None:
        raise AuditRetentionError(f"审计日志第 {broken} 条校验未通过，不能清理，请先调查")
    kept = select(func.min(AuditRecord.seq)).where(col(AuditRecord.at) >= cutoff)
    first_kept = session.exec(kept).one()
    prefix = select(AuditRecord).order_by(col(AuditRecord.seq).desc()).limit(1)
    if first_kept is not None:
        prefix = prefix.where(col(AuditRecord.seq) < first_kept)
    last_purged = session.exec(prefix).first()
    if last_purged is None:
        return 0
    first_seq, _ = _anchor(session)
    session.add(
        AuditAnchor(
            through_seq=last_purged.seq, hash=last_purged.hash, cutoff=cutoff, purged_at=now
        )
    )
    session.exec(delete(AuditRecord).where(col(AuditRecord.seq) <= last_purged.seq))  # type: ignore[call-overload]
    session.flush()
    return last_purged.seq - first_seq


def _lock(session: Session) -> None:
    """Serialise writers of the chain until the caller's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE audit_log IN EXCLUSIVE MODE"))
    else:
        # SQLite: a write as the transaction's first statement takes the database's write
        # lock (waiting for other writers) before the chain's end is read.
        session.execute(text("UPDATE audit_anchor SET hash = hash WHERE 1 = 0"))


def _chain_end(session: Session) -> tuple[int, str]:
    """The last entry's seq and hash; the anchor's (or the genesis) when the log is empty."""
    query = select(AuditRecord.seq, AuditRecord.hash).order_by(col(AuditRecord.seq).desc())
    last = session.exec(query.limit(1)).first()
    if last is not None:
        return last[0], last[1]
    return _anchor(session)


def _anchor(session: Session) -> tuple[int, str]:
    """Where verification starts: the latest purge anchor, or seq 0 and the genesis hash."""
    query = select(AuditAnchor).order_by(col(AuditAnchor.through_seq).desc()).limit(1)
    anchor = session.exec(query).first()
    return (anchor.through_seq, anchor.hash) if anchor else (0, GENESIS)
