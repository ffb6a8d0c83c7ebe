"""`xueji backup make` / `check` / `restore`: a consistent copy of the running system's SQLite
files and calendar, checked against its manifest; a copy restored in place of the data is a
working store, and the data it replaced is kept."""

import errno
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core.settings import Settings
from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.models import Unit
from tests.support.local import WHOLE_SYSTEM, XUEJI, free_port
from tests.support.stores import MIGRATED, copy_sqlite
from xueji.backup import BackupError, check_backup, make_backup, restore_backup

NOW = datetime(2030, 3, 4, 1, 2, 3, tzinfo=UTC)  # 09:02:03 in Beijing


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    data = tmp_path / "data"
    ports = {"temporal_ui_port": free_port(), "api_port": free_port()}
    settings = Settings(
        data_dir=data, database_url="", temporal_address=f"127.0.0.1:{free_port()}", **ports
    )
    assert settings.store_file is not None
    copy_sqlite(MIGRATED, settings.store_file)
    with sqlite3.connect(settings.temporal_db_path) as temporal:  # as the dev server keeps it
        temporal.execute("CREATE TABLE executions (id TEXT)")
        temporal.execute("INSERT INTO executions VALUES ('c-1')")
    temporal.close()
    settings.calendar_path.mkdir()
    (settings.calendar_path / "2027.json").write_text('{"year": 2027, "holidays": []}')
    yield settings


@WHOLE_SYSTEM
def test_a_backup_taken_during_writes_is_one_consistent_moment(
    settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(settings.store_url)
    with session_scope(engine) as session:
        session.execute(text("CREATE TABLE probe (n INTEGER)"))
    stop = threading.Event()
    committed = 0

    def write_pairs() -> None:  # each transaction adds n and -n: a half is never committed
        nonlocal committed
        while not stop.is_set():
            with session_scope(engine) as session:
                session.execute(text("INSERT INTO probe VALUES (:n), (-:n)"), {"n": committed + 1})
            committed += 1

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        while committed < 50:
            stop.wait(0.01)
        folder, skipped = make_backup(settings, tmp_path / "backups", NOW)
        # The pair being counted while the backup returned may already be in it.
        seen_at_backup = committed + 1
    finally:
        stop.set()
        writer.join()
        engine.dispose()

    assert folder == tmp_path / "backups" / "xueji-backup-20300304-090203"
    assert skipped == []
    with sqlite3.connect(folder / "xueji.db") as copy:
        count, total = copy.execute("SELECT count(*), coalesce(sum(n), 0) FROM probe").fetchone()
    copy.close()
    assert count % 2 == 0 and total == 0 and 100 <= count <= 2 * seen_at_backup
    assert check_backup(folder) == []
    # Only its owner may read it: the store and Temporal's history hold children's data.
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in folder.rglob("*") if p.is_file()} <= {0o600, 0o644}
    assert (folder / "xueji.db").stat().st_mode & 0o777 == 0o600


def test_the_manifest_lists_every_file_and_check_finds_what_changed(
    settings: Settings, tmp_path: Path
) -> None:
    folder, _ = make_backup(settings, tmp_path / "backups", NOW)

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [entry["name"] for entry in manifest["files"]] == [
        "xueji.db",
        "temporal.db",
        "calendar/2027.json",
    ]
    assert manifest["created_at"] == "2030-03-04T09:02:03+08:00"
    assert any("密钥" in reason for reason in manifest["not_included"])
    with sqlite3.connect(folder / "temporal.db") as temporal:
        assert temporal.execute("SELECT id FROM executions").fetchall() == [("c-1",)]
    temporal.close()

    (folder / "calendar" / "2027.json").write_text('{"year": 2027, "holidays": ["2027-01-04"]}')
    (folder / "temporal.db").unlink()
    assert check_backup(folder) == [
        "temporal.db 缺失",
        "calendar/2027.json 与清单不符（已被修改或损坏）",
    ]
    (folder / "manifest.json").unlink()
    assert check_backup(folder) == [f"{folder / 'manifest.json'} 缺失或无法读取"]


