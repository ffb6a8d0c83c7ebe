"""/track: the complainant's progress look-up as a plain HTML page (no login, no script), its
form posted so that the query code never sits in an address, through the real app on both
stores, beside POST /api/track."""

from datetime import date, datetime, timedelta

from sqlalchemy import text

from core.keys import DEV_LOOKUP_KEY, parse_lookup_key
from domain.ids import new_tracking_no
from domain.process import Channel, Stage
from domain.records import CaseRecord, Clock, ClockStatus
from domain.workdays import SHANGHAI
from store.db import session_scope
from store.intake import (
    WRONG_CODES_ALLOWED,
    Ticket,
    code_hash,
    legacy_code_hash,
    take_ticket,
)
from tests.support.api_support import SEALER, T0, Api
from tests.support.case_support import snapshot, write
from tests.support.html_support import PageReader

LOOKUP_KEY = parse_lookup_key(DEV_LOOKUP_KEY)  # the tests' apps run on the development key
DUE = datetime(2030, 3, 7, 23, 59, 59, tzinfo=SHANGHAI)  # 3 working days after Mon 4 March


def registered(api: Api) -> Ticket:
    with session_scope(api.engine) as session:
        return take_ticket(
            session=session,
            sealer=SEALER,
            registered_by="clerk",
            receiving_unit="130100",
            idempotency_key=None,
            request_hash="0" * 64,
            now=T0,
            lookup_key=LOOKUP_KEY,
        )


def written(api: Api, ticket: Ticket, stage: Stage, *, estimated: bool) -> None:
    """The worker's record of the case: at `stage`, its step due at DUE."""
    finished = stage is Stage.CLOSED
    case = snapshot(
        "130100",
        tracking_no=ticket.tracking_no,
        channel=Channel.PHONE,
        stage=stage,
        updated_at=T0 + timedelta(hours=2),
        due=None if finished else DUE,
        outcome="closed" if finished else "",
        public_reply="学校已为孩子补办学籍接续" if finished else "",
    )
    step = Clock(
        key="verify_issue-1",
        label="下发核查单",
        unit="130100",
        started_at=T0,
        due=DUE,
        remind_at=DUE - timedelta(days=1),
        estimated=estimated,
        status=ClockStatus.MET if finished else ClockStatus.OPEN,
    )
    write(api.engine, CaseRecord(complaint_id=ticket.complaint_id, case=case, clocks=[step]))


def look_up(api: Api, status: int = 200, **fields: str) -> PageReader:
    response = api.client.post("/track", data=fields)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<script" not in response.text
    return PageReader(response.text)


def shown(page: PageReader) -> dict[str, str]:
    """The progress table: row header → value."""
    return {header: row[0][0] for (header, _), row in zip(page.headers, page.rows, strict=True)}


def test_the_form_alone_asks_for_the_number_and_the_code(api: Api) -> None:
    response = api.client.get("/track")

    assert response.status_code == 200
    page = PageReader(response.text)
    assert page.lang == "zh-CN" and page.title.startswith("投诉办理进度查询")
    assert 'name="tracking_no"' in response.text and 'name="code"' in response.text
    assert page.rows == []
    assert 'href="/track"' in api.client.get("/directory").text  # every public page links it


def test_a_case_under_way_shows_its_step_and_deadline_marked_when_estimated(api: Api) -> None:
    ticket = registered(api)
    written(api, ticket, Stage.VERIFY_ISSUE, estimated=True)

    page = look_up(api, tracking_no=ticket.tracking_no, code=ticket.query_code)

    assert page.caption == f"受理编号 {ticket.tracking_no} 的办理进度"
    assert shown(page) == {
        "当前环节": "下发核查单",
        "办理状态": "办理中",
        "受理时间": "2030-03-04 09:00",
        "最近更新": "2030-03-04 11:00",
        "本环节办理期限": "2030-03-07 23:59（预计：该年节假日安排尚未发布，发布后按正式安排计算）",
    }
    answer = api.client.post(
        "/api/track", json={"tracking_no": ticket.tracking_no, "code": ticket.query_code}
    )
    assert answer.json()["due"] == "2030-03-07T23:59:59+08:00" and answer.json()["estimated"]
    # Staff see the same mark in their case list.
    staff = api.headers_for("sjz.handler", unit_code="130100", role="handler")
    [listed] = api.client.get("/api/complaints", headers=staff).json()["items"]
    assert (listed["due"], listed["estimated"]) == ("2030-03-07T23:59:59+08:00", True)


