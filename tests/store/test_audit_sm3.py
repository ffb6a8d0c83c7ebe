"""The audit chain under HMAC-SM3 (an audit key whose id starts with sm3) on both stores, and
a move to it from HMAC-SHA256: the old entries verify under their own key and algorithm."""

import base64
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text
from sqlmodel import Session

from core.keys import AuditKeys, generate_key, keyed_digest
from store import audit, audit_chain
from store.db import session_scope

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)
SHA = f"a1:{generate_key()}"
SM3 = f"sm3-a2:{generate_key()}"


def log(engine: Engine, keys: AuditKeys, n: int, start: datetime) -> None:
    for i in range(n):
        with session_scope(engine) as session:
            audit.append(
                session=session,
                keys=keys,
                actor=f"clerk{i}",
                actor_unit="130100",
                actor_role="clerk",
                action="complaint.register",
                target=f"complaint:case-{i}",
                result="ok",
                client="192.0.2.7",
                now=start + timedelta(minutes=i),
            )


def verify(engine: Engine, keys: AuditKeys) -> int | None:
    with Session(engine) as session:
        broken = audit_chain.verify(session=session, keys=keys)
    return broken.seq if broken else None


def test_a_chain_moved_from_hmac_sha256_to_hmac_sm3_verifies_and_finds_tampering(
    engine: Engine,
) -> None:
    log(engine, AuditKeys(SHA), 2, T0)
    rotated = AuditKeys(f"{SM3},{SHA}")
    log(engine, rotated, 2, T0 + timedelta(hours=1))

    assert verify(engine, rotated) is None
    with Session(engine) as session:
        entries = [session.get(audit.AuditRecord, seq) for seq in range(1, 5)]
    assert [e.key_id for e in entries if e] == ["a1", "a1", "sm3-a2", "sm3-a2"]
    # Each entry is keyed by its own key's algorithm: HMAC-SM3 for sm3-a2, HMAC-SHA256 for a1.
    assert rotated.mac(b"m", "sm3-a2") == keyed_digest(material(SM3), b"m", "sm3")
    assert rotated.mac(b"m", "a1") == keyed_digest(material(SHA), b"m", "sha256")
    assert verify(engine, AuditKeys(SM3)) == 1  # the old key removed: its entries cannot verify

    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'x' WHERE seq = 4"))
    assert verify(engine, rotated) == 4


def material(spec: str) -> bytes:
    return base64.b64decode(spec.partition(":")[2])