def test_a_restored_store_is_a_working_store(settings: Settings, tmp_path: Path) -> None:
    engine = make_engine(settings.store_url)
    with session_scope(engine) as session:
        session.add(Unit(code="000000", name="教育部", level="national", phone="", email=""))
    engine.dispose()
    folder, _ = make_backup(settings, tmp_path / "backups", NOW)

    restored = tmp_path / "restored"
    restored.mkdir()
    (folder / "xueji.db").rename(restored / "xueji.db")
    url = f"sqlite:///{restored / 'xueji.db'}"
    upgrade(url)  # at the newest revision already: nothing to do
    engine = make_engine(url)
    with session_scope(engine) as session:
        assert session.get(Unit, "000000") is not None
    engine.dispose()


def test_a_postgresql_store_is_left_to_pg_dump(settings: Settings, tmp_path: Path) -> None:
    elsewhere = settings.model_copy(update={"database_url": "postgresql://db/xueji"})

    folder, skipped = make_backup(elsewhere, tmp_path / "backups", NOW)

    assert [path.name for path in folder.iterdir()] != []
    assert not (folder / "xueji.db").exists()
    assert skipped == ["业务数据库是 PostgreSQL：请用 pg_dump 备份（见 docs/operations.md）"]


def units(settings: Settings) -> list[str]:
    with sqlite3.connect(settings.store_url.removeprefix("sqlite:///")) as store:
        codes = [code for (code,) in store.execute("SELECT code FROM org_unit ORDER BY code")]
    store.close()
    return codes


def executions(path: Path) -> list[str]:
    with sqlite3.connect(path) as temporal:
        ids = [id_ for (id_,) in temporal.execute("SELECT id FROM executions ORDER BY id")]
    temporal.close()
    return ids


def add_unit(settings: Settings, code: str) -> None:
    engine = make_engine(settings.store_url)
    with session_scope(engine) as session:
        session.add(Unit(code=code, name=f"单位{code}", level="national", phone="", email=""))
    engine.dispose()


def test_a_restore_puts_the_backup_back_and_keeps_what_it_replaced(
    settings: Settings, tmp_path: Path
) -> None:
    add_unit(settings, "000000")
    folder, _ = make_backup(settings, tmp_path / "backups", NOW)
    # Later changes, which the restore takes back; a write-ahead log left by a killed process.
    add_unit(settings, "110000")
    with sqlite3.connect(settings.temporal_db_path) as temporal:
        temporal.execute("INSERT INTO executions VALUES ('c-2')")
    temporal.close()
    calendar = settings.calendar_path
    (calendar / "2027.json").write_text('{"year": 2027, "holidays": ["2027-01-04"]}')
    (calendar / "2028.json").write_text('{"year": 2028, "holidays": []}')
    store = Path(settings.store_url.removeprefix("sqlite:///"))
    store.with_name("xueji.db-wal").write_bytes(b"left by a killed process")

    aside = restore_backup(settings, folder, NOW + timedelta(days=1))

    assert units(settings) == ["000000"]
    assert executions(settings.temporal_db_path) == ["c-1"]
    assert sorted(path.name for path in calendar.iterdir()) == ["2027.json"]
    assert (calendar / "2027.json").read_text() == '{"year": 2027, "holidays": []}'
    assert not store.with_name("xueji.db-wal").exists()
    assert store.stat().st_mode & 0o777 == 0o600
    # The replaced state, whole, in the data directory.
    assert aside == settings.data_dir / "replaced-20300305-090203"
    assert aside.stat().st_mode & 0o777 == 0o700
    assert sorted(str(p.relative_to(aside)) for p in aside.rglob("*") if p.is_file()) == [
        "calendar/2027.json",
        "calendar/2028.json",
        "temporal.db",
        "xueji.db",
        "xueji.db-wal",
    ]
    assert executions(aside / "temporal.db") == ["c-1", "c-2"]
    assert "2027-01-04" in (aside / "calendar" / "2027.json").read_text()
    upgrade(settings.store_url)  # a restored store opens and migrates like any other


