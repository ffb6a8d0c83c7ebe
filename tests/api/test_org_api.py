"""/api/org over HTTP: importing the tree as `xueji org import` does, and units' contacts."""

from typing import Any

import pytest
from sqlmodel import col, select, update

from store.db import session_scope
from store.models import School, StaffUser, Unit
from tests.support.api_support import UNITS, Api


def tree_body() -> dict[str, list[Any]]:
    units = [{"code": c, "name": n, "level": v, "parent_code": p} for c, n, v, p in UNITS]
    units[2]["phone"] = "010-64011234"
    schools = [{"code": "1111010101", "name": "东城第一中学", "unit_code": "110101"}]
    return {"units": units, "schools": schools}


def stored(api: Api) -> tuple[dict[str, Unit], list[str]]:
    with session_scope(api.engine) as session:
        units = {u.code: u for u in session.exec(select(Unit))}
        for unit in units.values():
            session.expunge(unit)
        return units, [s.code for s in session.exec(select(School))]


def test_the_root_sysadmin_imports_a_tree(api: Api) -> None:
    headers = api.headers_for("root.admin", role="sysadmin", unit_code="000000")
    body = tree_body()
    body["units"] = [u for u in body["units"] if u["code"] != "130102"]

    response = api.client.post("/api/org/import", json=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"units": 6, "schools": 1}
    units, schools = stored(api)
    assert "130102" not in units
    assert units["110101"].phone == "010-64011234"
    assert schools == ["1111010101"]


def test_a_bad_tree_lists_every_error_with_its_position_and_changes_nothing(api: Api) -> None:
    headers = api.headers_for("root.admin", role="sysadmin", unit_code="000000")
    body = tree_body()
    body["units"][3]["level"] = "village"
    body["units"].append("not a record")
    body["schools"][0]["unit_code"] = "000000"

    response = api.client.post("/api/org/import", json=body, headers=headers)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert [error["loc"] for error in detail] == [
        ["body", "units", 3],
        ["body", "units", 7],
        ["body", "schools", 0],
    ]
    assert detail[0]["msg"].startswith("第4条记录：级别“village”无效")
    units, schools = stored(api)
    assert len(units) == len(UNITS)
    assert units["110101"].phone == ""
    assert schools == []


def test_a_tree_without_the_units_of_staff_accounts_is_refused(api: Api) -> None:
    headers = api.headers_for("root.admin", role="sysadmin", unit_code="000000")
    api.add_user("in.district", unit_code="130102")
    body = tree_body()
    body["units"] = [u for u in body["units"] if u["code"] != "130102"]

    response = api.client.post("/api/org/import", json=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "units"]
    assert "130102" in response.json()["detail"][0]["msg"]
    assert "130102" in stored(api)[0]


def test_a_tree_without_the_unit_of_faq_entries_is_refused(api: Api) -> None:
    headers = api.headers_for("root.admin", role="sysadmin", unit_code="000000")
    writer = api.headers_for("cz.handler", role="handler", unit_code="110101")
    api.client.post("/api/faq", json={"question": "问", "answer": "答"}, headers=writer)
    api.client.post("/api/auth/logout", headers=writer)
    with session_scope(api.engine) as session:  # the account moves; its entry stays
        session.exec(
            update(StaffUser).values(unit_code="110000").where(col(StaffUser.unit_code) == "110101")
        )
    body = tree_body()
    body["units"] = [u for u in body["units"] if u["code"] != "110101"]
    body["schools"] = []

    response = api.client.post("/api/org/import", json=body, headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "units"]
    assert "110101" in response.json()["detail"][0]["msg"]
    assert "常见问题解答" in response.json()["detail"][0]["msg"]
    assert "110101" in stored(api)[0]


def test_an_import_that_changes_contacts_confirms_them_then(api: Api) -> None:
    headers = api.headers_for("root.admin", role="sysadmin", unit_code="000000")
    body = tree_body()
    assert api.client.post("/api/org/import", json=body, headers=headers).status_code == 200
    first = api.clock()
    units, _ = stored(api)
    assert units["110101"].contact_confirmed_at == first  # a phone appeared
    assert units["110000"].contact_confirmed_at is None  # none published

    api.clock.advance(minutes=20)  # within the session's idle timeout
    body["units"][1]["email"] = "xfj@bjedu.example.cn"
    assert api.client.post("/api/org/import", json=body, headers=headers).status_code == 200
    units, _ = stored(api)
    assert units["110000"].contact_confirmed_at == api.clock()
    assert units["110101"].contact_confirmed_at == first  # unchanged: keeps its date


def test_only_a_sysadmin_of_the_root_unit_imports(api: Api) -> None:
    for role, unit in (("sysadmin", "110000"), ("secadmin", "000000"), ("clerk", "000000")):
        headers = api.headers_for(f"{role}.{unit}", role=role, unit_code=unit)
        response = api.client.post("/api/org/import", json=tree_body(), headers=headers)
        assert response.status_code == 403, role
    assert api.client.post("/api/org/import", json=tree_body()).status_code == 401


def test_a_sysadmin_sets_the_contacts_of_a_unit_below(api: Api) -> None:
    headers = api.headers_for("bj.admin", role="sysadmin", unit_code="110000")
    contacts = {"phone": "010-6401 1234", "email": "xfj@bjedu.example.cn"}

    response = api.client.patch("/api/org/units/110101", json=contacts, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "010-6401 1234"
    assert stored(api)[0]["110101"].email == "xfj@bjedu.example.cn"
    cleared = api.client.patch("/api/org/units/110101", json={"email": ""}, headers=headers)
    assert cleared.json() == response.json() | {"email": ""}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "call me"}, "phone"),
        ({"phone": "1" * 40}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a b@example.cn"}, "email"),
    ],
)
def test_bad_contacts_are_422_naming_the_field(api: Api, body: dict[str, str], field: str) -> None:
    headers = api.headers_for("bj.admin", role="sysadmin", unit_code="110000")

    response = api.client.patch("/api/org/units/110000", json=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]
    assert "call me" not in response.text


def test_units_outside_the_subtree_are_404(api: Api) -> None:
    headers = api.headers_for("dc.admin", role="sysadmin", unit_code="110101")
    body = {"phone": "010-12345678"}

    for code in ("110102", "110000", "130102", "999999"):
        response = api.client.patch(f"/api/org/units/{code}", json=body, headers=headers)
        assert response.status_code == 404, code
    clerk = api.headers_for("clerk.one", unit_code="110101")
    assert api.client.patch("/api/org/units/110101", json=body, headers=clerk).status_code == 403
