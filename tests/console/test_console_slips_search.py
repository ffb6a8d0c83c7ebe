"""The console's slips (收到的单据) and case search (案件查询) over HTTP: only the slips on the
unit's route, the printed form, the addressee's return through the same rules as the JSON
API (CSRF, 403, 409, 422 with the reason beside the form), the search's filters and their
422s, and the export with its filters and rows."""

from io import BytesIO
from typing import Any

import httpx
from openpyxl import load_workbook

from tests.api.test_school_accounts import add_school_account, add_sysadmin
from tests.console.test_console_sign_in import csrf_of, signed_in
from tests.support.demo import CHANG_AN, CHANG_AN_SCHOOL, QIAO_XI
from tests.support.http_support import System, register, visible
from tests.support.waiting import eventually


async def slips_issued(system: System) -> dict[str, Any]:
    """A case of the city with a verification slip to each of two counties: V1 to 长安区,
    V2 to 桥西区, both open in the read model."""
    created = await register(system)
    await visible(system, "sjz_handler", created["id"])
    body = {"addressees": [CHANG_AN, QIAO_XI], "instructions": "请核查该生学籍登记"}
    issued = await system.post("sjz_handler", f"/api/complaints/{created['id']}/verification", body)
    assert issued.status_code == 200, issued.text

    async def both_listed() -> bool:
        slips = (await system.get("sjz_handler", "/api/slips")).json()
        return {slip["slip_id"] for slip in slips if slip["complaint_id"] == created["id"]} == {
            "V1",
            "V2",
        }

    await eventually(both_listed, failure="the slips never reached the read model")
    return dict(created)


