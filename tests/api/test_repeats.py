"""Repeat complaints (重复件) and linked cases (关联案件) over HTTP, on both stores: a
registration that may repeat a case is refused (409) with the matches until it is joined to
one or registered as new with a reason; a match outside the clerk's jurisdiction shows only
that it exists; joining adds to the case's record and starts nothing; staff link two cases.

The cases are written straight into the store (Temporal is down: nothing here needs it)."""

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, func, select

from domain.orgtree import OrgTree
from domain.process import Channel, Stage
from domain.records import CaseRecord, Complainant, Outcome, Registration, Student
from store.db import session_scope
from store.intake import Ticket
from store.models import CaseRepeat, Intake
from store.org import replace_tree
from tests.support.api_support import UNITS, Api
from tests.support.case_support import SEALER, T0, registered_only, snapshot, write

CHANG_AN, CITY, DONG_CHENG = "130102", "130100", "110101"
SCHOOL, CITY_SCHOOL = "1301020001", "1301000001"
SCHOOLS = [
    (SCHOOL, "长安区第一小学", CHANG_AN),
    (CITY_SCHOOL, "石家庄市第二中学", CITY),
    ("1101010001", "东城区第一小学", DONG_CHENG),
]
PHONE, OTHER_PHONE = "13812345678", "13900001111"
OPEN, RECENT, OLD, WITHDRAWN, CITY_ONLY, CITY_CASE = (
    "c-open",
    "c-closed-recent",
    "c-closed-old",
    "c-withdrawn",
    "c-city-school",
    "c-city-handled",
)
CALL = {
    "channel": "phone",
    "complainant": {"name": "张晓明", "phone": "138 1234 5678"},
    "students": [{"name": "王小红"}],
    "school_codes": [SCHOOL],
    "summary": "孩子的学籍还是没有转出",
}


@pytest.fixture
def api(api: Api) -> Api:
    """Cases about 长安区第一小学 at every step: open (PHONE; registered, so it has a query
    code), closed 30 days ago (another phone, the same student), closed 91 days ago and
    withdrawn 5 days ago (PHONE); one of PHONE about a city school; one of PHONE about both
    schools, handled by the city, which 长安区 does not see."""
    units = [{"code": c, "name": n, "level": v, "parent_code": p} for c, n, v, p in UNITS]
    schools = [{"code": c, "name": n, "unit_code": u} for c, n, u in SCHOOLS]
    with session_scope(api.engine) as session:
        replace_tree(session=session, tree=OrgTree.from_records(units, schools))
    ticket = registered_only(api.engine, SEALER, by="ca.clerk", unit=CHANG_AN, now=T0)
    api.sessions["ticket"] = {"tracking_no": ticket.tracking_no, "code": ticket.query_code}
    case(api, ticket.complaint_id, CHANG_AN, [SCHOOL], ticket=ticket, received=10)
    api.sessions["open"] = {"id": ticket.complaint_id}
    case(api, RECENT, CHANG_AN, [SCHOOL], phone=OTHER_PHONE, ended=(Outcome.CLOSED, 30))
    case(api, OLD, CHANG_AN, [SCHOOL], students=["李雷"], ended=(Outcome.CLOSED, 91))
    case(api, WITHDRAWN, CHANG_AN, [SCHOOL], students=[], ended=(Outcome.WITHDRAWN, 5))
    case(api, CITY_ONLY, CITY, [CITY_SCHOOL])
    case(api, CITY_CASE, CITY, [SCHOOL, CITY_SCHOOL], students=["韩梅梅"])
    return api


def case(
    api: Api,
    case_id: str,
    handling: str,
    schools: list[str],
    *,
    phone: str = PHONE,
    students: list[str] | None = None,
    ended: tuple[Outcome, int] | None = None,
    received: int = 100,
    ticket: Ticket | None = None,
) -> None:
    """A case handled by `handling`, received `received` days before T0, ended (outcome,
    days before T0) or open."""
    outcome, days = ended or (Outcome.PENDING, 0)
    stage = {Outcome.CLOSED: Stage.CLOSED, Outcome.WITHDRAWN: Stage.WITHDRAWN}.get(
        outcome, Stage.VERIFY_ISSUE
    )
    snap = snapshot(
        handling,
        tracking_no=ticket.tracking_no if ticket else tracking_of(case_id),
        province="130000",
        channel=Channel.WEB,
        stage=stage,
        outcome=outcome,
        received_at=T0 - timedelta(days=received),
        updated_at=T0 - timedelta(days=days),
    )
    registration = Registration(
        complainant=Complainant(name="张晓明", phone=phone),
        content="学籍转出问题",
        school_codes=schools,
        unit_codes=[],
        students=[Student(name=n) for n in (["王小红"] if students is None else students)],
    )
    write(api.engine, CaseRecord(complaint_id=case_id, case=snap, registration=registration))


