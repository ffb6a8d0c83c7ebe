"""What the commands share: how they fail, and how they reach the store."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session


def fail(message: str) -> typer.Exit:
    """Print the message in red on stderr; returns the exit (code 1) for the caller to raise."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


@contextmanager
def migrated_store(settings: Settings) -> Iterator["Engine"]:
    """The store's engine, its structure upgraded to the latest first; disposed of at the end."""
    # Imported here, like every command's own imports: `xueji --help` stays quick.
    from store.db import engine_for
    from store.migrate import upgrade

    upgrade(settings.store_url)
    engine = engine_for(settings)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def store_session(settings: Settings) -> Iterator["Session"]:
    """A session on the migrated store that commits on success and rolls back on any error."""
    from store.db import session_scope

    with migrated_store(settings) as engine, session_scope(engine) as session:
        yield session
