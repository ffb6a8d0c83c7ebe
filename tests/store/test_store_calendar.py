"""Calendar years in the store, on both stores: every process reads what an administrator
loaded, at its next look-up, above any files still in the calendar directory."""

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from domain.year_files import YearArrangement
from store.calendar import StoreCalendar, save_calendar_year
from store.db import session_scope

NEW_YEAR_HOLIDAY = date(2031, 1, 2)  # a Thursday
FILE_HOLIDAY = date(2031, 1, 3)  # a Friday
LOADED_AT = datetime(2030, 12, 1, 9, 0, tzinfo=UTC)


def load(engine: Engine, *holidays: date) -> None:
    with session_scope(engine) as session:
        official = YearArrangement(2031, set(holidays), set(), "国办发明电")
        # One moment for every load: a correction is seen by its content, not only its time.
        save_calendar_year(session, official, loaded_by="sec", now=LOADED_AT)


def test_a_loaded_year_reaches_every_process_at_its_next_look_up(
    engine: Engine, tmp_path: Path
) -> None:
    worker_here = StoreCalendar(engine, tmp_path / "here")
    worker_elsewhere = StoreCalendar(engine, tmp_path / "elsewhere")  # another host: no files
    assert worker_here().year_status(2031) == "estimated"

    load(engine, NEW_YEAR_HOLIDAY)

    for calendar in (worker_here(), worker_elsewhere()):
        assert calendar.year_status(2031) == "official"
        assert not calendar.is_workday(NEW_YEAR_HOLIDAY)
    # Loaded again (corrected): the new arrangement replaces the old one.
    load(engine, FILE_HOLIDAY)
    assert worker_elsewhere().is_workday(NEW_YEAR_HOLIDAY)
    assert not worker_elsewhere().is_workday(FILE_HOLIDAY)


def test_the_store_overrides_a_file_of_the_same_year(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "2031.json").write_text(
        f'{{"year": 2031, "holidays": ["{FILE_HOLIDAY}"], "workdays": []}}', encoding="utf-8"
    )
    calendar = StoreCalendar(engine, tmp_path)
    assert not calendar().is_workday(FILE_HOLIDAY)  # a file copied in by hand still counts

    load(engine, NEW_YEAR_HOLIDAY)

    assert calendar().is_workday(FILE_HOLIDAY) and not calendar().is_workday(NEW_YEAR_HOLIDAY)