def tracking_of(case_id: str) -> str:
    return f"20300101-{case_id.upper()}"


def staff(api: Api, unit: str, role: str = "clerk") -> dict[str, str]:
    username = f"{role}.{unit}"
    if username not in api.sessions:
        api.sessions[username] = api.headers_for(username, unit_code=unit, role=role)
    return api.sessions[username]


def post(api: Api, unit: str, path: str, body: Any, status: int, **headers: str) -> Any:
    answer = api.client.post(path, json=body, headers={**staff(api, unit), **headers})
    assert answer.status_code == status, answer.text
    return answer.json()


def registered(api: Api) -> int:
    with Session(api.engine) as session:
        return session.exec(select(func.count()).select_from(Intake)).one()


def test_a_registration_lists_open_and_recently_answered_cases_and_registers_nothing(
    api: Api,
) -> None:
    before = registered(api)
    refused = post(api, CHANG_AN, "/api/complaints", CALL, 409)["detail"]

    open_id = api.sessions["open"]["id"]
    seen = [m for m in refused["matches"] if m["seen"]]
    assert [(m["id"], m["because"]) for m in seen] == [
        (open_id, ["phone", "student"]),
        (RECENT, ["student"]),  # closed 30 days ago: within the 90 days
    ]  # not OLD (answered 91 days ago), WITHDRAWN, nor CITY_ONLY (another school)
    assert seen[0]["tracking_no"] == api.sessions["ticket"]["tracking_no"]
    assert seen[1]["answered_at"] == (T0 - timedelta(days=30)).isoformat()
    assert refused["message"].startswith("这份投诉可能是已有案件的重复件")
    assert registered(api) == before

    # The city's case about the same school: 长安区 learns that it exists, and whom to ask.
    [hidden] = [m for m in refused["matches"] if not m["seen"]]
    assert hidden == {**EMPTY_MATCH, "ask_unit": CITY}


EMPTY_MATCH = {
    "seen": False,
    "id": None,
    "tracking_no": None,
    "stage": None,
    "outcome": None,
    "handling_unit": None,
    "received_at": None,
    "answered_at": None,
    "because": [],
    "ask_unit": None,
}


def test_a_clerk_elsewhere_learns_only_that_matches_exist(api: Api) -> None:
    """东城区 (Beijing) registering a call about 长安区's school: three matches, none of whose
    content it may see; the unit to ask is the Ministry (above it, never below)."""
    answer = api.client.post("/api/complaints", json=CALL, headers=staff(api, DONG_CHENG))
    assert answer.status_code == 409
    detail = answer.json()["detail"]
    assert detail["matches"] == [{**EMPTY_MATCH, "ask_unit": "000000"}] * 3
    for secret in (api.sessions["ticket"]["tracking_no"], RECENT, CHANG_AN, CITY, PHONE):
        assert secret not in answer.text


def test_registering_as_new_needs_a_reason_for_the_very_matches_shown(api: Api) -> None:
    key = post(api, CHANG_AN, "/api/complaints", CALL, 409)["detail"]["matches_key"]
    no_reason = {**CALL, "not_repeat": {"reason": "", "matches_key": key}}
    assert post(api, CHANG_AN, "/api/complaints", no_reason, 422)["detail"][0]["loc"] == [
        "body",
        "not_repeat",
        "reason",
    ]
    stale = {**CALL, "not_repeat": {"reason": "另一件事", "matches_key": "0" * 32}}
    assert post(api, CHANG_AN, "/api/complaints", stale, 409)["detail"]["matches_key"] == key
    # A case matched since: the key shown before no longer passes.
    case(api, "c-new-match", CHANG_AN, [SCHOOL], received=1)
    acknowledged = {**CALL, "not_repeat": {"reason": "另一件事", "matches_key": key}}
    again = post(api, CHANG_AN, "/api/complaints", acknowledged, 409)["detail"]
    assert "c-new-match" in [m["id"] for m in again["matches"]]
    # With the current key the check passes (and Temporal, down here, answers 503).
    current = {**CALL, "not_repeat": {"reason": "另一件事", "matches_key": again["matches_key"]}}
    post(api, CHANG_AN, "/api/complaints", current, 503)


