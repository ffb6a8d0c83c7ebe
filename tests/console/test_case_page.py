"""The case page over HTTP: who sees it (404 for a case the unit may not see, 403 for a school),
the actions a viewer is offered, refusals shown beside their form with nothing changed, the
CSRF token every action needs, and the background refresh answering 304 while nothing changed."""

from tests.support.console_support import csrf_of, signed_in
from tests.support.demo import CHANG_AN, CHANG_AN_SCHOOL, SHANG_CHENG
from tests.support.http_support import System, register, visible
from tests.support.waiting import eventually


async def stage_of(system: System, complaint_id: str) -> str:
    answer = await system.get("sjz_handler", f"/api/complaints/{complaint_id}")
    return str(answer.json()["stage"])


async def test_the_page_shows_the_case_masked_and_only_the_viewers_actions(
    system: System,
) -> None:
    created = await register(system)
    case_id = created["id"]
    await visible(system, "sjz_handler", case_id)
    handler = await signed_in(system, "sjz_handler")
    province = await signed_in(system, "hb_clerk")
    county = await signed_in(system, "ca_handler")
    try:
        shown = await handler.get(f"/console/cases/{case_id}")
        assert shown.status_code == 200, shown.text
        html = shown.text
        assert created["tracking_no"] in html and "石家庄市教育局" in html
        assert "138****5678" in html and "1234 5678" not in html  # masked as the JSON detail
        assert "G11010519491231002X" not in html
        assert "下发核查单" in html and 'action="/console/cases/' in html
        assert "由我承办" in html and 'name="assignee" value="sjz_handler"' in html
        assert "未指定" in html
        assert "script-src 'self'" in shown.headers["content-security-policy"]
        assert "style=" not in html and "<script>" not in html  # nothing inline

        above = await province.get(f"/console/cases/{case_id}")
        assert above.status_code == 200  # an ancestor reads the case...
        assert "/verification" not in above.text and "/withdrawal" not in above.text
        assert "当前没有需要您办理的操作" in above.text  # ...and acts on nothing

        unseen = await county.get(f"/console/cases/{case_id}")
        assert unseen.status_code == 404 and "没有这个案件" in unseen.text
        assert (await county.get("/console/cases/no-such-case")).status_code == 404
    finally:
        for client in (handler, province, county):
            await client.aclose()


async def test_a_school_account_is_refused_the_case_page(system: System) -> None:
    created = await register(system)
    system.add_account("ca1z_handler", unit_code=CHANG_AN_SCHOOL, role="handler")
    school = await signed_in(system, "ca1z_handler")
    try:
        refused = await school.get(f"/console/cases/{created['id']}")
        assert refused.status_code == 403 and "学校账号" in refused.text
    finally:
        await school.aclose()


async def test_refusals_change_nothing_and_say_why_beside_the_form(system: System) -> None:
    created = await register(system)
    case_id = created["id"]
    page = f"/console/cases/{case_id}"
    await visible(system, "sjz_handler", case_id)
    handler = await signed_in(system, "sjz_handler")
    try:
        token = csrf_of((await handler.get(page)).text)

        forged = await handler.post(f"{page}/verification", data={"addressees": [CHANG_AN]})
        assert forged.status_code == 403 and "校验码" in forged.text
        wrong = {"addressees": [CHANG_AN], "csrf": "0" * 64}
        assert (await handler.post(f"{page}/verification", data=wrong)).status_code == 403

        empty = await handler.post(f"{page}/verification", data={"csrf": token})
        assert empty.status_code == 422
        assert "核查单位：至少 1 项" in empty.text and 'id="verification-error"' in empty.text
        away = {"csrf": token, "addressees": [SHANG_CHENG]}
        outside = await handler.post(f"{page}/verification", data=away)
        assert outside.status_code == 422
        assert "不在本案处理单位石家庄市教育局的下级范围内" in outside.text

        early = {"csrf": token, "opinion": "无需再办"}
        too_early = await handler.post(f"{page}/opinion", data=early)
        assert too_early.status_code == 409 and "未能办理" in too_early.text

        foreign = {"csrf": token, "assignee": "sjz_leader"}
        not_self = await handler.post(f"{page}/assignee", data=foreign)
        assert not_self.status_code == 403 and "学籍管理员只能将本案" in not_self.text

        ruling = {"csrf": token, "handling_unit": CHANG_AN}
        no_dispute = await handler.post(f"{page}/ruling", data=ruling)
        assert no_dispute.status_code == 409 and "没有待裁定的层级争议" in no_dispute.text
        assert await stage_of(system, case_id) == "verify_issue"  # nothing changed

        done = await handler.post(
            f"{page}/verification",
            data={"csrf": token, "addressees": [CHANG_AN], "instructions": "请核查"},
        )
        assert (done.status_code, done.headers["location"]) == (303, f"{page}?done=verification")
        after = await handler.get(done.headers["location"])
        assert "已下发核查单" in after.text
        assert "/verification" not in after.text  # the step is done: its form is gone

        async def slip_shown() -> bool:  # the slip's own workflow writes it a moment later
            return "V1 核查单" in (await handler.get(page)).text

        await eventually(slip_shown, failure="the slip never showed on the page")
    finally:
        await handler.aclose()


