"""What the audit log (审计日志) keeps of the console and of reads: sign-in, actions and sign-out
in the console, every read of a case's personal data (JSON and console, refused ones too,
never a 304 or a list); the full numbers for the handling unit's staff alone; and how the
console answers a case not written yet, Temporal out of reach and a bad address: pages, not
JSON. Temporal is down in these apps (`api` fixture), which is what some tests need."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from domain.records import CaseRecord, Complainant, Registration, Student
from tests.console.test_console_sign_in import csrf_of
from tests.support.api_support import PASSWORD, T0, Api
from tests.support.audit_support import last_seq, records_since
from tests.support.case_support import SEALER, registered_only, snapshot, write

CASE = "c-records"
HANDLING, ABOVE, ELSEWHERE = "130102", "130100", "110101"  # 长安区, 石家庄市, 东城区
PHONE, ID_CARD, STUDENT_NO = "13812345678", "11010519491231002X", "G11010519491231002X"


@pytest.fixture
def api(api: Api) -> Api:
    """A case of 长安区 with its complainant and student, and case staff of three units."""
    registration = Registration(
        complainant=Complainant(name="张晓明", phone=PHONE, id_card=ID_CARD),
        content="孩子的学籍被两所学校同时登记",
        school_codes=[],
        unit_codes=[],
        students=[Student(name="张小雨", student_no=STUDENT_NO)],
    )
    case = snapshot(HANDLING, tracking_no="2030-130102-000001")
    write(api.engine, CaseRecord(complaint_id=CASE, case=case, registration=registration))
    api.add_user("ca.handler", unit_code=HANDLING, role="handler")
    api.add_user("ca.clerk", unit_code=HANDLING, role="clerk")
    api.add_user("sjz.handler", unit_code=ABOVE, role="handler")
    api.add_user("dc.handler", unit_code=ELSEWHERE, role="handler")
    return api


@pytest.fixture
def browsers(api: Api) -> Iterator[list[TestClient]]:
    """Clients with cookie jars of their own, on the running app."""
    made: list[TestClient] = []
    yield made
    for client in made:
        client.close()


def console_of(api: Api, browsers: list[TestClient], username: str | None) -> TestClient:
    """A browser of its own on the app, signed in to the console as `username` (or not)."""
    client = TestClient(api.client.app, base_url="http://testserver", follow_redirects=False)
    browsers.append(client)
    if username is not None:
        form = {"username": username, "password": PASSWORD, "next": "/console"}
        assert client.post("/console/login", data=form).status_code == 303
    return client


def test_the_consoles_sign_in_actions_and_sign_out_are_recorded(
    api: Api, browsers: list[TestClient]
) -> None:
    start = last_seq(api.engine)
    guesser = console_of(api, browsers, None)
    wrong = {"username": "ca.handler", "password": "not-the-password", "next": "/console"}
    assert guesser.post("/console/login", data=wrong).status_code == 401
    handler = console_of(api, browsers, "ca.handler")
    page = handler.get(f"/console/cases/{CASE}")
    assert page.status_code == 200
    token = csrf_of(page.text)
    mine = {"assignee": "ca.handler", "csrf": token}
    assert handler.post(f"/console/cases/{CASE}/assignee", data=mine).status_code == 503
    assert handler.post("/console/logout", data={"csrf": token}).status_code == 303
    assert guesser.get(f"/console/cases/{CASE}").status_code == 303

    assert records_since(api.engine, start) == [
        ("ca.handler", "login", "POST /console/login", "refused:401"),
        ("ca.handler", "login", "POST /console/login", "ok"),
        ("ca.handler", "show_case", f"GET /console/cases/{CASE}", "ok"),
        ("ca.handler", "assign_case", f"POST /console/cases/{CASE}/assignee", "failed:503"),
        ("ca.handler", "logout", "POST /console/logout", "ok"),
        ("", "show_case", f"GET /console/cases/{CASE}", "refused:401"),  # not signed in
    ]


def test_reads_of_personal_data_are_recorded_and_lists_and_304s_are_not(
    api: Api, browsers: list[TestClient]
) -> None:
    handler = api.headers_for("ca.h2", unit_code=HANDLING, role="handler")
    above = api.headers_for("sjz.h2", unit_code=ABOVE, role="handler")
    elsewhere = api.headers_for("dc.h2", unit_code=ELSEWHERE, role="handler")
    console = console_of(api, browsers, "ca.handler")
    start = last_seq(api.engine)

    assert api.client.get(f"/api/complaints/{CASE}", headers=handler).status_code == 200
    assert api.client.get("/api/complaints", headers=handler).status_code == 200  # masked list
    full = api.client.get(f"/api/complaints/{CASE}/personal", headers=handler)
    assert full.status_code == 200 and full.headers["cache-control"] == "no-store"
    assert api.client.get(f"/api/complaints/{CASE}/personal", headers=above).status_code == 403
    assert api.client.get(f"/api/complaints/{CASE}", headers=elsewhere).status_code == 404
    live = console.get(f"/console/cases/{CASE}/live")
    assert live.status_code == 200
    unchanged = {"If-None-Match": live.headers["etag"]}
    assert console.get(f"/console/cases/{CASE}/live", headers=unchanged).status_code == 304

    records = records_since(api.engine, start)
    assert records == [
        ("ca.h2", "get_complaint", f"GET /api/complaints/{CASE}", "ok"),
        ("ca.h2", "get_personal_data", f"GET /api/complaints/{CASE}/personal", "ok"),
        ("sjz.h2", "get_personal_data", f"GET /api/complaints/{CASE}/personal", "refused:403"),
        ("dc.h2", "get_complaint", f"GET /api/complaints/{CASE}", "refused:404"),
        ("ca.handler", "live_parts", f"GET /console/cases/{CASE}/live", "ok"),
    ]
    assert not any(PHONE in str(record) or "张晓明" in str(record) for record in records)


def test_the_handling_units_staff_alone_see_the_numbers_in_full(
    api: Api, browsers: list[TestClient]
) -> None:
    handler = console_of(api, browsers, "ca.handler")
    above = console_of(api, browsers, "sjz.handler")

    page = handler.get(f"/console/cases/{CASE}").text
    assert "138****5678" in page and PHONE not in page and ID_CARD not in page
    assert f'href="/console/cases/{CASE}/personal"' in page
    full = handler.get(f"/console/cases/{CASE}/personal")
    assert full.status_code == 200 and full.headers["cache-control"] == "no-store"
    assert PHONE in full.text and ID_CARD in full.text and STUDENT_NO in full.text
    assert "本次查看已记入审计日志" in full.text

    assert "/personal" not in above.get(f"/console/cases/{CASE}").text
    refused = above.get(f"/console/cases/{CASE}/personal")
    assert refused.status_code == 403 and "只有本案处理单位的办案人员" in refused.text
    assert PHONE not in refused.text
    body = api.client.get(
        f"/api/complaints/{CASE}/personal", headers=api.headers_for("ca.h3", unit_code=HANDLING)
    ).json()
    assert body["complainant"] == {
        "name": "张晓明",
        "phone": PHONE,
        "email": "",
        "id_card": ID_CARD,
        "student_no": "",
    }
    assert body["students"] == [
        {"name": "张小雨", "phone": "", "email": "", "id_card": "", "student_no": STUDENT_NO}
    ]


def test_a_complaint_registered_a_moment_ago_says_it_is_being_set_up(
    api: Api, browsers: list[TestClient]
) -> None:
    ticket = registered_only(api.engine, SEALER, by="ca.clerk", unit=HANDLING, now=T0)
    clerk = console_of(api, browsers, "ca.clerk")
    other = console_of(api, browsers, "dc.handler")

    page = clerk.get(f"/console/cases/{ticket.complaint_id}")
    assert page.status_code == 200
    assert "正在建立办理流程" in page.text and ticket.tracking_no in page.text
    assert "2030-03-04 09:00" in page.text  # received, Beijing time
    unseen = other.get(f"/console/cases/{ticket.complaint_id}")
    assert unseen.status_code == 404 and ticket.tracking_no not in unseen.text


def test_with_temporal_away_the_case_shows_and_a_refused_form_keeps_its_text(
    api: Api, browsers: list[TestClient]
) -> None:
    handler = console_of(api, browsers, "ca.handler")
    page = handler.get(f"/console/cases/{CASE}")
    assert page.status_code == 200
    assert "流程服务暂时不可用：可以查看案件，暂时不能办理" in page.text
    assert "孩子的学籍被两所学校同时登记" in page.text

    typed = {"reason": "投诉人来电表示问题已解决，申请撤回", "csrf": csrf_of(page.text)}
    refused = handler.post(f"/console/cases/{CASE}/withdrawal", data=typed)
    assert refused.status_code == 503
    assert refused.headers["content-type"].startswith("text/html")
    assert "未能办理，案件没有变化" in refused.text and "流程服务暂时不可用" in refused.text
    assert "您填写的内容（没有提交" in refused.text and typed["reason"] in refused.text


def test_a_bad_console_address_is_a_page_naming_the_part(
    api: Api, browsers: list[TestClient]
) -> None:
    handler = console_of(api, browsers, "ca.handler")

    bad_slip = handler.get(f"/console/slips/{CASE}/X1.pdf")
    assert bad_slip.status_code == 422
    assert bad_slip.headers["content-type"].startswith("text/html")
    assert "地址中的 slip_id：格式不正确" in bad_slip.text
    bad_query = handler.get(f"/console/cases/{CASE}", params={"done": "<script>"})
    assert bad_query.status_code == 422 and "查询条件中的 done：格式不正确" in bad_query.text
    assert "<script>" not in bad_query.text
    json_still = api.client.get("/api/slips/c/X1.pdf", headers=api.headers_for("dc.h4"))
    assert json_still.headers["content-type"] == "application/json"
