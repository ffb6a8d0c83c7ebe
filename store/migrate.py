"""Apply the Alembic migrations that ship inside the package (`xueji db upgrade`)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would treat a % in a password as a template.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the store at `url` to `revision`; safe to run on every start."""
    command.upgrade(alembic_config(url), revision)
