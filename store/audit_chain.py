"""The rules of the audit chain (审计日志): how an entry and a purge anchor are hashed, and how
the chain is verified, in the database and against the heads exported outside it.

Each entry's hash is an HMAC (SHA-256, or SM3 for a key id starting with sm3; core.keys),
under the audit key it names (`key_id`), of a canonical JSON of its fields, the previous
entry's hash and what kind of link that was, so editing,
inserting or deleting an entry breaks the chain at that entry, and nobody without the key can
compute a chain anew. Entries written before the key (`key_id` None) carry a plain SHA-256 and
verify under that rule, but only before every keyed entry. The heads (`store/audit_heads.py`)
find what the database alone cannot show: its newest entries deleted, or the whole log
rewritten as entries of before the key.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC

from sqlmodel import Session, col, select

from core.keys import AuditKeys
from store.models import AuditAnchor, AuditRecord

GENESIS = "0" * 64
# What an entry follows, inside its HMAC: nobody can then pass a keyed entry off as an old
# unkeyed one, or pose as a purge anchor in front of keyed entries.
FIRST, UNKEYED, KEYED = "genesis", "sha256", "hmac"


@dataclass(frozen=True)
class Head:
    """A head of the chain as exported: the entry's seq and its hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """The first entry that does not verify, and why (in Chinese, for the auditor)."""

    seq: int
    reason: str


def _fields(record: AuditRecord) -> dict[str, object]:
    return {
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


def _canonical(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(record: AuditRecord) -> str:
    """SHA-256 (hex) of the canonical JSON of the entry's fields and its prev_hash: the rule
    of the entries written before the audit key."""
    return hashlib.sha256(_canonical(_fields(record))).hexdigest()


def entry_mac(record: AuditRecord, *, keys: AuditKeys, follows: str) -> str:
    """HMAC (hex, by the key's algorithm), under the entry's key, of its fields, its
    prev_hash, its key id and the kind of link it follows (FIRST, UNKEYED or KEYED); KeyError
    for an unknown key."""
    assert record.key_id is not None
    fields = {**_fields(record), "key_id": record.key_id, "follows": follows}
    return keys.mac(_canonical(fields), record.key_id)


def anchor_mac(anchor: AuditAnchor, *, keys: AuditKeys) -> str:
    """HMAC (hex, by the key's algorithm), under the anchor's key, of what a purge anchor
    says."""
    assert anchor.key_id is not None
    fields = {
        "anchor": True,
        "through_seq": anchor.through_seq,
        "hash": anchor.hash,
        "cutoff": anchor.cutoff.astimezone(UTC).isoformat(timespec="microseconds"),
        "purged_at": anchor.purged_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "key_id": anchor.key_id,
    }
    return keys.mac(_canonical(fields), anchor.key_id)


def verify(*, session: Session, keys: AuditKeys, heads: Iterable[Head] = ()) -> ChainBreak | None:
    """The first entry that breaks the chain, or None when the whole log holds.

    An entry breaks the chain when its hash does not match its fields (under its key, or the
    old rule before any keyed entry), its prev_hash is not the previous entry's hash (or the
    purge anchor's), or its seq does not follow on. `heads` are the heads exported outside the
    database: the chain must pass through each of them, and reach the newest.
    """
    exported: dict[int, set[str]] = {}
    for head in heads:
        exported.setdefault(head.seq, set()).add(head.hash)
    anchor = latest_anchor(session)
    expected_seq, expected_prev, follows = chain_start(anchor)
    if anchor is not None:
        problem = _anchor_problem(anchor, keys, exported)
        if problem is not None:
            return ChainBreak(anchor.through_seq + 1, problem)
    proven = expected_seq  # the chain up to here matches every head exported before it
    query = select(AuditRecord).order_by(col(AuditRecord.seq)).execution_options(yield_per=1000)
    for record in session.exec(query):
        expected_seq += 1
        problem = _link_problem(record, expected_seq, expected_prev, follows, keys)
        if problem is not None:
            return ChainBreak(record.seq, problem)
        wanted = exported.get(record.seq)
        if wanted:
            if wanted != {record.hash}:
                return ChainBreak(proven + 1, _rewritten(proven + 1, record.seq))
            proven = record.seq
        expected_prev = record.hash
        follows = UNKEYED if record.key_id is None else KEYED
    newest = max(exported, default=0)
    if newest > expected_seq:
        return ChainBreak(
            expected_seq + 1,
            f"数据库中的审计日志止于第 {expected_seq} 条，而导出的链头已到第 {newest} 条："
            "其后的记录被删除",
        )
    return None


def chain_start(anchor: AuditAnchor | None) -> tuple[int, str, str]:
    """Where verification starts: seq, hash and link kind of the anchor, or of the genesis."""
    if anchor is None:
        return 0, GENESIS, FIRST
    return anchor.through_seq, anchor.hash, UNKEYED if anchor.mac is None else KEYED


def _anchor_problem(
    anchor: AuditAnchor, keys: AuditKeys, exported: dict[int, set[str]]
) -> str | None:
    if anchor.mac is not None:
        if anchor.key_id is None or not keys.knows(anchor.key_id):
            return f"清理锚点由未配置的审计密钥 {anchor.key_id!r} 签名（轮换密钥时请保留旧密钥）"
        if anchor.mac != anchor_mac(anchor, keys=keys):
            return f"第 {anchor.through_seq} 条及以前的清理记录（锚点）被修改或伪造"
    wanted = exported.get(anchor.through_seq)
    if wanted and wanted != {anchor.hash}:
        return f"清理锚点与导出的第 {anchor.through_seq} 条链头不符：被修改或伪造"
    return None


def _link_problem(
    record: AuditRecord, seq: int, prev_hash: str, follows: str, keys: AuditKeys
) -> str | None:
    """Why `record` is not the entry expected at `seq` after `prev_hash`, or None."""
    if record.seq != seq:
        return f"序号不连续（应为第 {seq} 条）：其前有记录被删除或插入"
    if record.prev_hash != prev_hash:
        return "与前一条记录的哈希不相连：其前一条被修改、删除或插入"
    if record.key_id is None:
        if follows == KEYED:
            return "无密钥的旧格式记录出现在有密钥的记录之后：该条被改写"
        return None if record.hash == entry_hash(record) else "内容与哈希不符：该条被修改"
    if not keys.knows(record.key_id):
        return f"该条由未配置的审计密钥 {record.key_id!r} 签名（轮换密钥时请保留旧密钥）"
    if record.hash != entry_mac(record, keys=keys, follows=follows):
        return "内容与 HMAC 不符：该条或其前一条记录被修改"
    return None


def _rewritten(first: int, seq: int) -> str:
    if first == seq:
        return f"第 {seq} 条与导出的链头不符：该条被改写，或被删除后重写"
    return f"第 {first} 条至第 {seq} 条之间有记录与导出的链头不符：被改写，或被删除后重写"


def latest_anchor(session: Session) -> AuditAnchor | None:
    """The latest purge anchor, where verification starts; None before any purge."""
    query = select(AuditAnchor).order_by(col(AuditAnchor.through_seq).desc()).limit(1)
    return session.exec(query).first()
