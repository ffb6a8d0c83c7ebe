"""The audit log on both stores: a verifiable chain, tampering found at its entry, retention."""

import csv
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session
from typer.testing import CliRunner

from core.settings import get_settings
from store import audit
from store.db import session_scope
from xueji.cli import app

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)


def log(engine: Engine, n: int, start: datetime = T0, action: str = "complaint.register") -> None:
    for i in range(n):
        with session_scope(engine) as session:
            audit.append(
                session=session,
                actor=f"clerk{i}",
                actor_unit="130100",
                actor_role="clerk",
                action=action,
                target=f"complaint:case-{i}",
                result="ok" if i % 3 else "refused:无权限",
                client="192.0.2.7",
                now=start + timedelta(minutes=i),
            )


def verify(engine: Engine) -> int | None:
    with Session(engine) as session:
        return audit.verify(session=session)


def tamper(engine: Engine, statement: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement))


def test_a_chain_of_entries_verifies(engine: Engine) -> None:
    log(engine, 5)
    with Session(engine) as session:
        assert audit.verify(session=session) is None
        assert audit.count(session=session) == 5
        first = session.get(audit.AuditRecord, 1)
        second = session.get(audit.AuditRecord, 2)
    assert first is not None and second is not None
    assert first.prev_hash == audit.GENESIS and second.prev_hash == first.hash
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
        row.hash = audit.entry_hash(row)
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
        audit.purge_before(session=session, cutoff=T0 + timedelta(days=1), now=now)
    assert verify(engine) is None


def test_purge_drops_a_prefix_and_the_rest_still_verifies(engine: Engine) -> None:
    log(engine, 3, start=T0)
    log(engine, 2, start=T0 + timedelta(days=30))
    now = T0 + timedelta(days=300)
    with session_scope(engine) as session:
        purged = audit.purge_before(session=session, cutoff=T0 + timedelta(days=10), now=now)
    assert purged == 3
    assert verify(engine) is None
    log(engine, 1, start=now)
    with Session(engine) as session:
        assert audit.verify(session=session) is None
        assert audit.count(session=session) == 3
    tamper(engine, "DELETE FROM audit_log WHERE seq = 4")
    assert verify(engine) == 5


def test_purging_everything_continues_the_chain(engine: Engine) -> None:
    log(engine, 2)
    with session_scope(engine) as session:
        audit.purge_before(
            session=session, cutoff=T0 + timedelta(days=1), now=T0 + timedelta(days=200)
        )
    log(engine, 1, start=T0 + timedelta(days=200))
    with Session(engine) as session:
        assert audit.verify(session=session) is None
        assert session.get(audit.AuditRecord, 3) is not None


def test_a_broken_chain_is_not_purged(engine: Engine) -> None:
    log(engine, 3)
    tamper(engine, "UPDATE audit_log SET actor = 'x' WHERE seq = 2")
    with Session(engine) as session, pytest.raises(audit.AuditRetentionError, match="第 2 条"):
        audit.purge_before(
            session=session, cutoff=T0 + timedelta(days=1), now=T0 + timedelta(days=200)
        )


def test_an_unknown_result_is_refused(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="result"):
        audit.append(
            session=session,
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
    with Session(engine) as session:
        assert audit.count(session=session) == writers * each
        assert audit.verify(session=session) is None


def test_cli_verifies_and_exports(
    engine: Engine,
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("DATABASE_URL", store_url)
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    log(engine, 3)
    tamper(engine, "UPDATE audit_log SET target = '=HYPERLINK(1)' WHERE seq = 1")
    runner = CliRunner()

    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "第 1 条" in broken.output and "complaint.register" in broken.output

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
