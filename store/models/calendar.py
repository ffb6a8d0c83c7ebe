"""Working-day calendar years loaded by administrators."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from store.models.columns import at_

# ---------------------------------------------------------------- working-day calendar years


class CalendarYear(SQLModel, table=True):
    """One year's official holiday arrangement as an administrator loaded it (法定节假日与调休):
    the document of `xueji calendar load`. Every worker and API process reads it from here."""

    __tablename__ = "calendar_year"
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    document: str  # JSON: year, source, holidays, workdays (domain.workdays.year_document)
    loaded_at: datetime = at_()
    loaded_by: str = Field(max_length=64)
