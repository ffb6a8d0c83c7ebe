"""School accounts over HTTP: a sysadmin of a unit above the school makes them, and a school
works only the slips addressed to it, never the case (DESIGN §7). The real app, a real worker
on the dev server, a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from store.db import engine_for, session_scope
from store.models import CaseAccess
from tests.support.demo import CHANG_AN, CHANG_AN_SCHOOL, CITY, QIAO_XI, QIAO_XI_SCHOOL
from tests.support.http_support import COMPLAINT, PASSWORD, System, register, visible
from tests.support.waiting import eventually

OTHER_CHANG_AN_SCHOOL = "2130102002"  # 长安区第二中学
FIRST_PASSWORD = "Initial-Pass-1"  # chosen by the sysadmin, changed at the first login


def add_sysadmin(system: System, username: str, unit_code: str) -> None:
    """A sysadmin, and a secadmin of the same unit who approves its requests (三员), with
    TOTP enrolled, signed in (past the login's limit per address)."""
    system.add_account(username, unit_code=unit_code, role="sysadmin", totp=True)
    system.open_session(username)
    secadmin = username.replace("sysadmin", "secadmin")
    system.add_account(secadmin, unit_code=unit_code, role="secadmin", totp=True)
    system.open_session(secadmin)


async def approved(system: System, admin: str, asked: Any) -> Any:
    """The account request answered by `asked`, approved by `admin`'s secadmin."""
    assert asked.status_code == 202, asked.text
    secadmin = admin.replace("sysadmin", "secadmin")
    path = f"/api/admin/account-requests/{asked.json()['id']}/approve"
    answer = await system.http.post(path, headers=system.as_(secadmin))
    assert answer.status_code == 200, answer.text
    return answer


def school_user(username: str, role: str, unit_code: str = CHANG_AN_SCHOOL) -> dict[str, str]:
    return {
        "username": username,
        "display_name": "长安区第一中学学籍管理员",
        "unit_code": unit_code,
        "role": role,
        "password": FIRST_PASSWORD,
    }


async def add_school_account(
    system: System, admin: str, username: str, role: str, *, log_in: bool = False
) -> None:
    """The account made by `admin` over the API and signed in: with `log_in`, by the login
    itself, changing the first password as the login asks (the rest of the system's users
    have already used most of the logins one address may make in a minute)."""
    await approved(
        system, admin, await system.post(admin, "/api/admin/users", school_user(username, role))
    )
    if not log_in:
        system.open_session(username)
        return
    login = {"username": username, "password": FIRST_PASSWORD}
    answer = await system.http.post("/api/auth/login", json=login)
    assert answer.status_code == 200 and answer.json()["must_change_password"], answer.text
    system.tokens[username] = answer.json()["token"]
    change = {"old_password": FIRST_PASSWORD, "new_password": PASSWORD}
    assert (await system.post(username, "/api/auth/password", change)).status_code == 204


async def test_a_sysadmin_of_a_unit_above_the_school_makes_its_accounts(system: System) -> None:
    add_sysadmin(system, "ca_sysadmin", CHANG_AN)
    add_sysadmin(system, "qx_sysadmin", QIAO_XI)

    outside = await system.post("qx_sysadmin", "/api/admin/users", school_user("yz.1", "handler"))
    assert outside.status_code == 403, outside.text  # another county's school
    for changes, field, words in [
        ({"role": "leader"}, "role", "学校账号的角色只能是 clerk、handler"),
        ({"role": "sysadmin"}, "role", "学校账号的角色只能是 clerk、handler"),
        ({"unit_code": "2130102999"}, "unit_code", "学校标识码 2130102999 不存在"),
        ({"unit_code": "213010200"}, "unit_code", None),
    ]:
        body = school_user("yz.1", "handler") | changes
        refused = await system.post("ca_sysadmin", "/api/admin/users", body)
        assert refused.status_code == 422, refused.text
        error = refused.json()["detail"][0]
        assert error["loc"] == ["body", field]
        assert words is None or words in error["msg"]

    asked = await system.post("ca_sysadmin", "/api/admin/users", school_user("yz.1", "handler"))
    made = await approved(system, "ca_sysadmin", asked)
    assert (made.json()["unit_code"], made.json()["role"]) == (CHANG_AN_SCHOOL, "handler")
    listed = (await system.get("ca_sysadmin", "/api/admin/users")).json()
    assert "yz.1" in [user["username"] for user in listed]
    listed = (await system.get("qx_sysadmin", "/api/admin/users")).json()
    assert "yz.1" not in [user["username"] for user in listed]
    unlock = {"unlock": True}
    assert (await patch(system, "qx_sysadmin", "/api/admin/users/yz.1", unlock)).status_code == 404
    assert (await patch(system, "ca_sysadmin", "/api/admin/users/yz.1", unlock)).status_code == 200


async def patch(system: System, username: str, path: str, body: Any) -> Any:
    return await system.http.patch(path, json=body, headers=system.as_(username))


async def test_a_school_works_only_the_slips_addressed_to_it(system: System) -> None:
    add_sysadmin(system, "ca_sysadmin", CHANG_AN)
    await add_school_account(system, "ca_sysadmin", "yz.handler", "handler", log_in=True)
    await add_school_account(system, "ca_sysadmin", "yz.clerk", "clerk")

    # Case A, handled by the city: a verification slip to the school, through 长安区.
    case_a = (await register(system))["id"]
    await visible(system, "sjz_handler", case_a)
    verification = {"addressees": [CHANG_AN_SCHOOL], "instructions": "请核查该生学籍登记"}
    issued = await system.post(
        "sjz_handler", f"/api/complaints/{case_a}/verification", verification
    )
    assert issued.status_code == 200, issued.text
    # Case B, another of the county's cases: its slip goes to another school of 长安区.
    case_b = (await register(system, {**COMPLAINT, "school_codes": [OTHER_CHANG_AN_SCHOOL]}))["id"]
    await visible(system, "ca_handler", case_b)
    path = f"/api/complaints/{case_b}/verification"
    outside = {"addressees": [QIAO_XI_SCHOOL], "instructions": "请核查"}
    refused = await system.post("ca_handler", path, outside)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["body", "addressees", 0]
    assert QIAO_XI_SCHOOL in refused.json()["detail"][0]["msg"]
    other = {"addressees": [OTHER_CHANG_AN_SCHOOL], "instructions": "请核查"}
    issued = await system.post("ca_handler", path, other)
    assert issued.status_code == 200, issued.text

    async def listed_slips() -> list[tuple[str, str]]:
        slips = (await system.get("yz.handler", "/api/slips")).json()
        return [(slip["complaint_id"], slip["slip_id"]) for slip in slips]

    await eventually(listed_slips, failure="the school never saw its slip")
    assert await listed_slips() == [(case_a, "V1")]
    slip = (await system.get("yz.clerk", f"/api/slips/{case_a}/V1")).json()
    assert (slip["addressee"], slip["instructions"]) == (CHANG_AN_SCHOOL, "请核查该生学籍登记")
    assert slip["route"] == [CITY, CHANG_AN, CHANG_AN_SCHOOL]
    pdf = await system.get("yz.handler", f"/api/slips/{case_a}/V1.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for path in (f"/api/slips/{case_b}/V1", f"/api/slips/{case_b}/V1.pdf"):
        assert (await system.get("yz.handler", path)).status_code == 404

    # The case itself, and every other case route, stays closed to the school.
    for case_id in (case_a, case_b):
        assert (await system.get("yz.handler", f"/api/complaints/{case_id}")).status_code == 404
    refused = await system.get("yz.handler", "/api/complaints")
    assert refused.status_code == 403 and "/api/slips" in refused.json()["detail"]
    case = f"/api/complaints/{case_a}"
    for path, body in [
        ("/api/complaints", COMPLAINT),
        (case + "/verification", verification),
        (case + "/dispute", {"proposed_unit": CHANG_AN}),
        (case + "/withdrawal", {"reason": "撤回"}),
        ("/api/codec/decode", {"payloads": []}),
        ("/api/faq", {"question": "问", "answer": "答"}),
    ]:
        assert (await system.post("yz.handler", path, body)).status_code == 403, path
    for path in ("/api/campaigns", "/api/faq/unit"):
        assert (await system.get("yz.handler", path)).status_code == 403, path
    assert (await system.get("yz.handler", "/api/schools", q="长安")).status_code == 403

    # The bureaus in between still see the case; the school's code never gets to.
    await visible(system, "ca_handler", case_a)
    engine = engine_for(system.settings)
    with session_scope(engine) as session:
        units = set(session.exec(select(CaseAccess.unit_code)))
    engine.dispose()
    assert CHANG_AN in units and not units & {CHANG_AN_SCHOOL, OTHER_CHANG_AN_SCHOOL}

    answer = {"response": "经核查，该生学籍登记属实"}
    not_ours = await system.post("yz.handler", f"/api/complaints/{case_b}/slips/V1/return", answer)
    assert not_ours.status_code == 404
    by_clerk = await system.post("yz.clerk", f"{case}/slips/V1/return", answer)
    assert by_clerk.status_code == 403
    returned = await system.post("yz.handler", f"{case}/slips/V1/return", answer)
    assert returned.status_code == 200, returned.text
    assert (returned.json()["slip_id"], returned.json()["status"]) == ("V1", "returned")
    assert "stage" not in returned.json()  # the slip, not the case

    async def moved_on() -> bool:
        detail = (await system.get("sjz_handler", case)).json()
        return bool(detail["stage"] == "opinion")

    await eventually(moved_on, failure="the case never moved on to the opinion")
    slip = (await system.get("yz.handler", f"/api/slips/{case_a}/V1")).json()
    assert (slip["status"], slip["response"]) == ("returned", "经核查，该生学籍登记属实")
