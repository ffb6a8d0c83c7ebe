"""The migrations build exactly the tables the models describe, on both stores."""

from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.db import make_engine
from store.migrate import alembic_config, upgrade


def test_migrations_match_the_models(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        with engine.connect() as connection:
            # Types differ harmlessly (Text vs VARCHAR); tables, columns, indexes must not.
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []


def _unit_columns_and_tables(store_url: str) -> tuple[set[str], set[str], int]:
    engine = make_engine(store_url)
    try:
        inspector = inspect(engine)
        columns = {column["name"] for column in inspector.get_columns("org_unit")}
        with engine.connect() as connection:
            units = connection.execute(text("SELECT count(*) FROM org_unit")).scalar_one()
        return columns, set(inspector.get_table_names()), units
    finally:
        engine.dispose()


def test_0008_directory_faq_goes_down_and_up_keeping_the_units(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO org_unit (code, name, level, phone, email) "
                    "VALUES ('000000', '教育部', 'national', '', '')"
                )
            )
    finally:
        engine.dispose()

    downgrade(alembic_config(store_url), "0007_intake")
    columns, tables, units = _unit_columns_and_tables(store_url)
    assert "contact_confirmed_at" not in columns and "faq" not in tables and units == 1

    upgrade(store_url)
    columns, tables, units = _unit_columns_and_tables(store_url)
    assert "contact_confirmed_at" in columns and "faq" in tables and units == 1
