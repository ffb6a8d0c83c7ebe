"""Finding a case over HTTP (issue 15): the filters of GET /api/complaints, only ever within
what the caller's unit may see, and GET /api/schools for the registration form."""

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from domain.orgtree import OrgTree
from domain.process import Stage
from domain.records import CaseRecord, Complainant, Registration, Student
from store import queries
from store.db import session_scope
from store.org import replace_tree
from tests.support.api_support import PASSWORD, UNITS, Api, api_on_own_store
from tests.support.case_support import snapshot, write

# The small tree: 000000 ─ 110000 ─ 110101, 110102 ; 000000 ─ 130000 ─ 130100 ─ 130102
SCHOOLS = [
    ("1301020001", "长安区第一小学", "130102"),
    ("1301000001", "石家庄市第二中学", "130100"),
    ("1101010001", "东城区第一小学", "110101"),
]
CHANGAN, SJZ, DONGCHENG = "c-changan", "c-sjz", "c-dongcheng"
TRACKING = {CHANGAN: "20300304-K7QX3M-1", SJZ: "20300304-K7QX3N-2", DONGCHENG: "20300304-K7QX3P-3"}
PHONE = {CHANGAN: "13812345678", SJZ: "13900001111", DONGCHENG: "13700002222"}
ID_CARD = "11010519491231002X"
# Every bigram of 重复学籍 is in 石家庄市's summary, but not the four characters together.
SUMMARY = {
    CHANGAN: "转学后学籍重复登记",
    SJZ: "学生复学后学籍信息重复",
    DONGCHENG: "转学后学籍重复登记",
}
STUDENTS = {CHANGAN: ["王小红"], SJZ: ["李雷", "韩梅梅"], DONGCHENG: ["王小红"]}


def fill(api: Api) -> Api:
    """The app with schools in the tree and three cases: 长安区's, 石家庄市's (at the
    verification stage) and 东城区's."""
    units = [{"code": c, "name": n, "level": v, "parent_code": p} for c, n, v, p in UNITS]
    schools = [{"code": c, "name": n, "unit_code": u} for c, n, u in SCHOOLS]
    with session_scope(api.engine) as session:
        replace_tree(session=session, tree=OrgTree.from_records(units, schools))
    write_case(api, CHANGAN, handling="130102", school="1301020001", id_card=ID_CARD)
    write_case(api, SJZ, handling="130100", school="1301000001", stage=Stage.VERIFICATION)
    write_case(api, DONGCHENG, handling="110101", school="1101010001", id_card="")
    return api


@pytest.fixture
def api(api: Api) -> Api:
    """The filled app of the refusals, whose accounts are their own."""
    return fill(api)


def write_case(
    api: Api,
    case_id: str,
    *,
    handling: str,
    school: str,
    id_card: str = "",
    stage: Stage = Stage.VERIFY_ISSUE,
) -> None:
    case = snapshot(
        handling, tracking_no=TRACKING[case_id], province=handling[:2] + "0000", stage=stage
    )
    registration = Registration(
        complainant=Complainant(name="张晓明", phone=PHONE[case_id], id_card=id_card),
        content=SUMMARY[case_id],
        school_codes=[school],
        unit_codes=[],
        students=[Student(name=name) for name in STUDENTS[case_id]],
    )
    write(api.engine, CaseRecord(complaint_id=case_id, case=case, registration=registration))


@dataclass
class Staff:
    """Logged-in accounts of the test's app, one per unit and role, made when first asked."""

    api: Api
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def of(self, unit_code: str, role: str = "handler") -> dict[str, str]:
        username = f"{role}.{unit_code}"
        if username not in self.headers:
            self.headers[username] = self.api.headers_for(username, unit_code=unit_code, role=role)
        return self.headers[username]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def staff(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Staff]:
    """The searches only read: one filled app and store of each kind, and its staff logged in
    once, for all of them (a store, an app and logins a test took most of the module's time)."""
    with api_on_own_store(request.param, tmp_path_factory.mktemp("search")) as api:
        yield Staff(fill(api))


