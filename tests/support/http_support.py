"""The real app over HTTP (in process) with a real worker on the dev server and a real store:
the `system` fixture of the API tests, its users logged in, and helpers to wait for the read
model, which follows the workflow a moment later."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from temporalio.testing import WorkflowEnvironment

from api.main import create_app, wall_clock
from core.settings import Settings
from core.temporal import connect
from domain.roles import ADMIN_ROLES
from store.accounts import find_user
from store.db import engine_for, session_scope
from store.logins import Granted, open_session
from tests.support.api_support import create_account
from tests.support.demo import (
    CHANG_AN,
    CHANG_AN_SCHOOL,
    CITY,
    MINISTRY,
    PROVINCE,
    QIAO_XI,
    QIAO_XI_SCHOOL,
    XIN_HUA,
)
from tests.support.waiting import eventually
from xueji.worker import build_worker

PASSWORD = "Correct-Horse-7"
DISPLAY_NAMES = {"sjz_handler": "李明", "sjz_leader": "王芳", "ca_handler": "赵强"}
USERS = {  # username: (unit, role)
    "hb_clerk": (PROVINCE, "clerk"),
    "sjz_handler": (CITY, "handler"),
    "ca_handler": (CHANG_AN, "handler"),
    "qx_handler": (QIAO_XI, "handler"),
    "xh_handler": (XIN_HUA, "handler"),
    "sjz_clerk": (CITY, "clerk"),
    "hb_leader": (PROVINCE, "leader"),
    "moe_secadmin": (MINISTRY, "secadmin"),
}
# More case staff, whose sessions are opened in the store (one client address may log in only
# so many times a minute, and the tests of logins count on USERS alone).
MORE_USERS = {"sjz_leader": (CITY, "leader"), "sjz_handler2": (CITY, "handler")}
COMPLAINT = {
    "channel": "web",
    "complainant": {"name": "张晓明", "phone": "138 1234 5678", "email": "p@example.invalid"},
    "students": [{"name": "张小雨", "student_no": "G11010519491231002X"}],
    "school_codes": [CHANG_AN_SCHOOL, QIAO_XI_SCHOOL],
    "summary": "孩子的学籍被两所学校同时登记",
}


@dataclass
class System:
    http: httpx.AsyncClient
    settings: Settings
    tokens: dict[str, str]
    app: Any = None  # the app itself, to serve it over real HTTP (tests/support/browser.py)

    async def log_in(self, username: str, totp_secret: str | None, now: datetime) -> None:
        code = pyotp.TOTP(totp_secret).at(now) if totp_secret else None
        login = {"username": username, "password": PASSWORD, "totp_code": code}
        answer = await self.http.post("/api/auth/login", json=login)
        assert answer.status_code == 200, answer.text
        self.tokens[username] = answer.json()["token"]

    def now(self) -> datetime:
        """The app's own clock: what its sessions and accounts are timed by."""
        return self.app.state.clock()  # type: ignore[no-any-return]

    def add_account(
        self,
        username: str,
        *,
        unit_code: str,
        role: str,
        totp: bool = False,
        display_name: str = "",
    ) -> str | None:
        """An account made in the store at the app's clock (not signed in); with `totp`,
        enrolled, returning its secret."""
        engine = engine_for(self.settings)
        with session_scope(engine) as session:
            secret = create_account(
                session,
                username=username,
                unit_code=unit_code,
                role=role,
                password=PASSWORD,
                now=self.now(),
                totp=totp,
                display_name=display_name,
            )
        engine.dispose()
        return secret

    def open_session(self, username: str) -> None:
        """A session of the user opened in the store, past the login and its limit per client
        address (for a test that needs more users than one address may log in a minute)."""
        engine = engine_for(self.settings)
        with session_scope(engine) as session:
            user = find_user(session=session, username=username)
            assert user is not None, username
            grant = Granted(user=user, must_change_password=False, must_enrol_totp=False)
            self.tokens[username] = open_session(session=session, grant=grant, now=self.now())
        engine.dispose()

    def as_(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def post(self, username: str, path: str, body: Any, **headers: str) -> httpx.Response:
        return await self.http.post(path, json=body, headers={**self.as_(username), **headers})

    async def get(self, username: str, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params, headers=self.as_(username))


@pytest.fixture
def api_clock() -> Callable[[], datetime]:
    """The app's clock in the `system` fixture: the wall clock, since the worker's timers run
    on the dev server's real clock; a module that asserts dates overrides it with a pinned one."""
    return wall_clock


@pytest.fixture
async def system(
    demo_store_url: str,
    tmp_path: Path,
    dev_server: WorkflowEnvironment,
    api_clock: Callable[[], datetime],
) -> AsyncIterator[System]:
    async with running_system(demo_store_url, tmp_path, dev_server, api_clock) as running:
        yield running


@asynccontextmanager
async def running_system(
    store_url: str,
    tmp_path: Path,
    dev_server: WorkflowEnvironment,
    clock: Callable[[], datetime],
    *,
    with_worker: bool = True,
    **settings_changes: Any,
) -> AsyncIterator[System]:
    """The app on the store at `store_url` (holding the demo tree) with its users logged in;
    without a worker, workflows it starts wait unrun (for tests of what the API itself
    answers on a pinned day whose deadlines have passed)."""
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=store_url,
        temporal_address=dev_server.client.service_client.config.target_host,
        temporal_task_queue=f"api-{uuid.uuid4().hex[:8]}",
        **settings_changes,
    )
    engine = engine_for(settings)
    with session_scope(engine) as session:
        secrets = {  # administrators act only with TOTP enrolled
            username: create_account(
                session,
                username=username,
                unit_code=unit,
                role=role,
                password=PASSWORD,
                now=clock(),
                totp=role in ADMIN_ROLES,
                display_name=DISPLAY_NAMES.get(username, ""),
            )
            for username, (unit, role) in {**USERS, **MORE_USERS}.items()
        }
    engine.dispose()
    app = create_app(settings, clock=clock)
    async with AsyncExitStack() as stack:
        if with_worker:
            await stack.enter_async_context(build_worker(await connect(settings), settings))
        await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://xueji")
        )
        system = System(http, settings, {}, app)
        for username in USERS:
            await system.log_in(username, secrets[username], clock())
        for username in MORE_USERS:
            system.open_session(username)
        yield system


async def register(
    system: System,
    body: dict[str, Any] | None = None,
    *,
    username: str = "hb_clerk",
    **headers: str,
) -> Any:
    """Register the complaint as `username`. The tests file one family's complaint many times:
    when the API finds it may repeat one filed before (409), it is sent again as new with a
    reason, as a clerk who judged it new would (tests/api/test_repeats.py tests the 409)."""
    body = body or COMPLAINT
    answer = await system.post(username, "/api/complaints", body, **headers)
    if answer.status_code == 409 and "matches_key" in answer.text:
        key = answer.json()["detail"]["matches_key"]
        body = {**body, "not_repeat": {"reason": "另一件投诉", "matches_key": key}}
        answer = await system.post(username, "/api/complaints", body, **headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def visible(system: System, username: str, complaint_id: str) -> Any:
    async def shown() -> bool:
        return (await system.get(username, f"/api/complaints/{complaint_id}")).status_code == 200

    await eventually(shown, failure=f"{username} never saw {complaint_id}")
    return (await system.get(username, f"/api/complaints/{complaint_id}")).json()
