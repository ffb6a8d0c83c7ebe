"""The insert-only audit role of docs/security.md, on PostgreSQL: it adds entries, the API
writes through it, and it can neither change nor delete them."""

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import errors
from sqlalchemy import Engine
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session, col, select

from api.main import create_app
from core.keys import DEV_AUDIT_KEY_SPEC, AuditKeys
from core.settings import Settings
from store import audit, audit_chain
from store.db import make_engine, session_scope
from store.models import AuditRecord
from tests.support.api_support import PASSWORD, SMALL_TREE, create_account
from tests.support.local import free_port
from tests.support.stores import POSTGRES_ADMIN_URL, FreshStore, postgres_url

SECURITY = Path(__file__).resolve().parents[2] / "docs" / "security.md"
KEYS = AuditKeys(DEV_AUDIT_KEY_SPEC)

pytestmark = pytest.mark.parametrize("fresh_store", ["postgresql"], indirect=True)


def documented_sql(role: str, database: str) -> list[str]:
    """The statements of the documented block, for this role and database."""
    text = SECURITY.read_text(encoding="utf-8")
    block = text[text.index("<!-- audit-role-sql") : text.index("<!-- /audit-role-sql -->")]
    sql = block.split("```sql", 1)[1].split("```", 1)[0]
    sql = re.sub(r"\bxueji_audit\b", role, sql)
    sql = re.sub(r"DATABASE xueji\b", f'DATABASE "{database}"', sql)
    return [statement.strip() for statement in sql.split(";") if statement.strip()]


@pytest.fixture
def engine(fresh_store: FreshStore) -> Iterator[Engine]:
    """This test's store, holding the small tree the API tests use."""
    engine = make_engine(fresh_store.make(SMALL_TREE))
    yield engine
    engine.dispose()


@pytest.fixture
def audit_role(engine: Engine, fresh_store: FreshStore) -> Iterator[str]:
    """The URL of the store as a fresh insert-only role made by the documented SQL."""
    role = f"xueji_audit_{uuid.uuid4().hex[:10]}"  # roles are the whole server's: unique
    database = engine.url.database
    assert database is not None
    admin_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for statement in documented_sql(role, database):
            admin.execute(statement)  # type: ignore[arg-type]  # the docs' own SQL
    try:
        yield postgres_url(database).replace("//postgres@", f"//{role}@", 1)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')  # type: ignore[arg-type]
            admin.execute(f'DROP ROLE "{role}"')  # type: ignore[arg-type]


def test_the_audit_role_appends_but_cannot_change_or_delete(
    engine: Engine, audit_role: str
) -> None:
    as_role = make_engine(audit_role)
    try:
        for n in range(2):
            with session_scope(as_role) as session:
                audit.append(
                    session=session,
                    keys=KEYS,
                    actor=f"clerk{n}",
                    actor_unit="130100",
                    actor_role="clerk",
                    action="auth.login",
                    target="POST /api/auth/login",
                    result="ok",
                    client="192.0.2.7",
                )
        for statement in (
            "UPDATE audit_log SET actor = 'someone' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 2",
            "TRUNCATE audit_log",
            "DELETE FROM audit_anchor",
            "INSERT INTO audit_anchor (through_seq, hash, cutoff, purged_at)"
            " VALUES (2, 'x', now(), now())",
        ):
            with as_role.connect() as connection, pytest.raises(ProgrammingError) as refused:
                connection.exec_driver_sql(statement)
            assert isinstance(refused.value.__cause__, errors.InsufficientPrivilege), statement
    finally:
        as_role.dispose()
    with Session(engine) as session:
        assert audit.count(session=session) == 2
        assert audit_chain.verify(session=session, keys=KEYS) is None


def test_the_api_writes_its_audit_entries_through_the_audit_role(
    engine: Engine, audit_role: str, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        create_account(
            session,
            username="clerk.one",
            unit_code="000000",
            role="clerk",
            password=PASSWORD,
            now=datetime.now(UTC),
            totp=False,
        )
    settings = Settings(
        data_dir=tmp_path,
        database_url=str(engine.url.render_as_string(hide_password=False)),
        audit_database_url=audit_role,
        temporal_address=f"127.0.0.1:{free_port()}",
    )
    with TestClient(create_app(settings)) as client:
        body = {"username": "clerk.one", "password": PASSWORD}
        assert client.post("/api/auth/login", json=body).status_code == 200
    with Session(engine) as session:
        entries = session.exec(select(AuditRecord).order_by(col(AuditRecord.seq))).all()
        assert [(e.actor, e.result) for e in entries] == [("clerk.one", "ok")]
