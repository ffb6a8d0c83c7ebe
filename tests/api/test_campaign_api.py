"""/api/campaigns over HTTP with the real worker on the dev server, on both stores: opening a
personnel-table campaign, who may see and act on it, reports and their refusals, and the
compiled workbook for the opening and reporting units only.

The due time cannot pass on the dev server's real clock; tests/test_campaign_workflow.py
carries a campaign through its reminders, alert and closing on the time-skipping server.
"""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.records import (
    CampaignRecord,
    CampaignState,
    CampaignStatus,
    PersonnelEntry,
    PersonnelReport,
    UnitStatus,
)
from domain.workdays import SHANGHAI
from store.campaigns import apply_campaign_record
from store.db import engine_for, session_scope
from store.sealing import Sealer
from tests.support.demo import CHANG_AN, CITY, PROVINCE, QIAO_XI
from tests.support.http_support import System
from tests.support.stores import load_official_year
from tests.support.waiting import eventually

REPORT = {
    "entries": [
        {
            "name": "赵敏",
            "workplace": "长安区教育局基础教育科",
            "position": "科长",
            "office_phone": "0311 8600 1234",
            "mobile": "+86 138-0311-0000",
            "email": "zhao@130102.example.cn",
        }
    ],
    "public_phone": "0311-86001000",
    "public_email": "xueji@130102.example.cn",
}


# The app's clock is pinned (the worker's timers run on the dev server's real clock, so the day
# is far ahead of it: nothing falls due while a test runs). 2098 is loaded as an official year
# with 30 December a holiday; 2099 is not loaded, so its dates are estimated.
TODAY = date(2098, 12, 1)
TODAY_AT_NOON = datetime.combine(TODAY, time(12, 0), tzinfo=SHANGHAI)
HOLIDAYS_2098 = {
    date(2098, 1, 1),
    *(date(2098, 10, day) for day in range(1, 8)),
    date(2098, 12, 30),
}