def test_a_restore_changes_nothing_while_the_system_runs_or_the_backup_is_bad(
    settings: Settings, tmp_path: Path
) -> None:
    add_unit(settings, "000000")
    folder, _ = make_backup(settings, tmp_path / "backups", NOW)
    add_unit(settings, "110000")

    with socket.socket() as api:  # the API of a system still running
        api.bind(("127.0.0.1", settings.api_port))
        api.listen()
        with pytest.raises(BackupError, match=f"系统仍在运行（端口 127.0.0.1:{settings.api_port}"):
            restore_backup(settings, folder, NOW)
    elsewhere = settings.model_copy(update={"database_url": "postgresql://db/xueji"})
    with pytest.raises(BackupError, match="请用 pg_restore 恢复"):
        restore_backup(elsewhere, folder, NOW)
    # A manifest edited to put a file outside the calendar folder.
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"][-1]["name"] == "calendar/2027.json"
    manifest["files"][-1]["name"] = "calendar/../2027.json"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "calendar" / "2027.json").rename(folder / "2027.json")
    assert check_backup(folder) == []
    with pytest.raises(BackupError, match=r"清单中的 calendar/\.\./2027.json 不是备份会写出的文件"):
        restore_backup(settings, folder, NOW)
    (folder / "2027.json").unlink()
    with pytest.raises(
        BackupError, match=re.escape("备份有问题，未恢复：\n  calendar/../2027.json 缺失")
    ):
        restore_backup(settings, folder, NOW)

    assert units(settings) == ["000000", "110000"]
    assert not list(settings.data_dir.glob("replaced-*"))


def test_a_restore_that_fails_half_way_puts_the_data_back(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_unit(settings, "000000")
    folder, _ = make_backup(settings, tmp_path / "backups", NOW)
    add_unit(settings, "110000")
    copies = 0
    real_copy = shutil.copyfile

    def disk_fills_at_the_second_file(source: Path, target: Path) -> Path:
        nonlocal copies
        copies += 1
        if copies == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_copy(source, target)

    monkeypatch.setattr(shutil, "copyfile", disk_fills_at_the_second_file)
    with pytest.raises(BackupError, match="恢复未完成，原有数据已放回"):
        restore_backup(settings, folder, NOW)

    assert copies == 2
    assert units(settings) == ["000000", "110000"]
    assert executions(settings.temporal_db_path) == ["c-1"]
    assert (settings.calendar_path / "2027.json").is_file()
    assert not list(settings.data_dir.glob("replaced-*"))
    assert not list(settings.data_dir.rglob("*.restoring"))


def xueji_command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {
        "XUEJI_DATA_DIR": str(settings.data_dir),
        "XUEJI_DATABASE_URL": "",
        "XUEJI_TEMPORAL_ADDRESS": settings.temporal_address,
        "XUEJI_TEMPORAL_UI_PORT": str(settings.temporal_ui_port),
        "XUEJI_API_PORT": str(settings.api_port),
    }
    env.pop("XUEJI_CALENDAR_DIR", None)
    return subprocess.run([XUEJI, *args], capture_output=True, text=True, timeout=60, env=env)


def test_the_commands_say_where_the_backup_is_and_whether_it_is_sound(
    settings: Settings, tmp_path: Path
) -> None:
    made = xueji_command(settings, "backup", "make", str(tmp_path / "backups"))

    assert made.returncode == 0, made.stderr
    [folder] = (tmp_path / "backups").iterdir()
    assert made.stdout.startswith(f"备份已写入 {folder}\n")
    assert "加密密钥不在备份中" in made.stdout
    checked = xueji_command(settings, "backup", "check", str(folder))
    assert (checked.returncode, checked.stdout) == (0, f"备份完好：{folder}\n")

    restored = xueji_command(settings, "backup", "restore", str(folder))
    assert restored.returncode == 0, restored.stderr
    [aside] = settings.data_dir.glob("replaced-*")
    assert restored.stdout.splitlines()[:2] == [
        f"已用备份 {folder} 恢复数据",
        f"  原有数据已移到 {aside}，确认恢复无误后可删除",
    ]

    (folder / "xueji.db").write_bytes(b"not a database")
    broken = xueji_command(settings, "backup", "check", str(folder))
    assert broken.returncode == 1
    assert "xueji.db 与清单不符" in broken.stderr
    refused = xueji_command(settings, "backup", "restore", str(folder))
    assert refused.returncode == 1
    assert "备份有问题，未恢复" in refused.stderr and "xueji.db 与清单不符" in refused.stderr

    a_file = tmp_path / "a-file"
    a_file.write_text("")
    refused = xueji_command(settings, "backup", "make", str(a_file))
    assert refused.returncode == 1 and "无法创建备份目录" in refused.stderr


def test_a_backup_that_fails_leaves_no_half_copy(settings: Settings, tmp_path: Path) -> None:
    Path(settings.store_url.removeprefix("sqlite:///")).unlink()

    with pytest.raises(BackupError, match="找不到数据库文件"):
        make_backup(settings, tmp_path / "backups", NOW)

    assert list((tmp_path / "backups").iterdir()) == []
