"""人员信息报送 in the console over HTTP, on both stores, with the real worker on the
time-skipping server (tests/support/skipping.py): opening with the reminder day shown first,
the refusals of the opening form naming their field, a unit's table with its field checks,
corrections until the due time and refused after it, closing refused before the due time, the
opener's view of who is missing, and another unit's campaign a 404.

The clock starts at Mon 2030-03-04 09:00 (Beijing); 2030's holidays are not loaded, so the
reminder day is estimated (预计).
"""

import re
from collections.abc import AsyncIterator
from datetime import datetime
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from domain.workdays import SHANGHAI
from tests.support.console_support import csrf_of, signed_in
from tests.support.demo import CHANG_AN, CITY
from tests.support.skipping import Skipping, skipping_system
from tests.support.waiting import eventually

TANG_SHAN = "130200"  # 唐山市教育局, another city below the province
ENTRY = {
    "name": "赵敏",
    "workplace": "石家庄市教育局基础教育处",
    "position": "处长",
    "office_phone": "0311 8600 1234",
    "mobile": "138 0311 0000",
    "email": "zhao@130100.example.cn",
}
REPORT = {**ENTRY, "public_phone": "0311-86001000", "public_email": "xueji@130100.example.cn"}


@pytest.fixture
async def skipping(demo_store_url: str, tmp_path: Path) -> AsyncIterator[Skipping]:
    async with skipping_system(demo_store_url, tmp_path) as running:
        yield running


async def page_token(client: httpx.AsyncClient, path: str) -> str:
    answer = await client.get(path)
    assert answer.status_code == 200, answer.text
    return csrf_of(answer.text)


def opening(token: str, **change: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf": token,
        "title": "2030年学籍投诉处理人员信息报送",
        "due_date": "2030-03-15",
        "units": [CITY, TANG_SHAN],
    }
    return {**form, **change}


async def test_a_province_opens_a_campaign_after_checking_its_reminder_day(
    skipping: Skipping,
) -> None:
    system = skipping.system
    leader = await signed_in(system, "hb_leader")
    clerk = await signed_in(system, "hb_clerk")
    city = await signed_in(system, "sjz_handler")
    try:
        form_page = await leader.get("/console/campaigns/new")
        assert form_page.status_code == 200
        assert 'name="units" value="130100"' in form_page.text  # the cities below, to tick
        assert "全部直属下级单位（11 个）" in form_page.text
        token = csrf_of(form_page.text)

        for change, words in [
            ({"due_date": "2030-03-04"}, "截止日期：截止日期应晚于今天"),
            ({"due_date": "2031-03-10"}, "截止日期：截止日期不能晚于一年之后"),
            ({"due_date": ""}, "截止日期："),
            ({"units": []}, "报送单位："),
            ({"units": [CHANG_AN, "330000"]}, "报送单位：330000 不是本单位的下级单位"),
            ({"title": "  "}, "标题：标题不能为空"),
        ]:
            refused = await leader.post("/console/campaigns/preview", data=opening(token, **change))
            assert refused.status_code == 422, (change, refused.text)
            assert words in refused.text, (change, refused.text)
            assert "2030年学籍投诉处理人员信息报送" in refused.text or change.get("title")
        kept = await leader.post(
            "/console/campaigns/preview", data=opening(token, due_date="2030-03-04")
        )
        assert 'value="130200" checked' in kept.text  # what was ticked stays ticked

        # The check page: due at the end of Friday 15 March, reminded at 09:00 on Tuesday
        # the 12th (three working days before), estimated since 2030 is not loaded.
        preview = await leader.post("/console/campaigns/preview", data=opening(token))
        assert preview.status_code == 200, preview.text
        assert "2030-03-15 23:59" in preview.text
        assert "2030-03-12 09:00" in preview.text and "预计" in preview.text
        assert "石家庄市教育局（130100）" in preview.text and "唐山市教育局" in preview.text
        assert (await leader.get("/console/campaigns")).text.count(
            "/console/campaigns/campaign-"
        ) == 0

        everyone = opening(token, units=[], all_units="1")
        opened = await leader.post("/console/campaigns", data=everyone)
        assert opened.status_code == 201, opened.text
        assert "已通知 11 个单位" in opened.text
        campaign_id = re.search(r"/console/campaigns/(campaign-[0-9a-f]+)", opened.text)
        assert campaign_id
        path = f"/console/campaigns/{campaign_id.group(1)}"

        async def listed() -> bool:
            return path in (await city.get("/console/campaigns")).text

        await eventually(listed)
        shown = await leader.get(path)
        assert "未报送 11 个" in shown.text
        assert "截止时间 2030-03-15 23:59 前各单位仍可修改，不能提前结束" in shown.text

        # Who may not open: a clerk of the province, a city; another unit's campaign is 404.
        assert (await clerk.get("/console/campaigns/new")).status_code == 403
        clerk_token = await page_token(clerk, "/console/campaigns")
        refused = await clerk.post("/console/campaigns", data=opening(clerk_token))
        assert refused.status_code == 403 and "无权" in refused.text
        prefecture = await city.get("/console/campaigns/new")
        assert prefecture.status_code == 403 and "教育部和省级" in prefecture.text
        assert (await city.get(path)).status_code == 200
        county = await signed_in(system, "ca_handler")
        try:
            assert (await county.get(path)).status_code == 404
            assert (await county.get(f"{path}/report")).status_code == 404
            assert path not in (await county.get("/console/campaigns")).text
        finally:
            await county.aclose()
    finally:
        for client in (leader, clerk, city):
            await client.aclose()


