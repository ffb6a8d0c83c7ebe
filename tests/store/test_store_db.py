"""The SQLite store's writers take turns across processes (the API, the worker, the CLI)."""

import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from store.db import make_engine, session_scope

HOLDER = """
import sys
from sqlalchemy import text
from store.db import make_engine

engine = make_engine(sys.argv[1])
with engine.connect() as connection:
    connection.execute(text("INSERT INTO note VALUES ('never committed')"))
    print("holding", flush=True)
    sys.stdin.read()  # until killed
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'xueji.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (body TEXT PRIMARY KEY)"))
    engine.dispose()
    return url


def notes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT body FROM note ORDER BY body")).scalars())


def in_thread(write: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def insert(engine: Engine, body: str) -> Callable[[], None]:
    def write() -> None:
        with session_scope(engine) as session:
            session.connection().execute(text("INSERT INTO note VALUES (:body)"), {"body": body})

    return write


def test_a_write_waits_for_another_process_and_goes_on_when_that_process_is_killed(
    url: str,
) -> None:
    root = Path(__file__).resolve().parents[2]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        # The holder's turn is a lock on the file beside the store, which ops can list
        # (lslocks) to see which process holds up the writers.
        assert Path(f"{url.removeprefix('sqlite:///')}.writer").exists()
        engine = make_engine(url)
        waiting = in_thread(insert(engine, "after"))
        waiting.join(timeout=0.5)
        assert waiting.is_alive()  # its turn has not come
        holder.send_signal(signal.SIGKILL)
        waiting.join(timeout=20)
        assert not waiting.is_alive()
        assert notes(engine) == ["after"]
    finally:
        holder.kill()
        holder.wait()


def test_the_turn_is_given_back_after_a_failed_write(url: str) -> None:
    api, worker = make_engine(url), make_engine(url)  # each holds its turn like a process
    insert(api, "first")()
    with pytest.raises(IntegrityError):
        insert(api, "first")()  # the primary key refuses it: rolled back
    other = in_thread(insert(worker, "second"))
    other.join(timeout=20)
    assert not other.is_alive()
    # and the thread that failed writes again, in turn with the other store user
    insert(api, "third")()
    assert notes(api) == ["first", "second", "third"]
