"""Fresh stores, quickly: a test's store is a copy of a template migrated (and filled) once a
test session (once per xdist worker): a file copy for SQLite, `CREATE DATABASE … TEMPLATE`
for PostgreSQL. Migrating a store and loading the demo tree took seconds a test.

A test's PostgreSQL database is dropped off the test's path: DROP DATABASE waits for a
checkpoint (half a second on a quiet machine, five to twenty on a busy one, measured in the
teardowns of a whole run), and drops asked for at the same time share one checkpoint, so a
background thread drops what the tests have let go of, a few at once."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from sqlmodel import Session

from domain.year_files import YearArrangement
from store.calendar import save_calendar_year
from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.org import replace_tree
from tests.support.demo import demo_tree

POSTGRES_ADMIN_URL = os.environ.get(
    "XUEJI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass(frozen=True)
class Template:
    """What a fresh store holds: every migration, then what `fill` writes (named: once built,
    a template is found by its name)."""

    name: str
    fill: Callable[[Session], None] | None = None


MIGRATED = Template("migrated")
DEMO_TREE = Template("demo", lambda session: replace_tree(session=session, tree=demo_tree()))


def postgres_url(database: str) -> str:
    """The SQLAlchemy URL of `database` on the test server."""
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{database}"


def postgres_or_skip() -> None:
    """Skip the test when PostgreSQL is unreachable; fail it instead with REQUIRE_POSTGRES=1."""
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


def _admin(sql: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql)  # type: ignore[arg-type]  # names made here, never input


def _drop_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Drops:
    """Databases dropped by a background thread, up to `together` at once (one checkpoint for
    them all); `wait` returns when every one asked for is gone, and raises what a drop raised."""

    def __init__(self, together: int = 6) -> None:
        self._together = together
        self._pending: list[str] = []
        self._dropping = 0
        self._failures: list[BaseException] = []
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def drop(self, name: str) -> None:
        with self._changed:
            self._pending.append(name)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="drops", daemon=True)
                self._thread.start()
            self._changed.notify_all()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._pending:
                    self._changed.wait()
                batch = self._pending[: self._together]
                del self._pending[: self._together]
                self._dropping = len(batch)
            with ThreadPoolExecutor(len(batch)) as pool:
                outcomes = [pool.submit(_drop_database, name) for name in batch]
            with self._changed:
                self._failures += [e for o in outcomes if (e := o.exception()) is not None]
                self._dropping = 0
                self._changed.notify_all()

    def wait(self) -> None:
        with self._changed:
            while self._pending or self._dropping:
                self._changed.wait()
            failures, self._failures = self._failures, []
        if failures:
            raise failures[0]


DROPS = Drops()


def _build(url: str, template: Template) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        if template.fill is not None:
            with session_scope(engine) as session:
                template.fill(session)
    finally:
        engine.dispose()  # PostgreSQL copies a database only while no one is connected to it


class Templates:
    """The templates of one test session (one process), each built when first asked for."""

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._files: dict[str, Path] = {}
        self._databases: dict[str, str] = {}

    def sqlite_file(self, template: Template) -> Path:
        if template.name not in self._files:
            if self._folder is None:
                self._folder = Path(tempfile.mkdtemp(prefix="xueji-templates-"))
            file = self._folder / f"{template.name}.db"
            _build(f"sqlite:///{file}", template)
            with sqlite3.connect(file) as store:  # all of it in the one file copied
                store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._files[template.name] = file
        return self._files[template.name]

    def postgres_database(self, template: Template) -> str:
        if template.name not in self._databases:
            name = f"xueji_template_{uuid.uuid4().hex[:12]}"
            _admin(f'CREATE DATABASE "{name}"')
            self._databases[template.name] = name
            _build(postgres_url(name), template)
        return self._databases[template.name]

    def close(self) -> None:
        DROPS.wait()  # the tests' copies first: a template cannot go while copied from
        for name in self._databases.values():
            DROPS.drop(name)
        DROPS.wait()
        self._databases.clear()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None
        self._files.clear()


TEMPLATES = Templates()  # closed at the end of the session by tests/conftest.py


def copy_sqlite(template: Template, file: Path) -> None:
    """Make `file` a fresh SQLite store holding what `template` holds."""
    file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES.sqlite_file(template), file)


class FreshStore:
    """A test's own store, of one kind, made once: empty or as a copy of a template."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind = kind
        if kind == "sqlite":
            self._file: Path | None = folder / "store.db"
            self.url = f"sqlite:///{self._file}"
        else:
            self._file = None
            self._database = f"xueji_test_{uuid.uuid4().hex[:12]}"
            self.url = postgres_url(self._database)
        self.exists = False
        self.contents: Template | None = None

    @classmethod
    def of(cls, kind: str, folder: Path) -> FreshStore:
        """A store of `kind` ("sqlite" or "postgresql"), the test skipped (or failed, see
        `postgres_or_skip`) when PostgreSQL is asked for and unreachable."""
        if kind == "postgresql":
            postgres_or_skip()
        return cls(kind, folder)

    def make(self, template: Template | None = None) -> str:
        """Make the store (empty when `template` is None) and return its URL; asking again
        for the same is a no-op, for different contents an error (fixture order matters)."""
        if self.exists:
            if template != self.contents:
                wanted = template.name if template else "empty"
                made = self.contents.name if self.contents else "empty"
                raise RuntimeError(
                    f"this test's store was made {made} before a fixture asked for it {wanted}:"
                    " ask for the filled store's fixture first"
                )
            return self.url
        if self._file is not None:
            if template is not None:
                copy_sqlite(template, self._file)
        elif template is None:
            _admin(f'CREATE DATABASE "{self._database}"')
        else:
            source = TEMPLATES.postgres_database(template)
            _admin(f'CREATE DATABASE "{self._database}" TEMPLATE "{source}"')
        self.contents, self.exists = template, True
        return self.url

    def drop(self) -> None:
        """Let the store go: a PostgreSQL database is dropped in the background (see DROPS)."""
        if self.exists and self._file is None:
            DROPS.drop(self._database)


def load_official_year(
    store_url: str, year: int, holidays: Iterable[date], *, now: datetime
) -> None:
    """A year's arrangement (these rest days, no make-up days) loaded into the store as an
    administrator loads it: official from then on for every process that reads the store."""
    engine = make_engine(store_url)
    try:
        with session_scope(engine) as session:
            arrangement = YearArrangement(year, set(holidays), set())
            save_calendar_year(session, arrangement, loaded_by="sec", now=now)
    finally:
        engine.dispose()
