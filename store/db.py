"""Engine and sessions of the store: a SQLite file by default, PostgreSQL by DATABASE_URL.

SQLite has one writer at a time, and a writer that finds the file locked sleeps and polls
(up to 100 ms a turn), so under load a few writers starve. The writers of one process
therefore queue on a lock of the engine first: a write transaction takes it at its first
write and gives it back when its connection returns to the pool, committed or rolled back.
Writers in other processes (the API and the worker) still meet at SQLite's busy timeout.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event, text
from sqlmodel import Session, create_engine

from xueji.settings import Settings

BUSY_TIMEOUT_SECONDS = 30.0  # a SQLite writer waits this long for another process's write
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "ALTER", "DROP")
_WRITER = "xueji_holds_write_lock"


def make_engine(url: str) -> Engine:
    """An engine for `url`; a SQLite file gets its folder created and foreign keys enforced."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        _queue_writers(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _queue_writers(engine: Engine) -> None:
    lock = threading.Lock()

    def before_execute(conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if conn.info.get(_WRITER) or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        # Never wait forever: a thread that writes on two connections at once falls back to
        # SQLite's own busy timeout instead of waiting on itself.
        conn.info[_WRITER] = lock.acquire(timeout=BUSY_TIMEOUT_SECONDS)

    def released(_dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        if record.info.pop(_WRITER, False):
            lock.release()

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine.pool, "checkin", released)
    event.listen(engine.pool, "invalidate", lambda conn, record, _exc: released(conn, record))


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


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
