"""The audit chain's heads outside the database (DESIGN §7): one JSON line per audited write,
``{"seq": 12, "hash": "…", "at": "…"}``, appended after the entry is committed.

The operator ships the file off the host (a log shipper, rsync, syslog); `xueji audit verify`
then checks that the chain in the database still passes through every head, so deleting the
newest entries, or rewriting entries, is found even by someone who can write the database.
A head is an HMAC under the audit key: knowing the heads does not let anyone forge entries.
Each head covers every entry before it, so a head lost now and then weakens nothing once a
later one is written.
"""

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from store.audit_chain import Head


class HeadsFileError(ValueError):
    """The heads file cannot be read as heads; `str()` names the file and line, in Chinese."""


def prepare(path: Path) -> None:
    """Create the file (and its folder) if missing and check that it can be appended to;
    OSError when not, so that a process refuses to start rather than run without exports."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(_open(path))


def export_head(path: Path, *, seq: int, hash: str, at: datetime) -> None:
    """Append the head `seq`, `hash` to the file; OSError when it cannot be written.

    One `write` of one short line to a file opened for appending: lines of concurrent
    processes do not interleave (they may come out of seq order, which is fine).
    """
    stamp = at.astimezone(UTC).isoformat(timespec="seconds")
    line = json.dumps({"seq": seq, "hash": hash, "at": stamp}, separators=(",", ":")) + "\n"
    descriptor = _open(path)
    try:
        os.write(descriptor, line.encode("ascii"))
    finally:
        os.close(descriptor)


def read_heads(path: Path) -> list[Head]:
    """The heads in the file, in file order; HeadsFileError for a line that is not one (a torn
    last line, left by a crash in the middle of a write, is skipped)."""
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HeadsFileError(f"链头文件 {path} 不存在") from None
    except (OSError, UnicodeDecodeError):
        raise HeadsFileError(f"链头文件 {path} 无法读取") from None
    lines = content.split("\n")
    heads = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            head = Head(seq=int(entry["seq"]), hash=str(entry["hash"]))
        except (ValueError, KeyError, TypeError):
            if number == len(lines):  # no newline after it: a write cut short
                continue
            raise HeadsFileError(f"链头文件 {path} 第 {number} 行格式不对") from None
        heads.append(head)
    return heads


def _open(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o640)
