"""The administrators' console pages over HTTP, on both stores: the password policy (密码策略),
the working-day calendar with the preview of what a year would move (工作日历) and the audit
log (审计), each through the service functions of its JSON routes: who may see and change
what, validation naming the field, the preview's figures as exact datetimes (the app's clock
pinned, a year the test writes), and a record broken in the store named by the chain check."""

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from api.console.auth import COOKIE
from domain.workdays import SHANGHAI
from store.db import engine_for
from tests.console.test_console_sign_in import csrf_of
from tests.support.demo import CITY, MINISTRY, PROVINCE
from tests.support.http_support import System, register, visible
from tests.support.waiting import eventually

# Monday 3 March 2031, a year without official data (estimated) when the test runs.
PINNED = datetime(2031, 3, 3, 10, 0, tzinfo=SHANGHAI)
ADMINS = {  # username: (unit, role)
    "moe_sysadmin": (MINISTRY, "sysadmin"),
    "moe_auditor": (MINISTRY, "auditor"),
    "hb_secadmin": (PROVINCE, "secadmin"),
    "hb_sysadmin": (PROVINCE, "sysadmin"),
    "hb_auditor": (PROVINCE, "auditor"),
}
# Tuesday 4 and Thursday 6 March off: the first step's 3 working days from Monday 3 March end
# on Monday 10 March instead of Thursday 6 March.
YEAR_2031 = {"year": "2031", "source": "国办发明电〔2030〕1号"}
YEAR_2031 |= {"holidays": "2031-03-04\r\n2031-03-06", "workdays": ""}


