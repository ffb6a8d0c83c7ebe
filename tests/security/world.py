"""The world the route walk runs in: one running system (real app, real worker on the dev
server, a SQLite store with the demo tree), one account for each role at each position the
access table names, and one target of each kind (cases at the steps the walk needs, a slip to
a school, a campaign, an FAQ entry, an account, a unit) for the routes' path parameters."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from api.console.auth import COOKIE, csrf_token
from api.main import create_app, wall_clock
from core.settings import Settings
from core.temporal import connect
from domain.roles import ADMIN_ROLES
from store.accounts import find_user
from store.db import engine_for, session_scope
from store.logins import Granted, open_session, token_hash
from store.org_drafts import save_draft
from tests.support.api_support import create_account
from tests.support.demo import (
    CHANG_AN,
    CHANG_AN_SCHOOL,
    CITY,
    MINISTRY,
    PROVINCE,
    QIAO_XI_SCHOOL,
    XIN_HUA,
    ZHEJIANG_PROVINCE,
    demo_tree,
)
from tests.support.http_support import COMPLAINT, PASSWORD
from tests.support.stores import DEMO_TREE, FreshStore
from tests.support.waiting import eventually
from xueji.worker import build_worker

OTHER_SCHOOL = "2130102002"  # 长安区第二中学: a school of the same county, not addressed

# Where a unit stands towards the targets: the case's handling unit (处理责任单位, also the
# unit the unit-scoped routes act on), the unit above it that received the case, the Ministry,
# the county a slip passes through on its way to the school, a county below the handling
# unit off every slip's route, a unit in another province, the school a slip is addressed
# to and another school.
POSITIONS = {
    "handling": CITY,
    "above": PROVINCE,
    "top": MINISTRY,
    "route": CHANG_AN,
    "below": XIN_HUA,
    "outside": ZHEJIANG_PROVINCE,
    "school": CHANG_AN_SCHOOL,
    "other_school": OTHER_SCHOOL,
}
BUREAU_ROLES = ("clerk", "handler", "leader", "sysadmin", "secadmin", "auditor")
# Every role at the handling unit; elsewhere the roles whose answer may differ there (an
# auditor reads the log wherever it sits, so two of them are enough).
ROLES_AT = {
    "handling": BUREAU_ROLES,
    "above": ("clerk", "handler", "leader", "sysadmin", "secadmin"),
    "top": ("leader", "sysadmin", "secadmin", "auditor"),
    "route": ("handler",),
    "below": ("handler",),
    "outside": ("handler", "leader", "sysadmin", "secadmin"),
    "school": ("clerk", "handler"),
    "other_school": ("handler",),
}
PUBLIC = "public"  # nobody signed in
PRINCIPALS: tuple[str, ...] = (
    PUBLIC,
    *(f"{position}.{role}" for position, roles in ROLES_AT.items() for role in roles),
)


def unit_and_role(principal: str) -> tuple[str, str]:
    position, role = principal.split(".")
    return POSITIONS[position], role


@dataclass
class World:
    """The running system, every principal's session token and the targets."""

    http: httpx.AsyncClient
    settings: Settings
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)  # path parameter / name: value
    policy: dict[str, Any] = field(default_factory=dict)

    def now(self) -> Any:
        return self.app.state.clock()

    def username(self, principal: str) -> str:
        return principal.replace(".", "_")

    def new_session(self, principal: str) -> str:
        """A fresh session of the principal, opened in the store."""
        with session_scope(self.app.state.engine) as session:
            user = find_user(session=session, username=self.username(principal))
            assert user is not None, principal
            grant = Granted(user=user, must_change_password=False, must_enrol_totp=False)
            return open_session(session=session, grant=grant, now=self.now())

    def api_headers(self, principal: str, token: str | None = None) -> dict[str, str]:
        token = token or self.tokens.get(principal)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def console_cookies(self, principal: str, token: str | None = None) -> dict[str, str]:
        token = token or self.tokens.get(principal)
        return {COOKIE: token} if token else {}

    def csrf(self, principal: str, token: str | None = None) -> str:
        token = token or self.tokens.get(principal)
        if not token:
            return ""
        return csrf_token(self.settings.lookup_key_bytes, token_hash(token))

    async def as_(self, principal: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A JSON API call by a principal set up here (not one of the walk's requests)."""
        return await self.http.request(method, path, headers=self.api_headers(principal), **kwargs)


def _add_accounts(settings: Settings, now: Any) -> None:
    engine = engine_for(settings)
    with session_scope(engine) as session:
        for principal in PRINCIPALS[1:]:
            unit, role = unit_and_role(principal)
            create_account(
                session,
                username=principal.replace(".", "_"),
                unit_code=unit,
                role=role,
                password=PASSWORD,
                now=now,
                totp=role in ADMIN_ROLES,
            )
    engine.dispose()


@asynccontextmanager
async def running_world(folder: Path, dev_server: WorkflowEnvironment) -> AsyncIterator[World]:
    store = FreshStore("sqlite", folder)
    settings = Settings(
        data_dir=folder / "data",
        database_url=store.make(DEMO_TREE),
        temporal_address=dev_server.client.service_client.config.target_host,
        temporal_task_queue=f"security-{uuid.uuid4().hex[:8]}",
        # The walk is many requests from one address; the limits have tests of their own.
        public_rate_limit="100000/minute",
        login_rate_limit="100000/minute",
    )
    _add_accounts(settings, wall_clock())
    app = create_app(settings, clock=wall_clock)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(build_worker(await connect(settings), settings))
        await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://xueji")
        )
        world = World(http, settings, app)
        for principal in PRINCIPALS[1:]:
            world.tokens[principal] = world.new_session(principal)
        await _make_targets(world)
        yield world


async def _registered(world: World) -> dict[str, Any]:
    """A complaint received by the province's clerk and handled by the city (CITY)."""
    answer = await world.as_("above.clerk", "POST", "/api/complaints", json=COMPLAINT)
    if answer.status_code == 409:  # the same complaint again: registered as new, with a reason
        key = answer.json()["detail"]["matches_key"]
        again = {**COMPLAINT, "not_repeat": {"reason": "另一件投诉", "matches_key": key}}
        answer = await world.as_("above.clerk", "POST", "/api/complaints", json=again)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    assert created["handling_unit"] == CITY, created
    return created


async def _seen(world: World, principal: str, path: str) -> Any:
    async def shown() -> bool:
        return (await world.as_(principal, "GET", path)).status_code == 200

    await eventually(shown, failure=f"{principal} never saw {path}")
    return (await world.as_(principal, "GET", path)).json()


async def _stage(world: World, complaint_id: str, stage: str) -> Any:
    async def reached() -> Any:
        case = await world.as_("handling.handler", "GET", f"/api/complaints/{complaint_id}")
        return case.json() if case.json().get("stage") == stage else None

    return await eventually(reached, failure=f"{complaint_id} never reached {stage}")


async def _make_targets(world: World) -> None:
    targets = world.targets
    # The case most routes act on: at its first step, verification to issue (核查).
    main = await _registered(world)
    targets.update(complaint_id=main["id"], tracking_no=main["tracking_no"])
    # A case with verification slips open at the school, through its county (CHANG_AN), and
    # at that county itself.
    slipped = await _registered(world)
    targets["slip_case"] = slipped["id"]
    await _seen(world, "handling.handler", f"/api/complaints/{slipped['id']}")
    issued = await world.as_(
        "handling.handler",
        "POST",
        f"/api/complaints/{slipped['id']}/verification",
        json={"addressees": [CHANG_AN_SCHOOL, CHANG_AN], "instructions": "请核查"},
    )
    assert issued.status_code == 200, issued.text
    slips = {slip["addressee"]: slip["slip_id"] for slip in issued.json()["slips"]}
    targets.update(slip_id=slips[CHANG_AN_SCHOOL], county_slip_id=slips[CHANG_AN])
    await _seen(world, "school.handler", f"/api/slips/{slipped['id']}/{targets['slip_id']}")
    await _seen(world, "route.handler", f"/api/slips/{slipped['id']}/{targets['county_slip_id']}")
    # An evidence file (附件) the school attached to its slip's return.
    uploaded = await world.as_(
        "school.handler",
        "POST",
        f"/api/complaints/{slipped['id']}/attachments",
        files={"file": ("凭证.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        data={"purpose": "slip_return", "slip_id": targets["slip_id"]},
    )
    assert uploaded.status_code == 201, uploaded.text
    targets["attachment_id"] = uploaded.json()["id"]
    # A case with a level dispute waiting for its ruling (裁定) by the province.
    disputed = await _registered(world)
    targets["disputed_case"] = disputed["id"]
    await _seen(world, "handling.handler", f"/api/complaints/{disputed['id']}")
    raised = await world.as_(
        "handling.handler",
        "POST",
        f"/api/complaints/{disputed['id']}/dispute",
        json={"proposed_unit": CHANG_AN, "reason": "应由区教育局处理"},
    )
    assert raised.status_code == 202, raised.text
    await _stage(world, disputed["id"], "disputed")  # ruled by the province, above both
    # A case to withdraw (the walk's one action that cannot be made harmless).
    targets["withdrawn_case"] = (await _registered(world))["id"]
    await _seen(world, "handling.handler", f"/api/complaints/{targets['withdrawn_case']}")
    await _seen(world, "handling.handler", f"/api/complaints/{main['id']}")
    # A campaign the province opened, that the city must report to.
    due = (world.now() + timedelta(days=40)).date().isoformat()
    opened = await world.as_(
        "above.leader",
        "POST",
        "/api/campaigns",
        json={"title": "投诉处理人员信息报送", "due_date": due, "units": [CITY]},
    )
    assert opened.status_code == 201, opened.text
    targets["campaign_id"] = opened.json()["id"]
    await _seen(world, "handling.handler", f"/api/campaigns/{targets['campaign_id']}")
    # An FAQ entry of the city.
    faq = await world.as_(
        "handling.handler",
        "POST",
        "/api/faq",
        json={"question": "学籍重复登记怎么办？", "answer": "请联系学校。", "published": True},
    )
    assert faq.status_code == 201, faq.text
    targets["faq_id"] = str(faq.json()["id"])
    # An account and a unit for the administrators' routes: the city's clerk, the city.
    targets.update(username=world.username("handling.clerk"), code=CITY, year="2026")
    # An account request of the city's sysadmin, waiting for a secadmin (三员).
    asked = await world.as_(
        "handling.sysadmin",
        "POST",
        "/api/admin/users",
        json={
            "username": "asked.clerk",
            "display_name": "待批受理员",
            "unit_code": CITY,
            "role": "clerk",
            "password": "Temporary-Pass-2030",
        },
    )
    assert asked.status_code == 202, asked.text
    targets["request_id"] = str(asked.json()["id"])
    # A new tree the Ministry's sysadmin uploaded in the console, waiting for its preview.
    with session_scope(world.app.state.engine) as session:
        targets["draft_id"] = save_draft(
            session=session,
            tree=demo_tree(),
            created_by=world.username("top.sysadmin"),
            units_file="units.csv",
            schools_file="schools.csv",
            now=world.now(),
        )
    policy = await world.as_("top.secadmin", "GET", "/api/admin/password-policy")
    assert policy.status_code == 200, policy.text
    world.policy = policy.json()
    assert QIAO_XI_SCHOOL in COMPLAINT["school_codes"]  # not the slip's school