def test_a_repeat_joins_the_case_record_and_gets_its_tracking_number(api: Api) -> None:
    open_id = api.sessions["open"]["id"]
    path = f"/api/complaints/{open_id}/repeats"
    visit = {**CALL, "channel": "visit"}
    joined = post(api, CHANG_AN, path, visit, 201, **{"Idempotency-Key": "r-1"})
    assert (joined["case_id"], joined["tracking_no"], joined["query_code"]) == (
        open_id,
        api.sessions["ticket"]["tracking_no"],
        api.sessions["ticket"]["code"],
    )
    again = post(api, CHANG_AN, path, visit, 201, **{"Idempotency-Key": "r-1"})
    assert again["repeat_id"] == joined["repeat_id"]  # a retry joins once

    detail = api.client.get(f"/api/complaints/{open_id}", headers=staff(api, CHANG_AN)).json()
    assert detail["repeats"] == 1
    [entry] = [e for e in detail["timeline"] if e["kind"] == "repeat"]
    assert (entry["text"], entry["actor"], entry["unit"]) == (
        "收到重复件（来访），并入本案办理",
        "clerk.130102",
        CHANG_AN,
    )
    assert entry["note"] == CALL["summary"]
    with Session(api.engine) as session:  # what the complainant said is only sealed
        [row] = session.exec(select(CaseRepeat)).all()
        assert b"\xe5\xad\xa6\xe7\xb1\x8d" not in row.sealed  # 学籍
    assert registered(api) == 1  # no new complaint: the open case's own ticket only

    # The oversight figures count it as a repeat, not as a case received (this month's).
    leader = staff(api, CHANG_AN, "leader")
    figures = api.client.get("/api/stats/summary", headers=leader).json()["figures"]
    assert (figures["repeats"], figures["received"]) == (1, 0)
    province = api.client.get("/api/stats/summary", headers=staff(api, "130000", "leader"))
    assert province.json()["figures"]["repeats"] == 1


def test_what_a_repeat_may_join(api: Api) -> None:
    """Not a withdrawn case, nor one answered before the window; not an unseen case."""
    for case_id, status in [
        (WITHDRAWN, 409),
        (OLD, 409),
        (RECENT, 201),
        (CITY_CASE, 404),
        ("c-nothing", 404),
    ]:
        post(api, CHANG_AN, f"/api/complaints/{case_id}/repeats", CALL, status)


def test_linked_cases_show_on_both_pages_and_hide_what_a_unit_may_not_see(api: Api) -> None:
    open_id = api.sessions["open"]["id"]
    city = staff(api, CITY, "handler")
    link = {"tracking_no": tracking_of(CITY_CASE), "reason": "同一学生"}
    answer = post(api, CITY, f"/api/complaints/{open_id}/links", link, 201)
    assert answer["linked"] and [x["id"] for x in answer["links"]] == [CITY_CASE]
    again = post(api, CITY, f"/api/complaints/{open_id}/links", link, 201)
    assert not again["linked"]

    other = api.client.get(f"/api/complaints/{CITY_CASE}", headers=city).json()
    assert [x["id"] for x in other["links"]] == [open_id]
    assert [e["note"] for e in other["timeline"] if e["kind"] == "linked"] == ["同一学生"]
    # 长安区 sees its case, and that it is linked, but not the city's case.
    county = api.client.get(f"/api/complaints/{open_id}", headers=staff(api, CHANG_AN))
    assert county.json()["links"] == [{"seen": False, "linked_at": T0.isoformat()} | NONE]
    assert link["tracking_no"] not in county.text

    refused = post(api, CHANG_AN, f"/api/complaints/{open_id}/links", link, 422)
    assert refused["detail"][0]["loc"] == ["body", "tracking_no"]
    own = {"tracking_no": api.sessions["ticket"]["tracking_no"]}
    assert post(api, CHANG_AN, f"/api/complaints/{open_id}/links", own, 422)["detail"][0][
        "msg"
    ] == ("不能与案件自身关联")


NONE = {"id": None, "tracking_no": None, "stage": None, "outcome": None}
