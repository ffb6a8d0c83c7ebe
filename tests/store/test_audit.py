"""The audit log on both stores: a verifiable keyed chain, tampering found at its entry, the
exported heads, retention."""

import csv
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from core.keys import DEV_AUDIT_KEY_SPEC, AuditKeys, generate_key
from core.settings import get_settings
from store import audit, audit_chain
from store.audit_heads import export_head
from store.db import session_scope
from xueji.cli import app

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)
KEYS = AuditKeys(DEV_AUDIT_KEY_SPEC)  # the CLI's default, so that it verifies what these wrote


def log(engine: Engine, n: int, start: datetime = T0, action: str = "complaint.register") -> None:
    for i in range(n):
        with session_scope(engine) as session:
            audit.append(
                session=session,
                keys=KEYS,
                actor=f"clerk{i}",
                actor_unit="130100",
                actor_role="clerk",
                action=action,
                target=f"complaint:case-{i}",
                result="ok" if i % 3 else "refused:无权限",
                client="192.0.2.7",
                now=start + timedelta(minutes=i),
            )


def verify(engine: Engine, heads: list[audit_chain.Head] | None = None) -> int | None:
    """The seq of the first entry that breaks the chain, or None."""
    with Session(engine) as session:
        broken = audit_chain.verify(session=session, keys=KEYS, heads=heads or [])
    return broken.seq if broken else None


def tamper(engine: Engine, statement: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement))


def test_a_chain_of_entries_verifies(engine: Engine) -> None:
    log(engine, 5)
    assert verify(engine) is None
    with Session(engine) as session:
        assert audit.count(session=session) == 5
        first = session.get(audit.AuditRecord, 1)
        second = session.get(audit.AuditRecord, 2)
    assert first is not None and second is not None
    assert first.prev_hash == audit_chain.GENESIS and second.prev_hash == first.hash
    assert first.at == T0


@pytest.mark.parametrize(
    "change",
    [
        "actor = 'someone'",
        "actor_unit = '130000'",
        "actor_role = 'leader'",
        "action = 'auth.login'",
        "target = 'complaint:other'",
        "result = 'failed:x'",
        "client = '198.51.100.1'",
        "at = '2031-01-01 00:00:00.000000'",
        "prev_hash = '" + "1" * 64 + "'",
        "hash = '" + "2" * 64 + "'",
        "key_id = 'other'",
        "key_id = NULL",
    ],
)
def test_editing_any_field_is_found_at_that_entry(engine: Engine, change: str) -> None:
    log(engine, 5)
    tamper(engine, f"UPDATE audit_log SET {change} WHERE seq = 3")
    assert verify(engine) == 3


def test_a_rehashed_edit_is_found_at_the_next_entry(engine: Engine) -> None:
    log(engine, 5)
    with session_scope(engine) as session:
        row = session.get(audit.AuditRecord, 3)
        assert row is not None
        row.result = "failed:x"
        row.hash = audit_chain.entry_mac(row, keys=KEYS, follows=audit_chain.KEYED)
    assert verify(engine) == 4


def test_a_deleted_entry_is_found(engine: Engine) -> None:
    log(engine, 5)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 3")
    assert verify(engine) == 4


def test_a_deleted_first_entry_is_found(engine: Engine) -> None:
    log(engine, 3)
    tamper(engine, "DELETE FROM audit_log WHERE seq = 1")
    assert verify(engine) == 2


def test_purge_keeps_180_days(engine: Engine) -> None:
    log(engine, 2)
    now = T0 + timedelta(days=100)
    with Session(engine) as session, pytest.raises(audit.AuditRetentionError, match="180 天"):
        audit.purge_before(session=session, keys=KEYS, cutoff=T0 + timedelta(days=1), now=now)
    assert verify(engine) is None


