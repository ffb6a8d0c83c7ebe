"""`xueji backup`: a consistent copy of the embedded system's state while it runs, and its
restore.

The store and the Temporal dev server's state are SQLite files; each is copied with SQLite's
online backup API in one step, under one read transaction, so the copy is the database as it
was at one moment even while the API, the worker and the dev server go on writing (the loaded
working-day calendar years are in the store). Calendar files of earlier versions are copied
beside them, and a manifest names every file with its size and SHA-256 so a copy can be checked
before it is restored.

`restore_backup` puts a checked copy back while the system is stopped, moving the state it
replaces aside rather than deleting it.

Keys are not copied: they are configuration (`.env` or the environment), and a backup kept
with its keys would hand anyone who finds it the children's data. Keep them apart.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.settings import Settings
from domain.workdays import SHANGHAI
from xueji.dev import busy_ports, required_ports

MANIFEST = "manifest.json"
STORE_FILE = "xueji.db"
TEMPORAL_FILE = "temporal.db"


class BackupError(Exception):
    """A backup that cannot be made; the message says why, in Chinese, for the operator."""


@dataclass(frozen=True)
class Copied:
    name: str  # the file's path inside the backup folder
    size: int
    sha256: str


def make_backup(settings: Settings, destination: Path, now: datetime) -> tuple[Path, list[str]]:
    """Copy the state into a new folder under `destination`; returns the folder and what was
    left out, and why (a PostgreSQL store, a dev server that never ran)."""
    folder = destination / f"xueji-backup-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}"
    try:
        destination.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file of that name, no permission, a full disk
        raise BackupError(f"无法创建备份目录 {destination}：{exc.strerror}") from None
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        raise BackupError(f"备份目录 {folder} 已存在，请稍后再试") from None
    except OSError as exc:
        raise BackupError(f"无法创建备份目录 {folder}：{exc.strerror}") from None
    try:
        skipped = _fill(settings, folder, now)
    except BaseException as exc:
        shutil.rmtree(folder, ignore_errors=True)  # never leave half a backup that looks whole
        if isinstance(exc, OSError):  # a full disk, say
            raise BackupError(f"备份未完成（已删除不完整的 {folder}）：{exc.strerror}") from None
        raise
    return folder, skipped


def _fill(settings: Settings, folder: Path, now: datetime) -> list[str]:
    copied: list[Copied] = []
    skipped: list[str] = []
    if settings.store_file is not None:
        copied.append(_copy_sqlite(settings.store_file, folder, STORE_FILE))
    else:
        skipped.append("业务数据库是 PostgreSQL：请用 pg_dump 备份（见 docs/operations.md）")
    if settings.temporal_db_path.exists():
        copied.append(_copy_sqlite(settings.temporal_db_path, folder, TEMPORAL_FILE))
    else:
        skipped.append(f"没有 Temporal 开发服务器的数据文件 {settings.temporal_db_path}")
    calendar = settings.calendar_path
    for source in sorted(calendar.glob("*.json")) if calendar.is_dir() else []:
        copied.append(_copy_file(source, folder, f"calendar/{source.name}"))
    manifest = {
        "created_at": now.astimezone(SHANGHAI).isoformat(),
        "files": [vars(each) for each in copied],
        "not_included": ["加密密钥（XUEJI_*_KEYS、XUEJI_LOOKUP_KEY）：请另行妥善保管", *skipped],
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return skipped


def check_backup(folder: Path) -> list[str]:
    """What is wrong with a backup folder: files missing, altered or not sound databases."""
    try:
        listed = _manifest(folder)
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{folder / MANIFEST} 缺失或无法读取"]
    problems = []
    for name, sha256 in listed.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} 缺失")
        elif _sha256(path) != sha256:
            problems.append(f"{name} 与清单不符（已被修改或损坏）")
        elif path.suffix == ".db" and not _sound(path):
            problems.append(f"{name} 不是完好的 SQLite 数据库")
    return problems


def restore_backup(settings: Settings, folder: Path, now: datetime) -> Path:
    """Put a sound backup in place of the local system's state (store, Temporal's database,
    calendar files); returns the folder in the data directory that now holds the state it
    replaced: nothing is deleted.

    Refuses, changing nothing, when the backup fails its check, the store is PostgreSQL, or the
    system still runs (a process holds one of its ports). A restore that fails half-way (a full
    disk) puts the replaced state back.
    """
    problems = check_backup(folder)
    if problems:
        raise BackupError("备份有问题，未恢复：\n" + "\n".join(f"  {p}" for p in problems))
    store = settings.store_file
    if store is None:
        raise BackupError("业务数据库是 PostgreSQL：请用 pg_restore 恢复（见 docs/operations.md）")
    targets = _targets(settings, store, list(_manifest(folder)))
    running = busy_ports(required_ports(settings))
    if running:
        held = "、".join(f"{port.host}:{port.port}" for port in running)
        raise BackupError(f"系统仍在运行（端口 {held} 在用）：请先停止（make run 按 Ctrl-C）再恢复")
    aside = settings.data_dir / f"replaced-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}"
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        aside.mkdir(mode=0o700)
    except FileExistsError:
        raise BackupError(f"目录 {aside} 已存在，请稍后再试") from None
    except OSError as exc:
        raise BackupError(f"无法创建目录 {aside}：{exc.strerror}") from None
    moved: list[tuple[Path, Path]] = []
    restored: list[Path] = []
    try:
        for source, name in _current_state(settings, store).items():
            kept = aside / name
            kept.parent.mkdir(mode=0o700, exist_ok=True)
            shutil.move(source, kept)
            moved.append((source, kept))
        for name, target in targets.items():
            restored.append(target)
            _put(folder / name, target)
    except OSError as exc:
        for target in restored:
            target.unlink(missing_ok=True)
        for source, kept in reversed(moved):
            shutil.move(kept, source)
        shutil.rmtree(aside, ignore_errors=True)
        raise BackupError(f"恢复未完成，原有数据已放回：{exc.strerror}") from None
    return aside


def _targets(settings: Settings, store: Path, names: list[str]) -> dict[str, Path]:
    """Where each file of a backup goes back to; a backup without the store, or naming a file
    that no backup writes (a path out of the data directory, say), is refused."""
    if STORE_FILE not in names:
        raise BackupError(f"备份中没有业务数据库 {STORE_FILE}，无法恢复")
    targets = {}
    for name in names:
        if name == STORE_FILE:
            targets[name] = store
        elif name == TEMPORAL_FILE:
            targets[name] = settings.temporal_db_path
        elif re.fullmatch(r"calendar/[\w-]+\.json", name):
            targets[name] = settings.calendar_path / name.removeprefix("calendar/")
        else:
            raise BackupError(f"清单中的 {name} 不是备份会写出的文件，未恢复")
    return targets


def _current_state(settings: Settings, store: Path) -> dict[Path, str]:
    """The files a restore replaces, each with its name among the replaced ones: the databases
    with what SQLite keeps beside them (a leftover write-ahead log would be applied to the
    restored file at its first opening) and the calendar files."""
    databases = {store: STORE_FILE, settings.temporal_db_path: TEMPORAL_FILE}
    files = {
        database.with_name(database.name + companion): name + companion
        for database, name in databases.items()
        for companion in ("", "-wal", "-shm", "-journal")
    }
    calendar = settings.calendar_path
    for path in sorted(calendar.glob("*.json")) if calendar.is_dir() else []:
        files[path] = f"calendar/{path.name}"
    return {path: name for path, name in files.items() if path.is_file()}


def _put(source: Path, target: Path) -> None:
    """Copy `source` to `target` whole or not at all (a temporary name, then a rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    try:
        shutil.copyfile(source, partial)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _manifest(folder: Path) -> dict[str, str]:
    """Each file the backup's manifest lists, with its SHA-256."""
    entries = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    return {str(entry["name"]): str(entry["sha256"]) for entry in entries}


def _copy_sqlite(source: Path, folder: Path, name: str) -> Copied:
    if not source.is_file():
        raise BackupError(f"找不到数据库文件 {source}")
    target = folder / name
    # Read-only, so a backup never creates or changes anything at the source.
    with (
        closing(sqlite3.connect(_read_only(source), uri=True)) as reading,
        closing(sqlite3.connect(target)) as writing,
    ):
        try:
            reading.backup(writing)  # all pages in one step: one consistent snapshot
        except sqlite3.Error as exc:
            raise BackupError(f"无法读取数据库 {source}：{exc}") from None
    os.chmod(target, 0o600)
    return Copied(name, target.stat().st_size, _sha256(target))


def _copy_file(source: Path, folder: Path, name: str) -> Copied:
    target = folder / name
    target.parent.mkdir(mode=0o700, exist_ok=True)
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)
    return Copied(name, target.stat().st_size, _sha256(target))


def _read_only(path: Path) -> str:
    """SQLite's URI of the file, opened read-only (any character of the path escaped)."""
    return f"{path.resolve().as_uri()}?mode=ro"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sound(path: Path) -> bool:
    with closing(sqlite3.connect(_read_only(path), uri=True)) as connection:
        try:
            return bool(connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
        except sqlite3.DatabaseError:
            return False