async def test_the_refresh_answers_304_while_nothing_changed(system: System) -> None:
    created = await register(system)
    case_id = created["id"]
    await visible(system, "sjz_handler", case_id)
    handler = await signed_in(system, "sjz_handler")
    try:
        first = await handler.get(f"/console/cases/{case_id}/live")
        assert first.status_code == 200 and "办理记录" in first.text
        tag = first.headers["etag"]
        assert "no-cache" in first.headers["cache-control"]
        same = await handler.get(f"/console/cases/{case_id}/live", headers={"If-None-Match": tag})
        assert same.status_code == 304

        await system.post(
            "sjz_handler", f"/api/complaints/{case_id}/verification", {"addressees": [CHANG_AN]}
        )
        moved = await handler.get(
            f"/console/cases/{case_id}/live?since={tag.strip(chr(34))}",
            headers={"If-None-Match": tag},
        )
        assert moved.status_code == 200 and moved.headers["etag"] != tag
        assert "本案有新的进展" in moved.text and "核查中" in moved.text
        assert "<form" not in moved.text  # the refresh never carries a form
    finally:
        await handler.aclose()


async def test_the_picker_lists_the_cases_own_units_and_finds_the_rest(system: System) -> None:
    created = await register(system)  # handled by the city, about a 长安区 and a 桥西区 school
    case_id = created["id"]
    page = f"/console/cases/{case_id}"
    await visible(system, "sjz_handler", case_id)
    handler = await signed_in(system, "sjz_handler")
    try:
        html = (await handler.get(page)).text
        involved = html.index("本案涉及的单位和学校")
        below = html.index("下级教育行政部门")
        for code in (CHANG_AN, CHANG_AN_SCHOOL, "130104", "2130104001"):
            assert involved < html.index(f'name="addressees" value="{code}"') < below
        assert html.count(f'name="addressees" value="{CHANG_AN}"') == 1  # not twice
        assert 'value="130105"' in html[below:]  # 新华区, a bureau of the city not involved
        assert 'value="2130102002"' not in html  # a school the complaint does not name

        found = await handler.get(f"{page}/addressees", params={"find": "长安区第二"})
        assert found.status_code == 200
        assert 'name="addressees" value="2130102002"> 长安区第二中学（长安区教育局）' in found.text
        as_code = await handler.get(
            f"{page}/addressees", params={"find": "2130102002", "picker": "rework"}
        )
        assert 'name="executing_units" value="2130102002"' in as_code.text
        away = await handler.get(f"{page}/addressees", params={"find": "上城区"})
        assert "本案处理单位的下级中没有找到“上城区”" in away.text  # 浙江: not the city's
        kept = await handler.get(
            f"{page}/addressees", params={"find": "实验小学", "addressees": "2130102002"}
        )
        assert 'value="2130102002" checked' in kept.text  # an earlier pick stays picked
        assert 'value="2130102005"> 长安区实验小学' in kept.text

        # Without JavaScript the search is the page again, its answers in the picker.
        plain = await handler.get(page, params={"find": "长安区第二", "picker": "verification"})
        assert plain.status_code == 200
        assert 'name="addressees" value="2130102002"> 长安区第二中学' in plain.text
        assert 'value="长安区第二"' in plain.text  # the search box keeps the text

        issued = await handler.post(
            f"{page}/verification", data={"csrf": csrf_of(html), "addressees": ["2130102002"]}
        )
        assert issued.status_code == 303, issued.text

        async def slip_to_the_school() -> bool:
            slips = (await system.get("sjz_handler", "/api/slips")).json()
            return any(s["addressee"] == "2130102002" for s in slips)

        await eventually(slip_to_the_school, failure="no slip went to the school found")
    finally:
        await handler.aclose()