async def test_a_unit_reports_and_corrects_until_the_due_time_and_the_opener_closes(
    skipping: Skipping,
) -> None:
    system = skipping.system
    leader = await signed_in(system, "hb_leader")
    token = await page_token(leader, "/console/campaigns/new")
    opened = await leader.post("/console/campaigns", data=opening(token))
    assert opened.status_code == 201, opened.text
    found = re.search(r"/console/campaigns/(campaign-[0-9a-f]+)", opened.text)
    assert found
    path = f"/console/campaigns/{found.group(1)}"
    city = await signed_in(system, "sjz_handler")
    city_clerk = await signed_in(system, "sjz_clerk")
    try:

        async def seen() -> bool:
            return (await city.get(path)).status_code == 200

        await eventually(seen)
        assert "填写人员信息表" in (await city.get(path)).text
        assert (await city_clerk.get(f"{path}/report")).status_code == 403  # a clerk reads only
        assert (await leader.get(f"{path}/report")).status_code == 403  # the opener reports not
        form = await city.get(f"{path}/report")
        assert form.status_code == 200
        token = csrf_of(form.text)

        # The phone fields are checked as typed (htmx on change), and again on sending.
        check = "/console/campaigns/phone-check"
        answer = await city.post(
            check, params={"name": "mobile", "row": 1}, data={"csrf": token, "mobile": ["", "12"]}
        )
        assert answer.status_code == 200 and "field-error" in answer.text
        landline = {"csrf": token, "mobile": "0311-86001234"}
        assert "手机" in (await city.post(check, params={"name": "mobile"}, data=landline)).text
        fine = {"csrf": token, "office_phone": "0311 8600 1234"}
        answer = await city.post(check, params={"name": "office_phone"}, data=fine)
        assert "将记为 0311-86001234" in answer.text
        forged = await city.post(check, params={"name": "mobile"}, data={"mobile": "1"})
        assert forged.status_code == 403

        # Without JavaScript: another row, then that row removed, keeping what was typed.
        more = await city.post(
            f"{path}/report/form", data={**REPORT, "csrf": token, "add_row": "1"}
        )
        assert 'id="name_1"' in more.text and 'value="赵敏"' in more.text
        fewer = {**REPORT, "name": ["赵敏", "钱进"], "csrf": token, "remove_row": "0"}
        fewer_page = await city.post(f"{path}/report/form", data=fewer)
        assert 'value="钱进"' in fewer_page.text and 'value="赵敏"' not in fewer_page.text

        wrong = {**REPORT, "csrf": token, "mobile": "0311-86001234", "public_email": "not-mail"}
        refused = await city.post(f"{path}/report", data=wrong)
        assert refused.status_code == 422, refused.text
        assert 'href="#mobile_0"' in refused.text and "手机（第 1 行）" in refused.text
        assert 'href="#public_email"' in refused.text
        assert 'value="石家庄市教育局基础教育处"' in refused.text  # kept as typed
        empty = await city.post(f"{path}/report", data={"csrf": token})
        assert empty.status_code == 422 and "对外受理投诉电话" in empty.text

        reported = await city.post(f"{path}/report", data={**REPORT, "csrf": token})
        assert reported.status_code == 200, reported.text
        assert "已报送" in reported.text and "2030-03-04 09:00" in reported.text

        async def shown_report() -> bool:
            return "13803110000" in (await city.get(f"{path}/report")).text

        await eventually(shown_report)  # filled with the report, numbers as recorded
        corrected = await city.post(
            f"{path}/report", data={**REPORT, "csrf": token, "public_phone": "0311-86002000"}
        )
        assert corrected.status_code == 200 and "第 1 次更正" in corrected.text

        # Closing before the due time is refused with the reason; nothing to download yet.
        leader_token = await page_token(leader, path)
        early = await leader.post(f"{path}/close", data={"csrf": leader_token})
        assert early.status_code == 409 and "不能提前结束" in early.text
        assert (await leader.get(f"{path}/workbook.xlsx")).status_code == 409
        assert (await city.post(f"{path}/close", data={"csrf": token})).status_code == 403
    finally:
        for client in (leader, city, city_clerk):
            await client.aclose()

    # Saturday 16 March: the due time has passed; the sessions are days old.
    await skipping.skip_to(datetime(2030, 3, 16, 10, 0, tzinfo=SHANGHAI))
    leader = await signed_in(system, "hb_leader")
    city = await signed_in(system, "sjz_handler")
    try:
        token = await page_token(city, path)
        said = "已过报送截止时间 2030-03-15 23:59，不能再修改已报送的信息"

        async def overdue() -> bool:
            return "逾期未报送" in (await leader.get(path)).text

        await eventually(overdue)
        assert said in (await city.get(path)).text
        assert (await city.get(f"{path}/report")).status_code == 409
        late = await city.post(f"{path}/report", data={**REPORT, "csrf": token})
        assert late.status_code == 409 and said in late.text
        shown = await leader.get(path)
        assert "已报送 1 个，未报送 1 个" in shown.text
        assert re.search(r"唐山市教育局（130200）</td>\s*<td><strong>逾期未报送", shown.text)

        closed = await leader.post(f"{path}/close", data={"csrf": csrf_of(shown.text)})
        assert closed.status_code == 200, closed.text
        assert "1 个单位的报送已汇总，1 个单位未报送" in closed.text

        async def compiled() -> bool:
            return (await city.get(f"{path}/workbook.xlsx")).status_code == 200

        await eventually(compiled)
        book = load_workbook(BytesIO((await leader.get(f"{path}/workbook.xlsx")).content))
        rows = [
            [c.value for c in line] for line in book["内部工作协调人员名单"].iter_rows(min_row=4)
        ]
        assert rows[0][1:4] == [CITY, "石家庄市教育局", "赵敏"]
        assert "下载内部工作协调人员名单" in (await leader.get(path)).text
    finally:
        for client in (leader, city):
            await client.aclose()