async def test_a_county_sees_and_returns_only_its_own_slip(system: System) -> None:
    case = await slips_issued(system)
    case_id, tracking_no = case["id"], case["tracking_no"]
    chang_an = await signed_in(system, "ca_handler")
    qiao_xi = await signed_in(system, "qx_handler")
    province = await signed_in(system, "hb_clerk")
    try:
        page = await chang_an.get("/console/slips")
        assert page.status_code == 200
        assert f"/console/slips/{case_id}/V1.pdf" in page.text
        assert f"/console/slips/{case_id}/V2.pdf" not in page.text  # another county's slip
        assert f"/console/slips/{case_id}/V1/return" in page.text
        assert "请核查该生学籍登记" in page.text  # the instructions, for the addressee
        other = await qiao_xi.get("/console/slips")
        assert f"{case_id}/V2.pdf" in other.text and f"{case_id}/V1.pdf" not in other.text
        assert tracking_no not in (await province.get("/console/slips")).text  # not on the route

        pdf = await chang_an.get(f"/console/slips/{case_id}/V1.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
        hidden = await chang_an.get(f"/console/slips/{case_id}/V2.pdf")
        assert hidden.status_code == 404 and "没有这张单据" in hidden.text

        token = csrf_of(page.text)
        path = f"/console/slips/{case_id}/V1/return"
        forged = await chang_an.post(path, data={"response": "已核查", "csrf": "0" * 64})
        assert forged.status_code == 403 and "校验码" in forged.text
        empty = await chang_an.post(path, data={"response": "", "csrf": token})
        assert empty.status_code == 422 and "反馈内容：请填写" in empty.text
        assert 'class="field-error"' in empty.text and 'href="#response-' in empty.text
        wrong_unit = await chang_an.post(
            f"/console/slips/{case_id}/V2/return", data={"response": "已核查", "csrf": token}
        )
        assert wrong_unit.status_code == 403 and "应由 130104 反馈" in wrong_unit.text

        returned = await chang_an.post(path, data={"response": "经核查属实", "csrf": token})
        assert returned.status_code == 303, returned.text
        after = await chang_an.get(returned.headers["location"])
        assert "核查单 V1（受理编号" in after.text and "已反馈" in after.text
        assert f"{case_id}/V1/return" not in after.text  # no form for a returned slip
        again = await chang_an.post(path, data={"response": "经核查属实", "csrf": token})
        assert again.status_code == 409 and "已反馈" in again.text

        slip = (await system.get("sjz_handler", f"/api/slips/{case_id}/V1")).json()
        assert (slip["status"], slip["response"]) == ("returned", "经核查属实")
    finally:
        for client in (chang_an, qiao_xi, province):
            await client.aclose()


async def test_the_search_takes_the_lists_filters_and_refuses_bad_ones(system: System) -> None:
    case = await register(system)
    await visible(system, "sjz_handler", case["id"])
    city = await signed_in(system, "sjz_handler")
    county = await signed_in(system, "qx_handler")
    try:
        found = await city.get("/console/cases", params={"tracking_no": case["tracking_no"]})
        assert found.status_code == 200
        assert f'href="/console/cases/{case["id"]}"' in found.text and "共找到 1 件" in found.text
        by_school = await city.get("/console/cases", params={"school": CHANG_AN_SCHOOL})
        assert case["tracking_no"] in by_school.text
        by_name = await city.get("/console/cases", params={"school": "长安区第一", "q": ""})
        assert case["tracking_no"] in by_name.text  # blank fields are no filter
        by_phone = await city.get("/console/cases", params={"phone": "13812345678"})
        assert case["tracking_no"] in by_phone.text
        unseen = await county.get("/console/cases", params={"tracking_no": case["tracking_no"]})
        assert unseen.status_code == 200 and "没有找到符合条件的案件" in unseen.text

        for params, words in [
            ({"q": "学"}, "投诉内容关键词："),
            ({"phone": "12345"}, "投诉人电话："),
            ({"assignee": "sjz_handler", "unassigned": "true"}, "不能同时使用"),
            ({"received_from": "2026-13-01"}, "应为日期"),
            ({"stage": "nowhere"}, "当前环节：取值无效"),
            ({"handling_unit": "13"}, "处理单位：格式不正确"),
        ]:
            refused = await city.get("/console/cases", params=params)
            assert refused.status_code == 422, params
            assert words in refused.text and "error-summary" in refused.text, params
            assert "<table" not in refused.text
    finally:
        await city.aclose()
        await county.aclose()


async def test_the_export_has_the_filters_then_the_rows(system: System) -> None:
    case = await register(system)
    await visible(system, "sjz_handler", case["id"])
    city = await signed_in(system, "sjz_handler")
    try:
        params = {"school": CHANG_AN_SCHOOL, "phone": "138 1234 5678", "overdue": "false"}
        answer = await city.get("/console/cases.xlsx", params=params)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in answer.headers["content-disposition"]
        sheet = load_workbook(BytesIO(answer.content)).active
        assert sheet is not None
        lines = [[cell for cell in row if cell is not None] for row in sheet.values]
        assert lines[0] == ["学籍投诉案件查询结果"]
        labels = {line[0]: line[1] for line in lines[1:8] if len(line) == 2}
        assert labels["学校"] == f"长安区第一中学（{CHANG_AN_SCHOOL}）"
        assert labels["投诉人电话"] == "138****5678"  # masked, as the lists show it
        assert labels["是否超期"] == "未超期"
        assert labels["共计"] == "1 件"
        header = next(index for index, line in enumerate(lines) if line[:2] == ["序号", "受理编号"])
        assert lines[header + 1][:2] == [1, case["tracking_no"]]

        typed = await city.get("/console/cases.xlsx", params={"school": "=HYPERLINK(1)"})
        sheet = load_workbook(BytesIO(typed.content)).active
        assert sheet is not None
        cell = next(c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)")
        assert cell.data_type == "s"  # what people typed is never a formula

        refused = await city.get("/console/cases.xlsx", params={"q": "学"})
        assert refused.status_code == 422 and "至少" in refused.text
    finally:
        await city.aclose()


async def test_a_school_account_is_kept_to_its_slips(system: System) -> None:
    add_sysadmin(system, "ca_sysadmin", CHANG_AN)
    await add_school_account(system, "ca_sysadmin", "yz.clerk", "clerk")
    await add_school_account(system, "ca_sysadmin", "yz.handler2", "handler")
    clerk = await _school_client(system, "yz.clerk")
    try:
        inbox = await clerk.get("/console")
        assert inbox.status_code == 200 and "案件查询" not in inbox.text
        refused = await clerk.get("/console/cases")
        assert refused.status_code == 403 and "收到的单据" in refused.text
        assert (await clerk.get("/console/cases.xlsx")).status_code == 403
        slips = await clerk.get("/console/slips")
        assert slips.status_code == 200 and "没有收到的单据" in slips.text
        token = csrf_of(slips.text)
        posted = await clerk.post(
            "/console/slips/c-none/V1/return", data={"response": "已核查", "csrf": token}
        )
        assert posted.status_code == 403  # a school's clerk may not return slips
    finally:
        await clerk.aclose()


async def _school_client(system: System, username: str) -> httpx.AsyncClient:
    """A console client whose session is the one the test opened in the store."""
    return httpx.AsyncClient(
        transport=system.http._transport,
        base_url="http://xueji",
        headers={"Cookie": f"xueji_console={system.tokens[username]}"},
    )


async def test_the_addressees_person_in_charge_is_named_from_the_list(system: System) -> None:
    case = await slips_issued(system)
    case_id = case["id"]
    system.add_account("ca_leader", unit_code=CHANG_AN, role="leader", display_name="孙丽")
    system.add_account("ca_handler2", unit_code=CHANG_AN, role="handler", display_name="周涛")
    handler = await signed_in(system, "ca_handler")
    leader = await signed_in(system, "ca_leader")
    path = f"/console/slips/{case_id}/V1/assignee"
    try:
        page = await handler.get("/console/slips")
        token = csrf_of(page.text)
        assert f'action="{path}"' in page.text and "由我承办" in page.text
        assert f"/console/slips/{case_id}/V2/assignee" not in page.text  # another county's

        not_self = await handler.post(path, data={"assignee": "ca_handler2", "csrf": token})
        assert not_self.status_code == 403 and "未能指定承办人" in not_self.text
        mine = await handler.post(path, data={"assignee": "ca_handler", "csrf": token})
        assert mine.status_code == 303, mine.text
        shown = await handler.get(mine.headers["location"])
        assert "的承办人已指定为赵强（ca_handler）" in shown.text

        leaders_page = await leader.get("/console/slips")
        assert '<option value="ca_handler2">周涛（ca_handler2）</option>' in leaders_page.text
        leader_token = csrf_of(leaders_page.text)
        no_reason = {"assignee": "ca_handler2", "csrf": leader_token}
        refused = await leader.post(path, data=no_reason)
        assert refused.status_code == 422 and "理由" in refused.text
        assert 'id="assign-error-' in refused.text
        moved = await leader.post(path, data={**no_reason, "reason": "赵强出差，改由周涛办理"})
        assert moved.status_code == 303, moved.text

        async def reassigned() -> bool:
            slip = (await system.get("sjz_handler", f"/api/slips/{case_id}/V1")).json()
            return bool(slip["assignee"] == "ca_handler2")

        await eventually(reassigned, failure="the new person in charge never reached the slip")
    finally:
        for client in (handler, leader):
            await client.aclose()
