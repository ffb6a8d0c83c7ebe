"""Schools hold staff accounts: staff_user.unit_code takes a school's 10-digit code as well as a
bureau's, so its foreign key to org_unit goes (store.accounts checks the code instead); and a
school never sees a whole case, so the case_access rows that slips addressed to schools wrote
are removed.

Revision ID: 0017_school_accounts
Revises: 0016_case_schools
Create Date: 2026-12-04
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0017_school_accounts"
down_revision: str | None = "0016_case_schools"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's copy of the table names the foreign key of 0003 (which had no name) by this rule.
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
SQLITE_UNIT_FK = "fk_staff_user_unit_code_org_unit"


def upgrade() -> None:
    with _table_copy_allowed():
        names = _unit_foreign_keys()
        with op.batch_alter_table("staff_user", naming_convention=NAMING) as table:
            for name in names:
                table.drop_constraint(name, type_="foreignkey")
            table.alter_column(
                "unit_code",
                existing_type=sa.String(6),
                type_=sa.String(10),
                existing_nullable=False,
            )
        op.execute(sa.text("DELETE FROM case_access WHERE length(unit_code) = 10"))


def downgrade() -> None:
    """Back to bureau accounts only: school accounts (and their sessions and password history)
    are deleted first, since no bureau code can stand for them."""
    schools = "SELECT id FROM staff_user WHERE length(unit_code) = 10"
    with _table_copy_allowed():
        for child in ("staff_session", "staff_password_history"):
            op.execute(sa.text(f"DELETE FROM {child} WHERE user_id IN ({schools})"))
        op.execute(sa.text("DELETE FROM staff_user WHERE length(unit_code) = 10"))
        with op.batch_alter_table("staff_user") as table:
            table.alter_column(
                "unit_code",
                existing_type=sa.String(10),
                type_=sa.String(6),
                existing_nullable=False,
            )
            table.create_foreign_key(
                "fk_staff_user_unit_code_org_unit", "org_unit", ["unit_code"], ["code"]
            )


def _unit_foreign_keys() -> list[str]:
    """The names of staff_user's foreign keys to org_unit (none once this has run)."""
    found = sa.inspect(op.get_bind()).get_foreign_keys("staff_user")
    keys = [key for key in found if key["referred_table"] == "org_unit"]
    return [key["name"] or SQLITE_UNIT_FK for key in keys]


@contextmanager
def _table_copy_allowed() -> Iterator[None]:
    """On SQLite, batch mode copies staff_user to a new table and drops the old one, which the
    sessions and password history refer to: foreign keys must be off meanwhile, and that
    pragma only takes effect outside a transaction. The copy runs in a transaction of its own,
    checked before it commits. Other stores alter the table in place."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        op.execute(sa.text("PRAGMA foreign_keys=OFF"))
        try:
            op.execute(sa.text("BEGIN"))
            try:
                yield
                broken = op.get_bind().execute(sa.text("PRAGMA foreign_key_check")).first()
                if broken is not None:
                    raise RuntimeError(f"staff_user 迁移后外键不一致：{tuple(broken)}")
            except BaseException:
                op.execute(sa.text("ROLLBACK"))
                raise
            op.execute(sa.text("COMMIT"))
        finally:
            op.execute(sa.text("PRAGMA foreign_keys=ON"))
