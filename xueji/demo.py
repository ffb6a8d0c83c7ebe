"""The demo of the local system: one account per role for a county, its prefecture, its
province and the Ministry, a clerk and a handler for one of the county's schools, and `xueji
demo scenario`, which files a handful of realistic complaints through the API and carries them
to different steps.

The accounts are made on the first start of `make run` (a store with no accounts yet); their
passwords are printed once and kept in data/demo-accounts.txt (mode 0600, ignored by git),
which is also where the scenario reads them.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import select

from core.settings import Settings
from domain.roles import SCHOOL_ROLES
from domain.workdays import SHANGHAI
from store.accounts import ROLES, create_user
from store.db import engine_for, session_scope
from store.models import StaffUser

# (username prefix, unit code, unit name): 长安区 → 石家庄市 → 河北省 → 教育部
DEMO_UNITS = (
    ("changan", "130102", "长安区教育局"),
    ("sjz", "130100", "石家庄市教育局"),
    ("hebei", "130000", "河北省教育厅"),
    ("moe", "000000", "教育部"),
)
# A school of 长安区, which has the roles a school may hold and works the slips sent to it.
DEMO_SCHOOLS = (("changan1z", "2130102001", "长安区第一中学"),)
ACCOUNTS_FILE = "demo-accounts.txt"
SCENARIO_USERS = (
    "changan.clerk",
    "changan.handler",
    "changan1z.handler",
    "sjz.handler",
    "hebei.clerk",
    "hebei.handler",
    "moe.clerk",
)
CHANG_AN, CITY = "130102", "130100"
STEP_WAIT_SECONDS = 30.0


class DemoError(RuntimeError):
    """Why the scenario cannot run (message in Chinese)."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    unit_code: str
    unit_name: str


def accounts_path(settings: Settings) -> Path:
    return settings.data_dir / ACCOUNTS_FILE


def new_password() -> str:
    """Random, and of four kinds, so it passes any password policy the secadmin may set."""
    return f"Xj{secrets.token_urlsafe(12)}-{secrets.randbelow(90) + 10}"


def create_demo_accounts(settings: Settings, now: datetime) -> list[DemoAccount]:
    """One account per role for each demo unit and per school role for the demo school, when
    the store has no account yet (else nothing); the list is written to
    data/demo-accounts.txt, readable by its owner only."""
    engine = engine_for(settings)
    try:
        with session_scope(engine) as session:
            if session.exec(select(func.count()).select_from(StaffUser)).one():
                return []
            accounts = [
                DemoAccount(f"{prefix}.{role}", new_password(), role, code, name)
                for prefix, code, name in DEMO_UNITS
                for role in ROLES
            ]
            accounts += [
                DemoAccount(f"{prefix}.{role}", new_password(), role, code, name)
                for prefix, code, name in DEMO_SCHOOLS
                for role in SCHOOL_ROLES
            ]
            for account in accounts:
                create_user(
                    session=session,
                    username=account.username,
                    unit_code=account.unit_code,
                    role=account.role,
                    password=account.password,
                    now=now,
                    display_name=f"演示 {account.unit_name}",
                )
    finally:
        engine.dispose()
    write_accounts(accounts_path(settings), accounts)
    return accounts


def write_accounts(path: Path, accounts: list[DemoAccount]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# xueji 演示账号（仅用于本地演示；管理员账号首次登录须绑定动态口令 TOTP）",
        "# username\tpassword\trole\tunit_code\tunit_name",
        *(f"{a.username}\t{a.password}\t{a.role}\t{a.unit_code}\t{a.unit_name}" for a in accounts),
    ]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def read_accounts(path: Path) -> dict[str, DemoAccount]:
    if not path.is_file():
        raise DemoError(f"找不到演示账号文件 {path}：请先用 make run 启动一次本地系统")
    accounts = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        username, password, role, code, name = line.split("\t")
        accounts[username] = DemoAccount(username, password, role, code, name)
    return accounts


def accounts_table(accounts: list[DemoAccount]) -> str:
    rows = [f"  {a.username:<18} {a.password:<24} {a.unit_name}" for a in accounts]
    note = "  （sysadmin、secadmin、auditor 首次登录须绑定动态口令）"
    return "\n".join(["演示账号（密码只显示这一次，另存于 data/demo-accounts.txt）:", *rows, note])


# ---------------------------------------------------------------------- the scenario


@dataclass(frozen=True)
class Filed:
    what: str
    tracking_no: str
    query_code: str  # the complainant's, for the public progress page
    complaint_id: str
    stage: str
    handling_unit: str