def test_an_official_deadline_has_no_mark_and_a_closed_case_says_so(api: Api) -> None:
    ticket = registered(api)
    written(api, ticket, Stage.VERIFY_ISSUE, estimated=False)
    params = {"tracking_no": ticket.tracking_no, "code": ticket.query_code}
    assert shown(look_up(api, **params))["本环节办理期限"] == "2030-03-07 23:59"
    staff = api.headers_for("sjz.handler", unit_code="130100", role="handler")
    [listed] = api.client.get("/api/complaints", headers=staff).json()["items"]
    assert listed["estimated"] is False

    written(api, ticket, Stage.CLOSED, estimated=False)

    closed = shown(look_up(api, **params))
    assert (closed["当前环节"], closed["办理状态"]) == ("办结", "已办结，处理结果已告知投诉人")
    assert closed["处理结果"] == "学校已为孩子补办学籍接续"  # the public reply, unsealed
    assert "本环节办理期限" not in closed


def test_a_complaint_not_yet_under_way_shows_as_registered(api: Api) -> None:
    ticket = registered(api)

    page = look_up(api, tracking_no=ticket.tracking_no, code=ticket.query_code)

    assert shown(page) == {
        "当前环节": "受理",
        "办理状态": "办理中",
        "受理时间": "2030-03-04 09:00",
        "最近更新": "2030-03-04 09:00",
    }


def test_wrong_or_malformed_input_says_which_field_and_why(api: Api) -> None:
    ticket = registered(api)
    wrong_code = "000000" if ticket.query_code != "000000" else "111111"

    def problem(status: int, **fields: str) -> str:
        response = api.client.post("/track", data=fields)
        assert response.status_code == status, response.text
        assert PageReader(response.text).rows == []  # no progress shown
        start = response.text.index('<p role="alert">') + len('<p role="alert">')
        return response.text[start : response.text.index("</p>", start)]

    assert problem(404, tracking_no=ticket.tracking_no, code=wrong_code) == "受理编号或查询码不正确"
    assert problem(422, tracking_no="2030-XYZ", code=ticket.query_code).startswith("受理编号无效：")
    assert problem(422, tracking_no=ticket.tracking_no, code="12ab") == "查询码无效：应为 6 位数字"
    assert problem(422, tracking_no=ticket.tracking_no) == "查询码无效：应为 6 位数字"
    # What was typed is shown as text, never as markup.
    typed = api.client.post("/track", data={"tracking_no": '"><b>x', "code": "123456"})
    assert '"><b>x' not in typed.text and "&#34;&gt;&lt;b&gt;x" in typed.text


def test_too_many_wrong_codes_for_a_number_wait_a_day_on_the_page_and_the_api(api: Api) -> None:
    ticket = registered(api)
    wrong = "000000" if ticket.query_code != "000000" else "111111"
    for guess in range(WRONG_CODES_ALLOWED):  # from the page and the API alike
        if guess % 2:
            look_up(api, 404, tracking_no=ticket.tracking_no, code=wrong)
        else:
            answer = api.client.post(
                "/api/track", json={"tracking_no": ticket.tracking_no, "code": wrong}
            )
            assert answer.status_code == 404
        api.clock.advance(minutes=1)
    api.clock.advance(hours=2)

    # The right code waits as well: the guesses are counted per number, not per address.
    right = {"tracking_no": ticket.tracking_no, "code": ticket.query_code}
    page = api.client.post("/track", data=right)
    message = "该受理编号的查询码输错次数过多，请于 2030-03-05 09:00 后再试，或致电受理单位查询"
    assert page.status_code == 429 and message in page.text
    assert PageReader(page.text).rows == []
    seconds = str(int(timedelta(hours=21, minutes=50).total_seconds()))
    assert page.headers["Retry-After"] == seconds
    answer = api.client.post(
        "/api/track", json={"tracking_no": ticket.tracking_no, "code": ticket.query_code}
    )
    assert (answer.status_code, answer.json()["detail"]) == (429, message)
    assert answer.headers["Retry-After"] == seconds

    api.clock.advance(hours=21, minutes=50)
    assert shown(look_up(api, **right))["当前环节"] == "受理"