def test_purge_drops_a_prefix_and_the_rest_still_verifies(engine: Engine) -> None:
    log(engine, 3, start=T0)
    log(engine, 2, start=T0 + timedelta(days=30))
    now = T0 + timedelta(days=300)
    with session_scope(engine) as session:
        purged = audit.purge_before(
            session=session, keys=KEYS, cutoff=T0 + timedelta(days=10), now=now
        )
    assert purged == 3
    assert verify(engine) is None
    log(engine, 1, start=now)
    assert verify(engine) is None
    with Session(engine) as session:
        assert audit.count(session=session) == 3
    tamper(engine, "DELETE FROM audit_log WHERE seq = 4")
    assert verify(engine) == 5


def test_purging_everything_continues_the_chain(engine: Engine) -> None:
    log(engine, 2)
    with session_scope(engine) as session:
        audit.purge_before(
            session=session, keys=KEYS, cutoff=T0 + timedelta(days=1), now=T0 + timedelta(days=200)
        )
    log(engine, 1, start=T0 + timedelta(days=200))
    assert verify(engine) is None
    with Session(engine) as session:
        assert session.get(audit.AuditRecord, 3) is not None


def test_a_broken_chain_is_not_purged(engine: Engine) -> None:
    log(engine, 3)
    tamper(engine, "UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    with Session(engine) as session, pytest.raises(audit.AuditRetentionError, match="第 2 条"):
        audit.purge_before(
            session=session, keys=KEYS, cutoff=T0 + timedelta(days=1), now=T0 + timedelta(days=200)
        )


def test_an_unknown_result_is_refused(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="result"):
        audit.append(
            session=session,
            keys=KEYS,
            actor="a",
            actor_unit="130100",
            actor_role="clerk",
            action="auth.login",
            target="user:a",
            result="maybe",
            client="",
        )


def test_concurrent_appends_keep_one_chain(engine: Engine) -> None:
    writers, each = 8, 10
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(each):
                with session_scope(engine) as session:
                    audit.append(
                        session=session,
                        keys=KEYS,
                        actor=f"user{worker}",
                        actor_unit="130100",
                        actor_role="handler",
                        action="complaint.view",
                        target=f"complaint:{worker}-{i}",
                        result="ok",
                        client="192.0.2.1",
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert verify(engine) is None
    with Session(engine) as session:
        assert audit.count(session=session) == writers * each


def recompute_from(
    engine: Engine, seq: int, *, keyed: bool, through: int = 0, key: bytes = b"g" * 32
) -> None:
    """What someone who can write the database but lacks the audit key does: rehash the chain
    from `seq` on (to `through`, or the end), with plain SHA-256 (key_id NULL) or an HMAC
    under a key of their own."""
    with session_scope(engine) as session:
        rows = session.exec(select(audit.AuditRecord).order_by(col(audit.AuditRecord.seq))).all()
        prev = rows[seq - 2].hash if seq > 1 else audit_chain.GENESIS
        for row in rows[seq - 1 : through or None]:
            row.prev_hash = prev
            fields = {
                "seq": row.seq,
                "at": row.at.astimezone(UTC).isoformat(timespec="microseconds"),
                **{name: getattr(row, name) for name in FIELDS},
                "prev_hash": row.prev_hash,
            }
            if keyed:
                fields |= {"key_id": row.key_id, "follows": audit_chain.KEYED}
            message = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            if keyed:
                row.hash = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
            else:
                row.key_id = None
                row.hash = hashlib.sha256(message.encode()).hexdigest()
            prev = row.hash


FIELDS = ("actor", "actor_unit", "actor_role", "action", "target", "result", "client")


def heads_of(engine: Engine) -> list[audit_chain.Head]:
    """The heads as the API exports them, one per entry."""
    with Session(engine) as session:
        rows = session.exec(select(audit.AuditRecord)).all()
        return [audit_chain.Head(seq=row.seq, hash=row.hash) for row in rows]


def test_entries_are_keyed_with_the_active_audit_key(engine: Engine) -> None:
    log(engine, 2)
    with Session(engine) as session:
        first = session.get(audit.AuditRecord, 1)
    assert first is not None and first.key_id == "dev"
    assert first.hash != audit_chain.entry_hash(first)  # not the plain SHA-256 of before


@pytest.mark.parametrize("keyed", [True, False], ids=["hmac-guessed-key", "plain-sha256"])
def test_an_edit_with_the_chain_recomputed_without_the_key_is_found(
    engine: Engine, keyed: bool
) -> None:
    log(engine, 5)
    tamper(engine, "UPDATE audit_log SET result = 'ok' WHERE seq = 3")
    recompute_from(engine, 3, keyed=keyed)
    assert verify(engine) == 3


def test_a_downgrade_of_every_entry_is_found_by_the_exported_heads(engine: Engine) -> None:
    log(engine, 4)
    heads = heads_of(engine)
    tamper(engine, "UPDATE audit_log SET actor = 'nobody' WHERE seq = 2")
    recompute_from(engine, 1, keyed=False)  # the whole log, as if written before the key
    assert verify(engine) is None  # the database alone cannot tell
    with Session(engine) as session:
        broken = audit_chain.verify(session=session, keys=KEYS, heads=heads)
    assert broken is not None and broken.seq == 1 and "导出的链头不符" in broken.reason


def test_entries_written_before_the_key_still_verify_and_the_key_seals_them(
    engine: Engine,
) -> None:
    log(engine, 3)
    recompute_from(engine, 1, keyed=False)  # as the entries of before the migration are
    log(engine, 2, start=T0 + timedelta(hours=1))
    assert verify(engine) is None
    with Session(engine) as session:
        keys = [session.get(audit.AuditRecord, seq).key_id for seq in range(1, 6)]  # type: ignore[union-attr]
    assert keys == [None, None, None, "dev", "dev"]
    tamper(engine, "UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    assert verify(engine) == 2
    recompute_from(engine, 2, keyed=False, through=3)  # the first keyed entry seals them
    assert verify(engine) == 4


def test_truncating_the_newest_entries_is_found_by_the_exported_heads(engine: Engine) -> None:
    log(engine, 5)
    heads = heads_of(engine)
    tamper(engine, "DELETE FROM audit_log WHERE seq >= 4")
    assert verify(engine) is None  # nothing left in the database shows it
    with Session(engine) as session:
        broken = audit_chain.verify(session=session, keys=KEYS, heads=heads)
    assert broken is not None and broken.seq == 4
    assert "止于第 3 条" in broken.reason and "第 5 条" in broken.reason

    log(engine, 1)  # the application writes on: entry 4 again, but not the one exported
    assert verify(engine, heads) == 4


def test_a_head_that_matches_proves_the_chain_before_it(engine: Engine) -> None:
    log(engine, 6)
    heads = [head for head in heads_of(engine) if head.seq in (2, 5)]
    assert verify(engine, heads) is None
    tamper(engine, "DELETE FROM audit_log WHERE seq >= 3")
    log(engine, 3, action="auth.login")
    with Session(engine) as session:
        broken = audit_chain.verify(session=session, keys=KEYS, heads=heads)
    assert broken == audit_chain.ChainBreak(
        3, "第 3 条至第 5 条之间有记录与导出的链头不符：被改写，或被删除后重写"
    )


def test_a_rotated_key_verifies_the_old_entries_while_it_is_configured(engine: Engine) -> None:
    log(engine, 2)
    rotated = AuditKeys(f"a2:{generate_key()},{DEV_AUDIT_KEY_SPEC}")
    with session_scope(engine) as session:
        added = audit.append(
            session=session,
            keys=rotated,
            actor="a",
            actor_unit="130100",
            actor_role="clerk",
            action="auth.login",
            target="user:a",
            result="ok",
            client="",
        )
        assert added.key_id == "a2"
    with Session(engine) as session:
        assert audit_chain.verify(session=session, keys=rotated) is None
        broken = audit_chain.verify(session=session, keys=AuditKeys(f"a2:{generate_key()}"))
    assert broken is not None and broken.seq == 1 and "未配置" in broken.reason


def test_a_forged_purge_anchor_is_found(engine: Engine) -> None:
    log(engine, 5)
    with Session(engine) as session:
        third = session.get(audit.AuditRecord, 3)
        assert third is not None
        third_hash = third.hash
    # Posing as a purge that cut off entries 1 to 3: no key, so no seal.
    tamper(
        engine,
        "INSERT INTO audit_anchor (through_seq, hash, cutoff, purged_at) "
        f"VALUES (3, '{third_hash}', '2030-01-01 00:00:00', '2030-09-01 00:00:00')",
    )
    tamper(engine, "DELETE FROM audit_log WHERE seq <= 3")
    assert verify(engine) == 4


def test_a_purge_of_keyed_entries_leaves_a_sealed_anchor(engine: Engine) -> None:
    log(engine, 3)
    log(engine, 1, start=T0 + timedelta(days=30))
    with session_scope(engine) as session:
        audit.purge_before(
            session=session, keys=KEYS, cutoff=T0 + timedelta(days=1), now=T0 + timedelta(days=300)
        )
    with Session(engine) as session:
        anchor = session.exec(select(audit.AuditAnchor)).one()
        assert anchor.key_id == "dev" and anchor.mac == audit_chain.anchor_mac(anchor, keys=KEYS)
    assert verify(engine) is None
    tamper(engine, "UPDATE audit_anchor SET through_seq = 2")
    assert verify(engine) == 3


def test_cli_verifies_and_exports(
    engine: Engine,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.setenv("XUEJI_AUDIT_HEADS", str(tmp_path / "absent.jsonl"))
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    log(engine, 3)
    tamper(engine, "UPDATE audit_log SET target = '=HYPERLINK(1)' WHERE seq = 1")
    runner = CliRunner()

    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "第 1 条" in broken.output and "complaint.register" in broken.output
    assert "未找到链头文件" in broken.output  # a warning: the database's chain alone

    tamper(engine, "DELETE FROM audit_log")
    tamper(engine, "DELETE FROM audit_anchor")
    log(engine, 2)
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "审计日志完整，共 2 条" in ok.output

    target = tmp_path / "audit.csv"
    exported = runner.invoke(app, ["audit", "export", str(target)])
    assert exported.exit_code == 0, exported.output
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0][:2] == ["序号", "时间"] and len(rows) == 3
    assert rows[1][5] == "complaint.register" and rows[1][7] == "refused:无权限"


def test_cli_finds_the_newest_entries_deleted_by_the_heads_shipped_off(
    engine: Engine,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    heads_file = tmp_path / "audit-heads.jsonl"
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.setenv("XUEJI_AUDIT_HEADS", str(heads_file))
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    log(engine, 4)
    for head in heads_of(engine):
        export_head(heads_file, seq=head.seq, hash=head.hash, at=T0)
    shipped = tmp_path / "shipped.jsonl"
    shipped.write_bytes(heads_file.read_bytes())
    runner = CliRunner()
    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "审计日志完整，共 4 条，与 4 个导出的链头一致" in intact.output

    tamper(engine, "DELETE FROM audit_log WHERE seq >= 3")
    heads_file.write_text("")  # whoever deleted them emptied the local copy as well
    truncated = runner.invoke(app, ["audit", "verify", "--heads", str(shipped)])
    assert truncated.exit_code == 1
    assert "审计日志已被篡改：第 3 条" in truncated.output
    assert "其后的记录被删除" in truncated.output

    (tmp_path / "torn.jsonl").write_text('{"seq": 1}\n{"seq": 2, "hash": "x"}\n')
    torn = runner.invoke(app, ["audit", "verify", "--heads", str(tmp_path / "torn.jsonl")])
    assert torn.exit_code == 1 and "第 1 行格式不对" in torn.output