def found(staff: Staff, unit_code: str, **params: str) -> list[str]:
    response = staff.api.client.get("/api/complaints", params=params, headers=staff.of(unit_code))
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [CHANGAN, SJZ]),
        ({"tracking_no": TRACKING[CHANGAN].lower()}, [CHANGAN]),
        ({"school": "1301020001"}, [CHANGAN]),
        ({"school": "第二中学"}, [SJZ]),
        ({"phone": "+86 138-1234-5678"}, [CHANGAN]),
        ({"phone": PHONE[SJZ]}, [SJZ]),
        ({"id_card": ID_CARD.lower()}, [CHANGAN]),
        ({"stage": Stage.VERIFICATION.value}, [SJZ]),
        ({"handling_unit": "130102"}, [CHANGAN]),
        ({"school": "1301020001", "phone": PHONE[SJZ]}, []),
        ({"student_name": "王小红"}, [CHANGAN]),
        ({"student_name": " 韩 梅梅"}, [SJZ]),  # NFKC, spaces removed
        ({"student_name": "王小"}, []),  # the whole name, not a part
        ({"student_name": "王小红", "school": "1301000001"}, []),
        ({"q": "登记"}, [CHANGAN]),
        ({"q": "学籍重复"}, [CHANGAN]),
        ({"q": "后学籍"}, [CHANGAN, SJZ]),
        ({"q": "学籍 信息"}, [SJZ]),
        ({"q": "学籍", "stage": Stage.VERIFICATION.value}, [SJZ]),
        ({"q": "重复学籍"}, []),  # its bigrams are in SJZ's summary, apart
        ({"q": "恢复"}, []),
    ],
)
def test_each_filter_finds_its_case_and_no_other(
    staff: Staff, params: dict[str, str], expected: list[str]
) -> None:
    assert sorted(found(staff, "130000", **params)) == sorted(expected)


def test_a_case_outside_the_jurisdiction_is_never_found(staff: Staff) -> None:
    searches: list[dict[str, str]] = [
        {"tracking_no": TRACKING[DONGCHENG]},
        {"phone": PHONE[DONGCHENG]},
        {"school": "1101010001"},
        {"school": "东城区"},
    ]
    for params in searches:
        assert found(staff, "130000", **params) == [], params
        assert found(staff, "130100", **params) == [], params
        assert found(staff, "110000", **params) == [DONGCHENG], params
    assert found(staff, "130100", tracking_no=TRACKING[CHANGAN]) == [CHANGAN]
    assert found(staff, "130102", phone=PHONE[SJZ]) == []  # its superior's case


def test_a_student_or_a_text_outside_the_jurisdiction_is_never_found(staff: Staff) -> None:
    for params in [{"student_name": "王小红"}, {"q": "学籍重复登记"}, {"q": "登记"}]:
        assert found(staff, "130000", **params) == [CHANGAN], params
        assert found(staff, "110000", **params) == [DONGCHENG], params
        assert found(staff, "110102", **params) == [], params  # 东城区's sibling
    assert found(staff, "130102", q="学籍") == [CHANGAN]  # not its superior's case


@pytest.mark.parametrize("q", ["学籍", "后学籍"])  # one token; two, unsealed to check
def test_free_text_pages_count_only_the_cases_it_finds(staff: Staff, q: str) -> None:
    pages = [
        staff.api.client.get(
            "/api/complaints",
            params={"q": q, "offset": offset, "limit": 1},
            headers=staff.of("130000"),
        ).json()
        for offset in (0, 1, 2)
    ]
    assert [page["total"] for page in pages] == [2, 2, 2]
    assert [[item["id"] for item in page["items"]] for page in pages] == [[CHANGAN], [SJZ], []]


@pytest.mark.parametrize("q", ["", " ", "学", "，。"])
def test_a_free_text_under_two_characters_is_422_naming_q(api: Api, q: str) -> None:
    headers = api.headers_for("wang.li", unit_code="130000", role="clerk")
    response = api.client.get("/api/complaints", params={"q": q}, headers=headers)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["query", "q"]]


