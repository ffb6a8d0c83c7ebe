"""Column types the tables share: aware datetimes on every database."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Dialect, TypeDecorator
from sqlmodel import Field


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime on every database: stored in UTC, read back aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store keeps aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def at_(nullable: bool = False) -> Any:
    return Field(sa_column=Column(AwareDateTime(), nullable=nullable))