class Staff:
    """A logged-in demo user of the API."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self._http = http
        self._headers = {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self._http.post(path, json=body, headers=self._headers)
        if answer.status_code >= 400:
            raise DemoError(f"POST {path} 失败（{answer.status_code}）：{answer.text[:300]}")
        return dict(answer.json())

    async def put_when_shown(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT once the store shows the target (404 until the worker has recorded it)."""
        return await self._when_shown("PUT", path, body)

    async def post_when_shown(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST once the store shows the target (404 until the worker has recorded it)."""
        return await self._when_shown("POST", path, body)

    async def _when_shown(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_WAIT_SECONDS
        while True:
            answer = await self._http.request(method, path, json=body, headers=self._headers)
            if answer.status_code != 404 or loop.time() > deadline:
                break
            await asyncio.sleep(0.2)
        if answer.status_code >= 400:
            raise DemoError(f"{method} {path} 失败（{answer.status_code}）：{answer.text[:300]}")
        return dict(answer.json())

    async def case(self, complaint_id: str) -> dict[str, Any] | None:
        answer = await self._http.get(f"/api/complaints/{complaint_id}", headers=self._headers)
        return dict(answer.json()) if answer.status_code == 200 else None

    async def at_stage(self, complaint_id: str, *stages: str) -> dict[str, Any]:
        """The case once the store shows it at one of `stages` (the worker records each
        step a moment after the API has answered)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_WAIT_SECONDS
        while True:
            case = await self.case(complaint_id)
            if case is not None and case["stage"] in stages:
                return case
            if loop.time() > deadline:
                shown = case["stage"] if case else "（尚未入库）"
                raise DemoError(
                    f"案件 {complaint_id} 没有到达 {stages}，现在是 {shown}：worker 在运行吗？"
                )
            await asyncio.sleep(0.2)


async def log_in(http: httpx.AsyncClient, account: DemoAccount) -> Staff:
    body = {"username": account.username, "password": account.password}
    answer = await http.post("/api/auth/login", json=body)
    if answer.status_code != 200:
        raise DemoError(f"{account.username} 登录失败（{answer.status_code}）：{answer.text[:200]}")
    return Staff(http, answer.json()["token"])


# One family a complaint: the demo's complaints share schools, and one family's second
# complaint about a school would be offered as a repeat (重复件) of its first.
_FAMILIES = {
    "visit": ("王丽", "139 0311 2468", "李小明"),
    "web": ("陈静", "139 0311 2469", "陈思远"),
    "letter": ("刘洋", "139 0311 2470", "刘子涵"),
    "phone": ("赵敏", "139 0311 2471", "赵一诺"),
    "email": ("孙伟", "139 0311 2472", "孙浩然"),
}


def _complaint(channel: str, schools: list[str], summary: str, **extra: Any) -> dict[str, Any]:
    name, phone, student = _FAMILIES[channel]
    return {
        "channel": channel,
        "complainant": {"name": name, "phone": phone},
        "students": [{"name": student}],
        "school_codes": schools,
        "summary": summary,
        **extra,
    }


async def run_scenario(
    http: httpx.AsyncClient,
    accounts: dict[str, DemoAccount],
    report: Callable[[str], None] = print,
) -> tuple[list[Filed], dict[str, Any]]:
    """File the demo complaints through the API and carry each to its step; open a
    personnel-table campaign with one unit reported. Returns the complaints and the campaign."""
    missing = [name for name in SCENARIO_USERS if name not in accounts]
    if missing:
        raise DemoError(f"演示账号文件缺少：{'、'.join(missing)}")
    staff = {name: await log_in(http, accounts[name]) for name in SCENARIO_USERS}
    filed = []
    for what, carry in _STEPS:
        report(f"· {what}")
        filed.append(await carry(what, staff))
    report("· 人员信息报送：河北省教育厅向石家庄市、长安区征集附件3，石家庄市已报送")
    campaign = await open_demo_campaign(staff)
    return filed, campaign


CHANG_AN_SCHOOL, QIAO_XI_SCHOOL, BEIJING_SCHOOL = "2130102001", "2130104001", "2110101001"


async def _one_school_closed(what: str, staff: dict[str, Staff]) -> Filed:
    """A visit about one school of 长安区, carried by the county from receipt to closing; the
    school itself answers the verification slip."""
    body = _complaint("visit", [CHANG_AN_SCHOOL], "学校未按规定为转入学生办理学籍接续")
    created = await staff["changan.clerk"].post("/api/complaints", body)
    case_id, handler = created["id"], staff["changan.handler"]
    await handler.at_stage(case_id, "verify_issue")
    await handler.post(
        f"/api/complaints/{case_id}/verification",
        {"addressees": [CHANG_AN_SCHOOL], "instructions": "请核查该生学籍接续办理情况"},
    )
    await staff["changan1z.handler"].post_when_shown(
        f"/api/complaints/{case_id}/slips/V1/return",
        {"response": "经核查，学校漏报转入材料，属实"},
    )
    await handler.at_stage(case_id, "opinion")
    await handler.post(
        f"/api/complaints/{case_id}/opinion",
        {"opinion": "责成学校五日内补办学籍接续", "executing_units": [CHANG_AN]},
    )
    await handler.post(
        f"/api/complaints/{case_id}/slips/S1/return",
        {"response": "学校已补办，学籍已接续"},
    )
    await handler.at_stage(case_id, "confirmation")
    await handler.post(f"/api/complaints/{case_id}/confirmation", {"conclusion": "已落实"})
    await handler.post(
        f"/api/complaints/{case_id}/informing",
        {
            "channel": "phone",
            "message": "电话告知：学校已为孩子补办学籍接续，家长表示满意。",
            "public_reply": "您反映的问题已处理：学校已补办学籍接续手续。",
        },
    )
    return await _filed(what, created, handler, "closed")


async def _two_counties(what: str, staff: dict[str, Staff]) -> Filed:
    """Two schools in two counties of 石家庄: the city handles it; one slip comes back, the
    other (桥西区, which has no demo account) stays open."""
    body = _complaint("web", [CHANG_AN_SCHOOL, QIAO_XI_SCHOOL], "孩子的学籍被两所学校同时登记")
    created = await staff["hebei.clerk"].post("/api/complaints", body)
    case_id, city = created["id"], staff["sjz.handler"]
    await city.at_stage(case_id, "verify_issue")
    await city.post(
        f"/api/complaints/{case_id}/verification",
        {"addressees": [CHANG_AN, "130104"], "instructions": "请核查两校学籍登记情况"},
    )
    county = staff["changan.handler"]
    await county.at_stage(case_id, "verification")
    await county.post(
        f"/api/complaints/{case_id}/slips/V1/return",
        {"response": "长安区第一中学确有该生学籍，系正常转入"},
    )
    return await _filed(what, created, city, "verification")


async def _two_provinces(what: str, staff: dict[str, Staff]) -> Filed:
    """Schools in 北京 and 河北: the Ministry handles it."""
    body = _complaint("letter", [BEIJING_SCHOOL, CHANG_AN_SCHOOL], "跨省转学后两地学籍均未注销")
    created = await staff["moe.clerk"].post("/api/complaints", body)
    return await _filed(what, created, staff["moe.clerk"], "verify_issue")


async def _phone_referral(what: str, staff: dict[str, Staff]) -> Filed:
    """A call to the province about a county's school: the caller is given the county's
    hotline and the case ends there."""
    body = _complaint("phone", [CHANG_AN_SCHOOL], "咨询转学学籍办理进度", refer_to_hotline=True)
    created = await staff["hebei.clerk"].post("/api/complaints", body)
    return await _filed(what, created, staff["hebei.clerk"], "referred")


async def _dispute(what: str, staff: dict[str, Staff]) -> Filed:
    """The county holds that the city should handle it; the province rules."""
    body = _complaint("email", [CHANG_AN_SCHOOL], "学籍异动审核迟迟未办理，涉及市级审批")
    created = await staff["hebei.clerk"].post("/api/complaints", body)
    case_id, county = created["id"], staff["changan.handler"]
    await county.at_stage(case_id, "verify_issue")
    await county.post(
        f"/api/complaints/{case_id}/dispute",
        {"proposed_unit": CITY, "reason": "涉及市级学籍异动审批权限"},
    )
    return await _filed(what, created, staff["hebei.handler"], "disputed")


async def open_demo_campaign(staff: dict[str, Staff]) -> dict[str, Any]:
    """河北省 collects the personnel table (附件3) from 石家庄市 and 长安区, due in two weeks;
    the city reports at once, the county has not yet."""
    due_date = datetime.now(SHANGHAI).date() + timedelta(days=14)
    opened = await staff["hebei.handler"].post(
        "/api/campaigns",
        {
            "title": "处理学籍投诉人员信息报送（演示）",
            "due_date": due_date.isoformat(),
            "units": [CITY, CHANG_AN],
        },
    )
    person = {
        "name": "刘建华",
        "workplace": "石家庄市教育局基础教育科",
        "position": "科长",
        "office_phone": "0311-86001234",
        "mobile": "13903110001",
        "email": "liujh@sjz.example.invalid",
    }
    report = {
        "entries": [person],
        "public_phone": "0311-86001000",
        "public_email": "xueji@sjz.example.invalid",
    }
    path = f"/api/campaigns/{opened['id']}/report"
    return await staff["sjz.handler"].put_when_shown(path, report)


async def _filed(what: str, created: dict[str, Any], reader: Staff, stage: str) -> Filed:
    case = await reader.at_stage(created["id"], stage)
    return Filed(
        what,
        created["tracking_no"],
        created["query_code"],
        created["id"],
        case["stage"],
        case["handling_unit"],
    )


_STEPS: tuple[tuple[str, Callable[[str, dict[str, Staff]], Awaitable[Filed]]], ...] = (
    ("一所学校：长安区受理，学校反馈核查单，督办、确认、告知，办结", _one_school_closed),
    ("两县两校：石家庄市处理，一份核查单已回、一份待回", _two_counties),
    ("两省两校：教育部处理，待下发核查单", _two_provinces),
    ("来电转介：告知长安区投诉电话，不再转办", _phone_referral),
    ("层级争议：长安区认为应由石家庄市处理，待河北省裁定", _dispute),
)