@pytest.fixture
def api_clock() -> Callable[[], datetime]:
    return lambda: datetime.combine(TODAY, time(10, 0), tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def official_2098(system: System) -> None:
    load_official_year(system.settings.store_url, 2098, HOLIDAYS_2098, now=TODAY_AT_NOON)


def due_in(days: int) -> date:
    return TODAY + timedelta(days=days)


async def open_campaign(system: System, **change: Any) -> Any:
    body = {"title": "学籍投诉处理人员信息报送", "due_date": due_in(30).isoformat()}
    body |= {"units": [CITY, CHANG_AN, QIAO_XI], **change}
    answer = await system.post("hb_leader", "/api/campaigns", body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_a_province_opens_a_campaign_and_its_units_report(system: System) -> None:
    opened = await open_campaign(system, due_date="2098-12-31")
    assert datetime.fromisoformat(opened["due"]) == datetime(
        2098, 12, 31, 23, 59, 59, tzinfo=SHANGHAI
    )
    # Three working days before Wednesday 31 December, 30 December being a holiday.
    assert datetime.fromisoformat(opened["remind_at"]) == datetime(
        2098, 12, 25, 9, 0, tzinfo=SHANGHAI
    )
    estimated = False  # counted within the loaded (official) year
    assert opened["remind_estimated"] is estimated
    assert opened["missing"] == [CITY, CHANG_AN, QIAO_XI]
    assert [u["unit_name"] for u in opened["units"]][:1] == ["石家庄市教育局"]
    path = f"/api/campaigns/{opened['id']}"

    async def listed() -> bool:
        found = (await system.get("ca_handler", "/api/campaigns")).json()
        return [(c["id"], c["remind_estimated"]) for c in found] == [(opened["id"], estimated)]

    await eventually(listed)
    assert (await system.get("xh_handler", "/api/campaigns")).json() == []
    assert (await system.get("xh_handler", path)).status_code == 404  # not asked to report

    # A report: phones come back in their canonical form; the unit reads its own report.
    answer = await system.http.put(f"{path}/report", json=REPORT, headers=system.as_("ca_handler"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["missing"] == [CITY, QIAO_XI]

    async def reported() -> bool:
        detail = (await system.get("ca_handler", path)).json()
        return bool(detail["report"])

    await eventually(reported)
    detail = (await system.get("ca_handler", path)).json()
    entry = detail["report"]["entries"][0]
    assert (entry["office_phone"], entry["mobile"]) == ("0311-86001234", "13803110000")
    leader_view = (await system.get("hb_leader", path)).json()
    assert leader_view["report"] is None and leader_view["missing"] == [CITY, QIAO_XI]

    # A correction before the due date is taken and counted.
    changed = {**REPORT, "public_phone": "0311-86002000"}
    answer = await system.http.put(f"{path}/report", json=changed, headers=system.as_("ca_handler"))
    assert answer.status_code == 200, answer.text
    assert next(u for u in answer.json()["units"] if u["unit"] == CHANG_AN)["corrections"] == 1

    # Closing before the due date, and the list before closing, are refused.
    closing = await system.post("hb_leader", f"{path}/close", {})
    assert closing.status_code == 409, closing.text
    assert "不能提前结束" in closing.json()["detail"]
    early = await system.get("ca_handler", f"{path}/workbook.xlsx")
    assert early.status_code == 409


async def test_who_may_open_and_report_and_what_is_refused(system: System) -> None:
    async def refused_opening(username: str, change: dict[str, Any]) -> Any:
        body = {"title": "人员信息报送", "due_date": due_in(10).isoformat(), "units": [CHANG_AN]}
        return await system.post(username, "/api/campaigns", {**body, **change})

    assert (await refused_opening("sjz_handler", {})).status_code == 403  # a prefecture
    assert (await refused_opening("hb_clerk", {})).status_code == 403  # a clerk
    for change, location, words in [
        ({"due_date": due_in(0).isoformat()}, ["body", "due_date"], "晚于今天"),
        ({"due_date": "9999-12-31"}, ["body", "due_date"], "一年之后"),
        ({"units": [CHANG_AN, "999999"]}, ["body", "units", 1], "999999"),
        ({"units": ["110000"]}, ["body", "units", 0], "不是本单位的下级单位"),
        ({"units": [PROVINCE]}, ["body", "units", 0], "不是本单位的下级单位"),
        ({"units": [CHANG_AN, CHANG_AN]}, ["body", "units", 1], "重复"),
        ({"title": "  "}, ["body", "title"], "标题不能为空"),
    ]:
        answer = await refused_opening("hb_leader", change)
        assert answer.status_code == 422, (change, answer.text)
        error = answer.json()["detail"][0]
        assert error["loc"] == location and words in error["msg"], (change, error)
    # What opening would do, asked first: the same refusals, and nothing is opened.
    plan = {"title": "人员信息报送", "due_date": "2099-01-02", "units": [CITY, CHANG_AN]}
    planned = await system.post("hb_leader", "/api/campaigns/plan", plan)
    assert planned.status_code == 200, planned.text
    assert datetime.fromisoformat(planned.json()["remind_at"]) == datetime(
        2098, 12, 26, 9, 0, tzinfo=SHANGHAI
    )
    assert planned.json()["remind_estimated"] is True
    assert planned.json()["units"][1] == {"code": CHANG_AN, "name": "长安区教育局"}
    wrong = await system.post("hb_leader", "/api/campaigns/plan", {**plan, "units": ["110000"]})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "units", 0]
    assert (await system.post("sjz_handler", "/api/campaigns/plan", plan)).status_code == 403
    assert (await system.get("hb_leader", "/api/campaigns")).json() == []  # nothing opened

    # Due on Friday 2 January 2099: the count back crosses into an estimated year (DESIGN §4),
    # so the reminder day is marked estimated although it falls in the official 2098.
    opened = await open_campaign(system, due_date="2099-01-02")
    assert datetime.fromisoformat(opened["remind_at"]) == datetime(
        2098, 12, 26, 9, 0, tzinfo=SHANGHAI
    )
    assert opened["remind_estimated"] is True
    path = f"/api/campaigns/{opened['id']}/report"
    await eventually(lambda: _status(system, "qx_handler", f"/api/campaigns/{opened['id']}", 200))
    for username, body, status in [
        ("sjz_clerk", REPORT, 403),  # a clerk does not report
        ("xh_handler", REPORT, 404),  # a unit not asked
    ]:
        answer = await system.http.put(path, json=body, headers=system.as_(username))
        assert answer.status_code == status, answer.text
    for change, location in [
        ({"entries": []}, ["body", "entries"]),
        ({"public_email": "not-an-address"}, ["body", "public_email"]),
        ({"public_phone": "12"}, ["body", "public_phone"]),
        (
            {"entries": [{**REPORT["entries"][0], "mobile": "0311-86001234"}]},  # type: ignore[index]
            ["body", "entries", 0, "mobile"],
        ),
        (
            {"entries": [{**REPORT["entries"][0], "name": " "}]},  # type: ignore[index]
            ["body", "entries", 0, "name"],
        ),
    ]:
        answer = await system.http.put(
            path, json={**REPORT, **change}, headers=system.as_("qx_handler")
        )
        assert answer.status_code == 422, (change, answer.text)
        assert answer.json()["detail"][0]["loc"] == location
    detail = (await system.get("qx_handler", f"/api/campaigns/{opened['id']}")).json()
    assert detail["report"] is None and QIAO_XI in detail["missing"]


async def _status(system: System, username: str, path: str, status: int) -> bool:
    return (await system.get(username, path)).status_code == status


async def test_the_compiled_workbook_is_for_the_opening_and_reporting_units_only(
    system: System,
) -> None:
    closed_at = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    state = CampaignState(
        campaign_id="campaign-closed",
        title="人员信息报送",
        opener=PROVINCE,
        status=CampaignStatus.CLOSED,
        opened_at=closed_at - timedelta(days=20),
        due=closed_at - timedelta(hours=10),
        remind_at=closed_at - timedelta(days=5),
        units=[
            UnitStatus(unit=CHANG_AN, submitted_at=closed_at - timedelta(days=3)),
            UnitStatus(unit=QIAO_XI),
        ],
        closed_at=closed_at,
    )
    entry = PersonnelEntry(
        name="赵敏",
        workplace="基础教育科",
        position="科长",
        office_phone="0311-86001234",
        mobile="13803110000",
        email="z@x.cn",
    )
    engine = engine_for(system.settings)
    with session_scope(engine) as session:
        apply_campaign_record(
            session,
            CampaignRecord(
                state=state,
                reports={
                    CHANG_AN: PersonnelReport(
                        entries=[entry], public_phone="0311-86001000", public_email="x@x.cn"
                    )
                },
                publish=True,
            ),
            Sealer(system.settings.store_keys),
            closed_at,
        )
    engine.dispose()
    path = "/api/campaigns/campaign-closed/workbook.xlsx"
    for username in ("hb_clerk", "ca_handler", "qx_handler"):  # opener; reported; missing
        answer = await system.get(username, path)
        assert answer.status_code == 200, (username, answer.text)
        assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    for username in ("sjz_handler", "xh_handler"):  # above a reporting unit; a sibling
        assert (await system.get(username, path)).status_code == 404, username
    book = load_workbook(BytesIO((await system.get("ca_handler", path)).content))
    rows = [[c.value for c in line] for line in book["内部工作协调人员名单"].iter_rows(min_row=4)]
    assert rows == [
        [1, CHANG_AN, "长安区教育局", "赵敏", "基础教育科", "科长", "0311-86001234",
         "13803110000", "z@x.cn"],
    ]  # fmt: skip
