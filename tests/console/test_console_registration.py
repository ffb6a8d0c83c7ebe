"""受理登记 in the console over HTTP: the form of each channel, the school picker's choices, the
preview, the form again with each field's reason (422) registering nothing, the CSRF token,
the roles the JSON route admits, and a double submit that registers once."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import func, select

from store.db import engine_for, session_scope
from store.models import Intake
from tests.console.test_console_sign_in import csrf_of, signed_in
from tests.support.demo import CHANG_AN_SCHOOL, QIAO_XI_SCHOOL, SHANG_CHENG_SCHOOLS
from tests.support.http_support import System

CALL = {
    "channel": "phone",
    "complainant_name": "张晓明",
    "complainant_phone": "138 1234 5678",
    "complainant_email": "",
    "complainant_id_card": "",
    "student_name": ["张小雨", "", ""],
    "student_id_card": ["", "", ""],
    "student_no": ["", "", ""],
    "school_codes": [CHANG_AN_SCHOOL],
    "unit_codes": "",
    "summary": "孩子的学籍被错误转出",
}


@pytest.fixture
async def clerk(system: System) -> AsyncIterator[httpx.AsyncClient]:
    client = await signed_in(system, "sjz_clerk")
    yield client
    await client.aclose()


async def form_of(client: httpx.AsyncClient, channel: str = "phone") -> dict[str, str]:
    """The hidden fields of a newly shown form: its CSRF token and idempotency key."""
    shown = await client.get("/console/register", params={"channel": channel})
    assert shown.status_code == 200, shown.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', shown.text)
    assert key
    return {"csrf": csrf_of(shown.text), "idempotency_key": key.group(1)}


def intakes(system: System) -> int:
    engine = engine_for(system.settings)
    with session_scope(engine) as session:
        count = session.exec(select(func.count()).select_from(Intake)).one()
    engine.dispose()
    return count


def reason_next_to(html: str, control: str) -> str:
    """The reason shown next to the control with id `control`."""
    found = re.search(rf'<p class="field-error" id="{control}-error">(.*?)</p>', html, re.S)
    assert found, f"no reason next to {control}"
    return re.sub(r"<[^>]+>", "", found.group(1))


async def test_each_channel_has_its_form_and_a_key_of_its_own(clerk: httpx.AsyncClient) -> None:
    phone = await clerk.get("/console/register")
    assert phone.status_code == 200
    assert "script-src 'self'" in phone.headers["content-security-policy"]
    assert 'aria-current="page">来电' in phone.text and 'name="refer_to_hotline"' in phone.text
    assert " style=" not in phone.text and "<script>" not in phone.text
    letter = await clerk.get("/console/register", params={"channel": "letter"})
    assert 'aria-current="page">来信' in letter.text
    assert 'name="refer_to_hotline"' not in letter.text  # phone calls only
    assert (await form_of(clerk))["idempotency_key"] != (await form_of(clerk))["idempotency_key"]
    fax = await clerk.get("/console/register", params={"channel": "fax"})
    assert fax.status_code == 422 and "没有这种投诉渠道" in fax.text


async def test_the_picker_finds_as_the_api_does_and_keeps_what_was_picked(
    system: System, clerk: httpx.AsyncClient
) -> None:
    api = await system.get("sjz_clerk", "/api/schools", q="长安")
    names = [school["name"] for school in api.json()]
    assert names

    found = await clerk.get("/console/register/schools", params={"school_q": "长安"})
    assert found.status_code == 200
    assert [name for name in names if name in found.text] == names
    assert "已选学校" not in found.text

    kept = await clerk.get(
        "/console/register/schools",
        params={"school_q": "桥西", "school_codes": [CHANG_AN_SCHOOL]},
    )
    picked, _, results = kept.text.partition("查找“桥西”的结果")
    assert f'value="{CHANG_AN_SCHOOL}" checked' in picked
    assert QIAO_XI_SCHOOL in results and CHANG_AN_SCHOOL not in results

    # Only the caller's province: 上城区 is in 浙江.
    away = await clerk.get("/console/register/schools", params={"school_q": SHANG_CHENG_SCHOOLS[0]})
    assert 'name="school_codes"' not in away.text and "没有找到" in away.text


async def test_bad_input_is_the_form_again_with_each_reason_and_registers_nothing(
    system: System, clerk: httpx.AsyncClient
) -> None:
    hidden = await form_of(clerk)
    bad = {
        **CALL,
        **hidden,
        "complainant_name": " ",
        "complainant_phone": "12345",
        "student_name": ["", "", ""],
        "student_id_card": ["", "110105194912310021", ""],
        "school_codes": [],
        "summary": "",
    }
    for address in ("/console/register/preview", "/console/register"):
        answer = await clerk.post(address, data=bad)
        assert answer.status_code == 422, answer.text
        assert "未能登记，请修改以下内容" in answer.text
        assert reason_next_to(answer.text, "complainant_name") == "错误：不能为空"
        assert "手机" in reason_next_to(answer.text, "complainant_phone")
        assert reason_next_to(answer.text, "student_name_1")  # the row with an ID but no name
        assert reason_next_to(answer.text, "summary")
        assert 'href="#student_name_1"' in answer.text  # the summary links to the field
        assert hidden["idempotency_key"] in answer.text  # the same form, kept
        assert 'value="110105194912310021"' in answer.text  # what was typed, shown again

    nothing = {**CALL, **hidden, "school_codes": []}
    answer = await clerk.post("/console/register/preview", data=nothing)
    assert answer.status_code == 422
    reason = reason_next_to(answer.text, "school_q")
    assert "请至少填写一个涉及的学校标识码或教育行政部门代码" in reason

    # Refused by the registration service itself, as the JSON route refuses it.
    unknown = {**CALL, **hidden, "school_codes": ["2130102999"], "unit_codes": "130102，999999"}
    for address in ("/console/register/preview", "/console/register"):
        answer = await clerk.post(address, data=unknown)
        assert answer.status_code == 422, answer.text
        assert "2130102999 不存在" in reason_next_to(answer.text, "school_q")
    assert intakes(system) == 0


async def test_the_preview_shows_the_plan_and_registers_nothing(
    system: System, clerk: httpx.AsyncClient
) -> None:
    hidden = await form_of(clerk)
    preview = await clerk.post("/console/register/preview", data={**CALL, **hidden})
    assert preview.status_code == 200, preview.text
    text = re.sub(r"<[^>]+>", "", preview.text)
    assert "处理责任单位长安区教育局" in text
    assert "石家庄市教育局 → 长安区教育局" in text
    assert re.search(r"下发核查单（长安区教育局）：\d{4}-\d\d-\d\d \d\d:\d\d（北京时间", text)
    assert "确认登记" in text and "返回修改" in text
    assert hidden["idempotency_key"] in preview.text
    assert intakes(system) == 0

    back = await clerk.post("/console/register/form", data={**CALL, **hidden})
    assert back.status_code == 200 and 'value="张晓明"' in back.text
    assert f'value="{CHANG_AN_SCHOOL}" checked' in back.text


async def test_a_double_submit_registers_once(system: System, clerk: httpx.AsyncClient) -> None:
    hidden = await form_of(clerk)
    first = await clerk.post("/console/register", data={**CALL, **hidden})
    again = await clerk.post("/console/register", data={**CALL, **hidden})
    assert (first.status_code, again.status_code) == (201, 201), first.text
    numbers = [
        re.findall(r"<dt>(受理编号|查询码)</dt><dd>(.+?)</dd>", answer.text)
        for answer in (first, again)
    ]
    assert numbers[0] == numbers[1] and len(numbers[0]) == 2
    assert re.search(r'href="/console/cases/c-[0-9a-f]+"', first.text)
    assert intakes(system) == 1

    changed = await clerk.post("/console/register", data={**CALL, **hidden, "summary": "另一件事"})
    assert changed.status_code == 409 and "这份登记表已经登记过" in changed.text
    assert intakes(system) == 1


async def test_a_form_without_the_sessions_csrf_token_is_refused(
    system: System, clerk: httpx.AsyncClient
) -> None:
    hidden = await form_of(clerk)
    for address in ("/console/register/preview", "/console/register", "/console/register/form"):
        forged = await clerk.post(address, data={**CALL, **hidden, "csrf": "0" * 64})
        assert forged.status_code == 403 and "校验码" in forged.text
        missing = await clerk.post(address, data={**CALL, "idempotency_key": "k"})
        assert missing.status_code == 403
    assert intakes(system) == 0


async def test_only_a_bureaus_case_staff_may_register(system: System) -> None:
    system.add_account("ca1z_clerk", unit_code=CHANG_AN_SCHOOL, role="clerk")
    school = await signed_in(system, "ca1z_clerk")
    try:
        for address in ("/console/register", "/console/register/schools?school_q=长安"):
            refused = await school.get(address)
            assert refused.status_code == 403 and "学校账号" in refused.text
        token = csrf_of((await school.get("/console")).text)
        posted = await school.post("/console/register", data={**CALL, "csrf": token})
        assert posted.status_code == 403
    finally:
        await school.aclose()
    assert intakes(system) == 0


async def test_without_javascript_the_form_searches_and_adds_rows_by_posting(
    clerk: httpx.AsyncClient,
) -> None:
    hidden = await form_of(clerk)
    shown = await clerk.get("/console/register")
    assert len(re.findall(r'name="student_name"', shown.text)) == 3

    more = await clerk.post("/console/register/form", data={**CALL, **hidden, "add_student": "1"})
    assert len(re.findall(r'name="student_name"', more.text)) == 4
    assert re.search(r'id="student_name_3"[^>]*autofocus', more.text)

    search = {**CALL, **hidden, "find_school": "1", "school_q": "桥西"}
    found = await clerk.post("/console/register/form", data=search)
    assert QIAO_XI_SCHOOL in found.text and f'value="{CHANG_AN_SCHOOL}" checked' in found.text

    row = await clerk.get("/console/register/student-row", params={"index": 3})
    assert 'id="student_name_3"' in row.text and "index=4" in row.text
    assert 'hx-swap-oob="true"' in row.text