def test_an_unknown_parameter_is_422_naming_it(api: Api) -> None:
    headers = api.headers_for("wang.li", unit_code="130000", role="clerk")
    params = {"tracking_number": TRACKING[CHANGAN]}
    response = api.client.get("/api/complaints", params=params, headers=headers)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "tracking_number"]
    assert error["msg"] == "未知的查询参数：tracking_number"


@pytest.mark.parametrize(("name", "value"), [("phone", "12345"), ("id_card", "110105194912310021")])
def test_an_invalid_number_is_422_naming_the_field(api: Api, name: str, value: str) -> None:
    headers = api.headers_for("wang.li", unit_code="130000", role="clerk")
    response = api.client.get("/api/complaints", params={name: value}, headers=headers)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", name]]


def schools(staff: Staff, unit_code: str, **params: str) -> list[str]:
    headers = staff.of(unit_code, "clerk")
    response = staff.api.client.get("/api/schools", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [school["code"] for school in response.json()]


def test_schools_by_name_and_by_code_within_the_caller_province(staff: Staff) -> None:
    assert schools(staff, "130102", q="第一小学") == ["1301020001"]
    assert schools(staff, "130000", q="1301") == ["1301000001", "1301020001"]
    assert schools(staff, "130100", q="1101") == []
    assert schools(staff, "110101", q="第一小学") == ["1101010001"]


def test_the_ministry_finds_schools_nationally(staff: Staff) -> None:
    assert schools(staff, "000000", q="第一小学") == ["1101010001", "1301020001"]
    headers = staff.of("000000", "clerk")
    [school] = staff.api.client.get("/api/schools", params={"q": "石家庄"}, headers=headers).json()
    assert school == {
        "code": "1301000001",
        "name": "石家庄市第二中学",
        "unit_code": "130100",
        "unit_name": "石家庄市教育局",
    }


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": " "}, {"q": "学" * 51}, {"x": "1"}])
def test_schools_need_a_q_of_1_to_50_characters(api: Api, params: dict[str, str]) -> None:
    headers = api.headers_for("wang.li", unit_code="130000", role="clerk")
    response = api.client.get("/api/schools", params=params, headers=headers)
    assert response.status_code == 422, response.text


def test_only_case_staff_find_schools(api: Api) -> None:
    headers = api.headers_for("audit.one", unit_code="130000", role="auditor")
    response = api.client.get("/api/schools", params={"q": "长安"}, headers=headers)
    assert response.status_code == 403


def test_the_total_is_capped_and_says_so_in_the_api_and_the_console(
    staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond COUNT_CAP (10,000; 1 here) the list says `total_capped` and the console
    "1+ 件" with a next page, instead of counting every case for each page."""
    monkeypatch.setattr(queries, "COUNT_CAP", 1)

    def listed(**params: str | int) -> tuple[int, bool, list[str]]:
        response = staff.api.client.get(
            "/api/complaints", params={"limit": 1, **params}, headers=staff.of("130000")
        )
        body = response.json()
        return body["total"], body["total_capped"], [item["id"] for item in body["items"]]

    assert listed() == (1, True, [CHANGAN])
    assert listed(offset=1) == (1, True, [SJZ])
    assert listed(q="后学籍") == (1, True, [CHANGAN])
    assert listed(stage=Stage.VERIFICATION.value) == (1, False, [SJZ])
    staff.api.add_user("sjz.leader", unit_code="130000", role="leader")
    console = TestClient(staff.api.client.app, base_url="http://testserver")
    with console:
        form = {"username": "sjz.leader", "password": PASSWORD, "next": "/console"}
        assert console.post("/console/login", data=form, follow_redirects=False).is_redirect
        page = console.get("/console/cases").text
        assert "共找到 1+ 件" in page and "共 1+ 页" in page
        assert 'offset=50" rel="next"' in page
