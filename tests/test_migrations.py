"""The migrations build exactly the tables the models describe, on both stores."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables)
from store.db import make_engine
from store.migrate import upgrade


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
