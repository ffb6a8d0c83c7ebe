"""Repeat complaints (重复件) in the console, the whole path with a real worker: the preview
shows the cases a call may repeat; saving asks for a choice; registered as new, the reason is
on the new case's record; joined, the receipt gives the case's tracking number and the case
page counts the repeat; a unit elsewhere learns only that a case exists; a case page links
two cases and both show the link."""

import re

import httpx

from tests.console.test_console_registration import CALL, form_of, intakes, reason_next_to
from tests.support.console_support import csrf_of, signed_in
from tests.support.http_support import System
from tests.support.waiting import eventually

PREVIEW, SAVE = "/console/register/preview", "/console/register"


def tracking_no(receipt: str) -> str:
    found = re.search(r"<dt>受理编号</dt><dd>(\d{8})<span class=\"gap\">(.+?)</span>", receipt)
    assert found, receipt
    return found.group(1) + found.group(2)


def case_id(receipt: str) -> str:
    found = re.search(r'href="/console/cases/(c-[0-9a-f]+)"', receipt)
    assert found
    return found.group(1)


async def page_of(client: httpx.AsyncClient, case: str, text: str) -> str:
    """The case page once it shows `text` (the worker writes the case a moment later)."""

    async def shows() -> bool:
        return text in (await client.get(f"/console/cases/{case}")).text

    await eventually(shows, failure=f"{case} never showed {text}")
    return (await client.get(f"/console/cases/{case}")).text


async def test_a_repeat_is_shown_before_saving_and_joined_or_registered_as_new(
    system: System,
) -> None:
    clerk = await signed_in(system, "sjz_clerk")
    first = await clerk.post(SAVE, data={**CALL, **await form_of(clerk)})
    assert first.status_code == 201, first.text
    first_no, first_id = tracking_no(first.text), case_id(first.text)
    await page_of(clerk, first_id, "办理记录")  # written by the worker, not only registered

    hidden = await form_of(clerk)
    preview = await clerk.post(PREVIEW, data={**CALL, **hidden})
    assert "可能是重复件：已有 1 件相关案件" in preview.text and first_no in preview.text
    key = re.search(r'name="matches_key" value="([0-9a-f]+)"', preview.text)
    assert key
    unchosen = await clerk.post(SAVE, data={**CALL, **hidden})
    assert unchosen.status_code == 422
    assert "请选择并入其中一件" in reason_next_to(unchosen.text, "repeat_choice")
    chosen = {**CALL, **hidden, "matches_key": key.group(1), "repeat_choice": "new"}
    no_reason = await clerk.post(SAVE, data=chosen)
    assert no_reason.status_code == 422
    assert reason_next_to(no_reason.text, "not_repeat_reason") == "错误：不能为空"
    assert intakes(system) == 1

    second = await clerk.post(SAVE, data={**chosen, "not_repeat_reason": "反映的是另一名学生"})
    assert second.status_code == 201, second.text
    shown = await page_of(clerk, case_id(second.text), "作为新件登记")
    assert "反映的是另一名学生" in shown

    # A third call: two matches now; joined to the first, it gets the first's number.
    hidden = await form_of(clerk)
    preview = await clerk.post(PREVIEW, data={**CALL, **hidden})
    assert "已有 2 件相关案件" in preview.text
    joined = await clerk.post(SAVE, data={**CALL, **hidden, "repeat_choice": first_id})
    assert joined.status_code == 201 and "已作为重复件并入已有案件" in joined.text
    assert tracking_no(joined.text) == first_no and intakes(system) == 2
    assert "不另行以短信或电子邮件通知本次投诉人" in joined.text
    # The repeat's complainant follows the case on the tracking page with what it was given.
    code = re.search(r"<dt>查询码</dt><dd>(\d{6})</dd>", joined.text)
    assert code, joined.text
    tracked = await system.http.post("/api/track", json={"tracking_no": first_no, "code": code[1]})
    assert tracked.status_code == 200 and tracked.json()["tracking_no"] == first_no
    assert "重复件</dt><dd>1 件" in await page_of(clerk, first_id, "收到重复件（来电）")

    # 新华区 may not see either case: it learns one exists, and to ask the city.
    away = await signed_in(system, "xh_handler")
    elsewhere = await away.post(PREVIEW, data={**CALL, **await form_of(away)})
    assert elsewhere.text.count("不在本单位的查看范围内，如需了解请联系石家庄市教育局") == 2
    assert first_no not in elsewhere.text and 'name="repeat_choice" id="join' not in elsewhere.text

    # The city links the second case to the first: both pages show it.
    second_id = case_id(second.text)
    page = await clerk.get(f"/console/cases/{second_id}")
    linked = await clerk.post(
        f"/console/cases/{second_id}/link",
        data={"csrf": csrf_of(page.text), "tracking_no": first_no, "reason": "同一家庭"},
    )
    assert linked.status_code == 303
    assert tracking_no(second.text) in await page_of(clerk, first_id, "关联案件")
    await away.aclose()
    await clerk.aclose()
