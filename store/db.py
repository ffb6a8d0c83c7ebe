"""Engine and sessions of the store: a SQLite file by default, PostgreSQL by DATABASE_URL.

SQLite has one writer at a time, and a writer that finds the file locked sleeps and polls
(up to 100 ms a turn), so under load writers starve: with the worker writing a backlog of
cases, the API's registrations waited seconds. So a write transaction first takes the
writer's turn: a lock of the engine (the threads of one process queue on it), then an
exclusive lock on the file `<store>.writer` beside the store (the processes queue in the
kernel, which wakes the next one when the lock is given back, and drops the lock of a process
that dies). It takes the turn at its first write and gives it back when its connection
returns to the pool, committed or rolled back.
"""

import fcntl
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event, text
from sqlmodel import Session, create_engine

from core.settings import Settings

BUSY_TIMEOUT_SECONDS = 30.0  # a SQLite writer waits this long for another process's write
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "ALTER", "DROP")
_WRITER = "xueji_writer_turn"  # in a connection's info: the descriptor holding the turn
_OWNER = "xueji_writer_thread"
_TURN_HOLDERS: set[int] = set()  # the threads holding a writer's turn of any store


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets its folder created and foreign keys enforced."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _queue_writers(engine, Path(f"{url.removeprefix('sqlite:///')}.writer"))
        return engine
    return create_engine(url, pool_pre_ping=True)


def _queue_writers(engine: Engine, lock_path: Path) -> None:
    lock = threading.Lock()

    def before_execute(conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if conn.info.get(_WRITER) or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        # Never wait on itself: a thread that already holds a turn and writes on a second
        # connection, or waited too long in this process, falls back to SQLite's own busy
        # timeout, which ends in an error rather than a hang.
        if threading.get_ident() in _TURN_HOLDERS or not lock.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            return
        try:
            conn.info[_WRITER] = _take_file_turn(lock_path)
        except BaseException:
            lock.release()
            raise
        conn.info[_OWNER] = threading.get_ident()
        _TURN_HOLDERS.add(conn.info[_OWNER])

    def released(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        turn = record.info.pop(_WRITER, None)
        if turn is not None:
            _TURN_HOLDERS.discard(record.info.pop(_OWNER))
            os.close(turn)  # gives the file lock back
            lock.release()

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine.pool, "checkin", released)
    event.listen(engine.pool, "invalidate", lambda conn, record, _exc: released(conn, record))


def _take_file_turn(lock_path: Path) -> int:
    """Wait for the exclusive lock on `lock_path` and return the descriptor that holds it.

    The kernel wakes a waiter as soon as the holder closes its descriptor or dies, so no
    process waits longer than the writes before it take.
    """
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


SWITCH_INTERVAL_SECONDS = 0.0005


def hand_over_the_interpreter_sooner() -> None:
    """Let threads take turns on the interpreter every 0.5 ms instead of Python's 5 ms.

    A thread that holds the writer's turn (or a PostgreSQL lock) and needs the interpreter
    back waits until the thread running has had its interval: in the worker that is the
    workflow loop, in the API the event loop. With the default a record of 8 ms of work held
    the turn for over 20 ms while every other writer of the store waited. The API and the
    worker call this at start.
    """
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.store_url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> None:
    """Raise if the store cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