def test_a_number_no_complaint_has_is_answered_and_limited_exactly_like_one_that_exists(
    api: Api,
) -> None:
    ticket = registered(api)
    unknown = new_tracking_no(date(2030, 3, 4), "K7QX3M")  # well formed, no complaint has it
    assert unknown != ticket.tracking_no
    wrong = "000000" if ticket.query_code != "000000" else "111111"

    def ask(number: str, code: str) -> tuple[int, str, str | None]:
        answer = api.client.post("/api/track", json={"tracking_no": number, "code": code})
        return answer.status_code, answer.json()["detail"], answer.headers.get("Retry-After")

    for _ in range(WRONG_CODES_ALLOWED):
        assert (
            ask(ticket.tracking_no, wrong)
            == ask(unknown, wrong)
            == (
                404,
                "受理编号或查询码不正确",
                None,
            )
        )
        api.clock.advance(minutes=1)

    # Both numbers are now refused for the day, the same way: nothing tells them apart.
    used_up = "该受理编号的查询码输错次数过多，请于 2030-03-05 09:00 后再试，或致电受理单位查询"
    seconds = str(int(timedelta(hours=23, minutes=50).total_seconds()))
    assert ask(ticket.tracking_no, ticket.query_code) == (429, used_up, seconds)
    assert ask(unknown, ticket.query_code) == (429, used_up, seconds)
    page = api.client.post("/track", data={"tracking_no": unknown, "code": wrong})
    assert page.status_code == 429 and used_up in page.text


def test_the_old_address_with_the_code_in_it_looks_nothing_up(api: Api) -> None:
    ticket = registered(api)
    right = {"tracking_no": ticket.tracking_no, "code": ticket.query_code}

    for _ in range(WRONG_CODES_ALLOWED + 1):  # were these look-ups, the right code would work
        page = api.client.get("/track", params=right)
        assert page.status_code == 200 and PageReader(page.text).rows == []
        assert "查询码不再放在网址中" in page.text
        assert f'value="{ticket.tracking_no}"' in page.text  # the number, kept for the form
        assert ticket.query_code not in page.text
        old = api.client.get(f"/api/track/{ticket.tracking_no}", params={"code": "000000"})
        assert old.status_code == 410 and "POST /api/track" in old.json()["detail"]
    with session_scope(api.engine) as session:  # nothing was counted
        assert session.execute(text("SELECT count(*) FROM track_guess")).scalar_one() == 0

    assert shown(look_up(api, **right))["当前环节"] == "受理"
    form = api.client.get("/track")
    assert 'method="post" action="/track"' in form.text


def test_the_query_code_is_kept_as_a_keyed_hash_and_an_old_plain_one_still_opens(
    api: Api,
) -> None:
    ticket, old = registered(api), registered(api)

    def stored(number: str) -> str:
        with session_scope(api.engine) as session:
            query = text("SELECT query_code_hash FROM complaint_intake WHERE tracking_no = :n")
            return str(session.execute(query, {"n": number}).scalar_one())

    # Keyed: without the lookup key, the million codes cannot be tried against the hash.
    assert stored(ticket.tracking_no) == code_hash(
        ticket.tracking_no, ticket.query_code, LOOKUP_KEY
    )
    assert stored(ticket.tracking_no) != legacy_code_hash(ticket.tracking_no, ticket.query_code)
    assert stored(ticket.tracking_no).startswith("h1:")

    # A hash written before the key (plain SHA-256) still opens, and is keyed at that moment.
    plain = legacy_code_hash(old.tracking_no, old.query_code)
    with session_scope(api.engine) as session:
        session.execute(
            text("UPDATE complaint_intake SET query_code_hash = :h WHERE tracking_no = :n"),
            {"h": plain, "n": old.tracking_no},
        )
        session.commit()
    wrong = "000000" if old.query_code != "000000" else "111111"
    assert look_up(api, 404, tracking_no=old.tracking_no, code=wrong).rows == []
    assert stored(old.tracking_no) == plain
    assert (
        shown(look_up(api, tracking_no=old.tracking_no, code=old.query_code))["当前环节"] == "受理"
    )
    assert stored(old.tracking_no) == code_hash(old.tracking_no, old.query_code, LOOKUP_KEY)
    assert (
        shown(look_up(api, tracking_no=old.tracking_no, code=old.query_code))["当前环节"] == "受理"
    )
