"""Working-day calendar years in the store: loaded by an administrator (API or CLI), read by
every worker and API process, so workers on any host count the same working days."""

import json
import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from domain.workdays import WorkdayCalendar
from domain.year_files import CalendarFileError, YearArrangement, parse_year_document, year_document
from store.models import CalendarYear

log = logging.getLogger(__name__)


def save_calendar_year(
    session: Session, arrangement: YearArrangement, *, loaded_by: str, now: datetime
) -> None:
    """Save the year's arrangement, replacing the one loaded before (if any)."""
    row = session.get(CalendarYear, arrangement.year) or CalendarYear(
        year=arrangement.year, document="", loaded_at=now, loaded_by=loaded_by
    )
    row.document = json.dumps(year_document(arrangement), ensure_ascii=False)
    row.loaded_at, row.loaded_by = now, loaded_by
    session.add(row)


_DOCUMENTS = select(CalendarYear.year, CalendarYear.document).order_by(col(CalendarYear.year))


def loaded_documents(connection: Connection) -> tuple[tuple[int, str], ...]:
    """Every loaded year and its document, by year: a few short rows, compared as they are so
    that any load, even a correction of the same year, is seen. A plain connection, not an
    ORM session: every deadline and registration asks."""
    return tuple((year, document) for year, document in connection.execute(_DOCUMENTS))


def arrangements(documents: tuple[tuple[int, str], ...]) -> dict[int, YearArrangement]:
    """The arrangements of loaded documents; one that no longer reads is logged and left out."""
    years: dict[int, YearArrangement] = {}
    for year, document in documents:
        try:
            years[year] = parse_year_document(json.loads(document))
        except (ValueError, CalendarFileError):
            log.error("calendar year %s in the store does not read; left out", year)
    return years


class DirectoryCalendar:
    """The calendar of an override directory, re-read when a file in it changes."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._calendar = WorkdayCalendar()

    def __call__(self) -> WorkdayCalendar:
        signature = self._current_signature()
        if signature != self._signature:
            try:
                self._calendar = WorkdayCalendar.from_directory(self._directory)
                self._signature = signature
            except CalendarFileError:
                # A file copied in by hand and broken: keep the last good calendar.
                log.exception("calendar directory %s has a bad file", self._directory)
        return self._calendar

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        if not self._directory.is_dir():
            return ()
        files = sorted(self._directory.glob("*.json"))
        return tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files)


class StoreCalendar:
    """The working-day calendar every process shares: the years administrators loaded into the
    store (`calendar_year`) over any files left in the override directory, rebuilt when
    either changes (the loaded years are a few short rows, read at each look-up)."""

    def __init__(self, engine: Engine, directory: Path) -> None:
        self._engine = engine
        self._files = DirectoryCalendar(directory)
        self._seen: tuple[object, ...] = ()
        self._calendar = WorkdayCalendar()

    def __call__(self) -> WorkdayCalendar:
        files = self._files()  # the same object until a file changes
        with self._engine.connect() as connection:
            documents = loaded_documents(connection)
        if (files, documents) != self._seen:
            self._calendar = WorkdayCalendar({**files.overrides, **arrangements(documents)})
            self._seen = (files, documents)
        return self._calendar
