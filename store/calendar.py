"""Working-day calendar years in the store: loaded by an administrator (API or CLI), read by
every worker and API process, so workers on any host count the same working days."""

import json
import logging
from datetime import datetime

from sqlalchemy import Connection
from sqlmodel import Session, col, select

from domain.workdays import (
    CalendarFileError,
    YearArrangement,
    parse_year_document,
    year_document,
)
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
