"""Migration 0003 matches the account models and can be undone, on both stores."""

from alembic.autogenerate import compare_metadata
from alembic.command import downgrade
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from store.db import make_engine
from store.migrate import alembic_config, upgrade

ACCOUNT_TABLES = {"staff_user", "staff_password_history", "staff_session", "password_policy"}


def _touches_accounts(diff: object) -> bool:
    return any(table in repr(diff) for table in ACCOUNT_TABLES)


def test_the_migrated_tables_match_the_models(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()

    assert [diff for diff in diffs if _touches_accounts(diff)] == []


def test_the_migration_can_be_undone(store_url: str) -> None:
    upgrade(store_url)
    downgrade(alembic_config(store_url), "0002")
    engine = make_engine(store_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()

    assert tables.isdisjoint(ACCOUNT_TABLES)
    assert "complaint_case" in tables