def beijing(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def api_clock() -> Callable[[], datetime]:
    return lambda: PINNED


def console_of(system: System, username: str) -> httpx.AsyncClient:
    """A console client on the user's session (an administrator's, with its second factor)."""
    if username not in system.tokens:
        unit, role = ADMINS[username]
        system.add_account(username, unit_code=unit, role=role, totp=True)
        system.open_session(username)
    cookies = {COOKIE: system.tokens[username]}
    return httpx.AsyncClient(
        transport=system.http._transport, base_url="http://xueji", cookies=cookies
    )


async def test_the_policy_is_changed_by_the_ministrys_secadmin_and_read_by_the_others(
    system: System,
) -> None:
    ministry, province = console_of(system, "moe_secadmin"), console_of(system, "hb_secadmin")
    handler = console_of(system, "sjz_handler")
    try:
        shown = await ministry.get("/console/policy")
        assert shown.status_code == 200
        assert 'href="/console/policy" aria-current="page">密码策略' in shown.text
        assert 'name="min_length" type="text" inputmode="numeric" value="10"' in shown.text
        token = csrf_of(shown.text)
        form = {
            "min_length": "12",
            "min_kinds": "4",
            "history": "5",
            "expiry_days": "60",
            "max_failures": "5",
            "lock_minutes": "30",
            "idle_minutes": "20",
            "session_hours": "8",
            "totp_for_all": "true",
            "csrf": token,
        }

        bad = await ministry.post(
            "/console/policy", data={**form, "min_length": "7", "min_kinds": "x"}
        )
        assert bad.status_code == 422
        assert '<a href="#min_length">最短长度：不得小于 8</a>' in bad.text
        assert '<a href="#min_kinds">至少包含的字符种类：应为整数</a>' in bad.text
        assert (
            'id="min_length" name="min_length" type="text" inputmode="numeric" value="7"'
            in bad.text
        )
        assert 'value="60"' in bad.text  # what was typed stays
        unchanged = await system.get("moe_secadmin", "/api/admin/password-policy")
        assert unchanged.json()["min_length"] == 10
        forged = await ministry.post("/console/policy", data={**form, "csrf": "0" * 64})
        assert forged.status_code == 403 and "校验码" in forged.text

        saved = await ministry.post("/console/policy", data=form)
        assert (
            saved.status_code == 303 and saved.headers["location"] == "/console/policy?saved=true"
        )
        policy = (await system.get("moe_secadmin", "/api/admin/password-policy")).json()
        assert (policy["min_length"], policy["expiry_days"], policy["totp_for_all"]) == (
            12,
            60,
            True,
        )
        assert "密码策略已修改" in (await ministry.get(saved.headers["location"])).text

        read_only = await province.get("/console/policy")
        assert read_only.status_code == 200 and "只有教育部" in read_only.text
        assert 'action="/console/policy"' not in read_only.text
        assert "<dt>密码有效期（天）</dt><dd>60</dd>" in read_only.text
        token = csrf_of(read_only.text)
        refused = await province.post("/console/policy", data={**form, "csrf": token})
        assert refused.status_code == 403 and "只有教育部" in refused.text
        put = await system.http.put(
            "/api/admin/password-policy",
            json={**policy, "min_length": 20},
            headers=system.as_("moe_secadmin"),
        )
        assert put.status_code == 200
        bad_put = await system.http.put(
            "/api/admin/password-policy",
            json={**policy, "min_length": 7},
            headers=system.as_("moe_secadmin"),
        )
        assert bad_put.status_code == 422 and bad_put.json()["detail"][0]["loc"] == [
            "body",
            "min_length",
        ]

        case_worker = await handler.get("/console/policy")
        assert case_worker.status_code == 403
        assert "/console/policy" not in (await handler.get("/console")).text  # no nav entry
    finally:
        for client in (ministry, province, handler):
            await client.aclose()


async def case_and_campaign(system: System) -> tuple[dict[str, Any], dict[str, Any]]:
    """A case received at the pinned time (its first step due on Thursday 6 March 2031) and a
    campaign due on Tuesday 11 March (its reminder at 09:00 on Thursday 6 March)."""
    created = await register(system)
    await visible(system, "sjz_handler", created["id"])
    assert datetime.fromisoformat(created["first_deadline"]["due"]) == beijing(
        2031, 3, 6, 23, 59, 59
    )
    body = {"title": "学籍投诉处理人员信息报送", "due_date": "2031-03-11", "units": [CITY]}
    opened = await system.post("hb_leader", "/api/campaigns", body)
    assert opened.status_code == 201, opened.text
    campaign = opened.json()
    assert datetime.fromisoformat(campaign["remind_at"]) == beijing(2031, 3, 6, 9, 0)

    async def recorded() -> bool:
        answer = await system.get("hb_leader", f"/api/campaigns/{campaign['id']}")
        return answer.status_code == 200

    await eventually(recorded, failure="the campaign never reached the read model")
    return created, campaign


async def test_a_year_is_previewed_with_what_it_moves_then_loaded_and_the_cases_retimed(
    system: System,
) -> None:
    case, campaign = await case_and_campaign(system)
    ministry, province = console_of(system, "moe_sysadmin"), console_of(system, "hb_sysadmin")
    try:
        page = await ministry.get("/console/calendar")
        assert page.status_code == 200 and "载入某一年的官方安排" in page.text
        assert '<th scope="row">2031</th>\n<td>预计</td>' in page.text
        token = csrf_of(page.text)

        bad = {"year": "abc", "holidays": "2031-02-30", "workdays": "", "csrf": token}
        refused = await ministry.post("/console/calendar/preview", data=bad)
        assert refused.status_code == 422
        year_problem = "年份：字段“year”必须是 1949 到 2200 之间的整数"
        day_problem = "放假日期：字段“holidays”第 1 项 “2031-02-30” 不是真实存在的日期"
        assert f'<a href="#year">{year_problem}' in refused.text
        assert f'<a href="#holidays">{day_problem}' in refused.text
        assert ">2031-02-30</textarea>" in refused.text  # as typed
        weekday = {**bad, "year": "2031", "holidays": "2031-03-04", "workdays": "2031-03-05"}
        refused = await ministry.post("/console/calendar/preview", data=weekday)
        assert refused.status_code == 422
        work_problem = "调休上班日期：字段“workdays”中的 2031-03-05 是星期三"
        assert f'<a href="#workdays">{work_problem}' in refused.text

        files = {"file": ("2031.json", b'{"year": 2031, "holidays": [', "application/json")}
        upload = await ministry.post("/console/calendar/preview", data={"csrf": token}, files=files)
        assert upload.status_code == 422
        assert (
            '<a href="#file">年度安排文件：不是有效的 JSON，第 1 行第 29 列有语法错误'
            in upload.text
        )

        # The JSON dry run: the same figures, nothing saved.
        document = {"year": 2031, "source": "国办发明电〔2030〕1号", "workdays": []}
        document["holidays"] = ["2031-03-04", "2031-03-06"]
        dry = await system.post("moe_secadmin", "/api/calendar/years/preview", document)
        assert dry.status_code == 200, dry.text
        found = dry.json()
        assert (found["year"], found["holidays"], found["checked"]) == (2031, 2, 1)
        [moved] = found["deadlines"]
        assert (moved["complaint_id"], moved["step"], moved["unit"]) == (
            case["id"],
            "下发核查单",
            CITY,
        )
        assert datetime.fromisoformat(moved["old_due"]) == beijing(2031, 3, 6, 23, 59, 59)
        assert datetime.fromisoformat(moved["new_due"]) == beijing(2031, 3, 10, 23, 59, 59)
        assert (moved["working_days"], moved["calendar_days"]) == (2, 4)
        assert (moved["overdue_now"], moved["overdue_after"]) == (False, False)
        [reminder] = found["reminders"]
        assert reminder["campaign_id"] == campaign["id"]
        assert datetime.fromisoformat(reminder["old_remind_at"]) == beijing(2031, 3, 6, 9, 0)
        assert datetime.fromisoformat(reminder["new_remind_at"]) == beijing(2031, 3, 5, 9, 0)
        assert (reminder["working_days"], reminder["calendar_days"]) == (-1, -1)
        # The same days as the estimate around the case: nothing moves, the estimate ends.
        same = await system.post(
            "moe_secadmin", "/api/calendar/years/preview", {**document, "holidays": []}
        )
        assert (same.json()["deadlines"], same.json()["estimates_ended"]) == ([], 1)
        no_year = await system.post("moe_secadmin", "/api/calendar/years/preview", {"year": 2031})
        assert no_year.status_code == 422 and "缺少字段“holidays”" in no_year.text
        county_json = await system.post("hb_clerk", "/api/calendar/years/preview", document)
        assert county_json.status_code == 403

        preview = await ministry.post(
            "/console/calendar/preview", data={**YEAR_2031, "csrf": token}
        )
        assert preview.status_code == 200, preview.text
        assert f'<a href="/console/cases/{case["id"]}">{case["tracking_no"]}</a>' in preview.text
        assert "<td>下发核查单</td>\n<td>石家庄市教育局</td>" in preview.text
        assert "<td>2031-03-06 23:59</td>\n<td>2031-03-10 23:59</td>" in preview.text
        assert "推迟 2 个工作日（4 天）" in preview.text
        assert "<td>2031-03-06 09:00</td>\n<td>2031-03-05 09:00</td>" in preview.text
        assert "提前 1 个工作日（1 天）" in preview.text
        assert 'name="holidays" value="2031-03-04 2031-03-06"' in preview.text
        still = (await system.get("hb_clerk", "/api/calendar/years")).json()
        assert {row["year"]: row["status"] for row in still}[2031] == "estimated"

        # A province's administrators see the years, and may not load one.
        theirs = await province.get("/console/calendar")
        assert theirs.status_code == 200 and "载入某一年的官方安排" not in theirs.text
        form = {**YEAR_2031, "csrf": csrf_of(theirs.text)}
        assert (await province.post("/console/calendar/preview", data=form)).status_code == 403
        assert (await province.post("/console/calendar/load", data=form)).status_code == 403

        carried = {
            "year": "2031",
            "source": "国办发明电〔2030〕1号",
            "holidays": "2031-03-04 2031-03-06",
        }
        loaded = await ministry.post(
            "/console/calendar/load", data={**carried, "workdays": "", "csrf": token}
        )
        assert loaded.status_code == 200, loaded.text
        assert (
            "已载入 2031 年安排" in loaded.text
            and "<dd>已完成（2031-03-03 10:00）</dd>" in loaded.text
        )
        assert "<dt>未能通知</dt><dd>0 件</dd>" in loaded.text
        official = '<th scope="row">2031</th>\n<td>官方安排</td>\n<td>管理员载入'
        assert official + "（国办发明电〔2030〕1号）</td>" in loaded.text
        assert "2031-03-03 10:00 moe_sysadmin" in loaded.text
        years = (await system.get("hb_clerk", "/api/calendar/years")).json()
        row = next(row for row in years if row["year"] == 2031)
        assert (row["status"], row["source"], row["loaded_by"]) == (
            "official",
            "loaded",
            "moe_sysadmin",
        )

        async def moved_on() -> bool:
            detail = (await system.get("sjz_handler", f"/api/complaints/{case['id']}")).json()
            return datetime.fromisoformat(detail["steps"][0]["due"]) == beijing(
                2031, 3, 10, 23, 59, 59
            )

        async def reminder_moved() -> bool:
            shown = (await system.get("hb_leader", f"/api/campaigns/{campaign['id']}")).json()
            return datetime.fromisoformat(shown["remind_at"]) == beijing(2031, 3, 5, 9, 0)

        await eventually(moved_on, failure="the case's deadline never moved")
        await eventually(reminder_moved, failure="the campaign's reminder never moved")
        again = await system.post("moe_secadmin", "/api/calendar/years/preview", document)
        assert again.json()["deadlines"] == [] and again.json()["reminders"] == []
    finally:
        await ministry.aclose()
        await province.aclose()


async def test_the_auditor_browses_filters_exports_and_finds_a_broken_record(
    system: System,
) -> None:
    ministry, province = console_of(system, "moe_auditor"), console_of(system, "hb_auditor")
    secadmin, county_secadmin = (
        console_of(system, "moe_secadmin"),
        console_of(system, "hb_secadmin"),
    )
    try:
        # One change and one refusal in the log.
        token = csrf_of((await secadmin.get("/console/policy")).text)
        current = (await system.get("moe_secadmin", "/api/admin/password-policy")).json()
        form = {name: str(value) for name, value in current.items() if value is not None}
        assert (
            await secadmin.post("/console/policy", data={**form, "csrf": token})
        ).status_code == 303
        token = csrf_of((await county_secadmin.get("/console/policy")).text)
        await county_secadmin.post("/console/policy", data={**form, "csrf": token})
        page = await ministry.get("/console/audit", params={"target": "/console/policy"})
        assert page.status_code == 200
        assert 'href="/console/audit" aria-current="page">审计日志' in page.text
        assert "共 2 条" in page.text
        assert "<td>moe_secadmin</td>" in page.text and "<td>hb_secadmin</td>" in page.text
        params = {"target": "/console/policy", "result": "refused"}
        refused = await ministry.get("/console/audit", params=params)
        assert "共 1 条" in refused.text and "<td>拒绝（403）</td>" in refused.text
        assert (
            "<td>hb_secadmin</td>" in refused.text and "<td>moe_secadmin</td>" not in refused.text
        )
        done = await ministry.get(
            "/console/audit", params={"actor": "moe_secadmin", "result": "ok"}
        )
        assert "<td>成功</td>" in done.text and "<td>hb_secadmin</td>" not in done.text
        # The province's auditor reads its own subtree's staff only.
        theirs = await province.get("/console/audit", params={"target": "/console/policy"})
        assert "共 1 条" in theirs.text and "<td>moe_secadmin</td>" not in theirs.text
        none = await ministry.get(
            "/console/audit", params={"from": "2020-01-01", "to": "2020-01-02"}
        )
        assert "没有符合条件的审计记录" in none.text

        bad = await ministry.get(
            "/console/audit", params={"from": "2031-13-01", "result": "maybe", "actor": "x" * 65}
        )
        assert bad.status_code == 422 and "<table" not in bad.text
        assert '<a href="#f-from">时间（起）：应为日期' in bad.text
        assert (
            '<a href="#f-result">结果：取值无效' in bad.text
            and '<a href="#f-actor">用户：最多 64 个字符' in bad.text
        )
        backwards = await ministry.get(
            "/console/audit", params={"from": "2031-03-05", "to": "2031-03-04"}
        )
        assert backwards.status_code == 422 and "不能早于起始日期" in backwards.text
        not_theirs = await system.get("moe_secadmin", "/api/audit")
        assert not_theirs.status_code == 403  # the secadmin reads no audit log
        assert (await secadmin.get("/console/audit")).status_code == 403

        exported = await ministry.get(
            "/console/audit.csv", params={"target": "/console/policy", "result": "refused"}
        )
        assert exported.status_code == 200 and exported.headers["content-type"].startswith(
            "text/csv"
        )
        rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
        assert rows[0][:3] == ["序号", "时间", "用户"] and [row[2] for row in rows[1:]] == [
            "hb_secadmin"
        ]
        auditor = system.as_("moe_auditor")
        params = {"target": "/console/policy", "result": "ok"}
        api_rows = await system.http.get("/api/audit/export", params=params, headers=auditor)
        assert api_rows.status_code == 200
        lines = list(csv.reader(io.StringIO(api_rows.text.lstrip("\ufeff"))))
        assert [line[2] for line in lines[1:]] == ["moe_secadmin"]
        params = {"target": "/console/policy", "result": "refused"}
        listed = await system.http.get("/api/audit", params=params, headers=auditor)
        assert [entry["actor"] for entry in listed.json()["items"]] == ["hb_secadmin"]
        wrong = await system.http.get("/api/audit", params={"result": "maybe"}, headers=auditor)
        assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "result"]

        # A case's tracking number finds the entries of the case (their targets name its id).
        case = await register(system)
        await visible(system, "sjz_handler", case["id"])  # a read of the case, audited
        by_case = await ministry.get("/console/audit", params={"target": case["tracking_no"]})
        assert f"GET /api/complaints/{case['id']}</td>" in by_case.text
        assert (
            "<td>sjz_handler</td>" in by_case.text and "POST /api/complaints<" not in by_case.text
        )

        intact = await ministry.get("/console/audit/verify")
        assert intact.status_code == 200 and "审计日志完整" in intact.text
        seq = int(rows[1][0])
        engine = engine_for(system.settings)
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE audit_log SET actor = 'nobody' WHERE seq = :seq"), {"seq": seq}
            )
        engine.dispose()
        broken = await ministry.get("/console/audit/verify")
        assert broken.status_code == 200
        assert f"审计日志已被篡改：第 {seq} 条。" in broken.text
        assert "内容与 HMAC 不符" in broken.text
        assert f"<td>{seq}</td>" in broken.text and "<td>nobody</td>" in broken.text
        theirs = await province.get("/console/audit/verify")  # an entry of its unit's staff
        assert f"第 {seq} 条" in theirs.text and "<td>nobody</td>" in theirs.text
        verified = await system.get("moe_auditor", "/api/audit/verify")
        assert (verified.json()["intact"], verified.json()["first_broken_seq"]) == (False, seq)
    finally:
        for client in (ministry, province, secadmin, county_secadmin):
            await client.aclose()
