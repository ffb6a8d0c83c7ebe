"""/api/admin over HTTP: roles, the sysadmin's unit subtree, account changes, the policy.

The two-administrator rule (三员) itself is tested in test_admin_approval.py."""

from typing import Any

import pytest

from tests.support.api_support import PASSWORD, Api, bearer


def admin_token(api: Api, role: str = "sysadmin", unit_code: str = "110000") -> dict[str, str]:
    """Headers of a logged-in administrator with TOTP enrolled."""
    return api.headers_for(f"{role}.{unit_code}", role=role, unit_code=unit_code)


def approved(api: Api, asked: Any, unit_code: str = "110000") -> dict[str, Any]:
    """Approve the request of the answer `asked` as a secadmin of `unit_code` (made once)."""
    assert asked.status_code == 202, asked.text
    username = f"secadmin.{unit_code}"
    if username not in api.sessions:
        api.sessions[username] = admin_token(api, "secadmin", unit_code)
    path = f"/api/admin/account-requests/{asked.json()['id']}/approve"
    answer = api.client.post(path, headers=api.sessions[username])
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def new_user(**changes: str) -> dict[str, str]:
    body = {
        "username": "li.na",
        "display_name": "李娜",
        "unit_code": "110101",
        "role": "handler",
        "password": "Initial-Pass-1",
    }
    return body | changes


def test_a_clerk_is_refused_every_admin_endpoint(api: Api) -> None:
    headers = api.headers_for("wang.li", role="clerk")

    assert api.client.get("/api/admin/users", headers=headers).status_code == 403
    assert api.client.post("/api/admin/users", json=new_user(), headers=headers).status_code == 403
    assert api.client.patch("/api/admin/users/wang.li", json={}, headers=headers).status_code == 403
    assert api.client.get("/api/admin/password-policy", headers=headers).status_code == 403
    assert api.client.get("/api/admin/account-requests", headers=headers).status_code == 403
    for decision in ("approve", "refuse"):
        path = f"/api/admin/account-requests/1/{decision}"
        assert api.client.post(path, headers=headers).status_code == 403


def test_a_sysadmin_asks_for_a_user_below_their_unit_and_a_secadmin_approves(api: Api) -> None:
    headers = admin_token(api)

    asked = api.client.post("/api/admin/users", json=new_user(), headers=headers)

    assert asked.status_code == 202, asked.text
    assert (asked.json()["unit_code"], asked.json()["status"]) == ("110101", "pending")
    assert asked.json()["display_name"] == "李娜"
    assert api.login("li.na", "Initial-Pass-1").status_code == 401  # not before the approval
    assert approved(api, asked)["status"] == "approved"
    answer = api.login("li.na", "Initial-Pass-1").json()
    assert answer["must_change_password"] is True  # an administrator chose it


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"unit_code": "999999"}, "unit_code", "单位代码 999999 不存在"),
        ({"role": "boss"}, "role", None),
        ({"password": "weak"}, "password", "密码长度至少 10 位"),
        ({"username": "x"}, "username", None),
        ({"display_name": "李\u0000娜"}, "display_name", None),
        ({"unit_code": "11010"}, "unit_code", None),
    ],
)
def test_bad_new_user_is_422_naming_the_field(
    api: Api, changes: dict[str, str], field: str, reason: str | None
) -> None:
    headers = admin_token(api)

    response = api.client.post("/api/admin/users", json=new_user(**changes), headers=headers)

    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", field]
    if reason is not None:
        assert error["msg"] == reason


def test_a_duplicate_username_is_422(api: Api) -> None:
    headers = admin_token(api)
    approved(api, api.client.post("/api/admin/users", json=new_user(), headers=headers))

    again = api.client.post("/api/admin/users", json=new_user(), headers=headers)

    assert again.status_code == 422
    assert again.json()["detail"][0] == {
        "loc": ["body", "username"],
        "msg": "用户名 li.na 已被使用",
        "type": "value_error",
    }


def test_a_sysadmin_cannot_create_users_outside_their_subtree(api: Api) -> None:
    headers = admin_token(api)

    response = api.client.post(
        "/api/admin/users", json=new_user(unit_code="130102"), headers=headers
    )

    assert response.status_code == 403


def test_the_list_holds_only_the_subtree(api: Api) -> None:
    headers = admin_token(api, unit_code="110000")
    api.add_user("in.district", unit_code="110101")
    api.add_user("in.hebei", unit_code="130102")
    api.add_user("at.ministry", unit_code="000000")

    listed = api.client.get("/api/admin/users", headers=headers).json()

    assert [user["username"] for user in listed] == ["sysadmin.110000", "in.district"]


def test_a_sysadmin_cannot_manage_a_user_of_a_sibling_unit(api: Api) -> None:
    headers = admin_token(api, unit_code="110101")
    api.add_user("in.sibling", unit_code="110102")
    api.add_user("above", unit_code="110000")

    for username in ("in.sibling", "above", "nobody"):
        response = api.client.patch(
            f"/api/admin/users/{username}", json={"active": False}, headers=headers
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "用户不存在"}
    assert api.login("in.sibling").status_code == 200


def test_disabling_ends_sessions_and_logins(api: Api) -> None:
    headers = admin_token(api)
    api.add_user("li.na", unit_code="110101")
    token = api.token("li.na")

    response = api.client.patch("/api/admin/users/li.na", json={"active": False}, headers=headers)

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert api.client.get("/api/auth/me", headers=bearer(token)).status_code == 401
    assert api.login("li.na").status_code == 401
    api.client.patch("/api/admin/users/li.na", json={"active": True}, headers=headers)
    assert api.login("li.na").status_code == 200


def test_unlock_ends_a_lockout_early(api: Api) -> None:
    headers = admin_token(api)
    api.add_user("li.na", unit_code="110101")
    api.lock_out("li.na")
    assert api.login("li.na").status_code == 423

    response = api.client.patch("/api/admin/users/li.na", json={"unlock": True}, headers=headers)

    assert response.status_code == 200
    assert response.json()["locked_until"] is None
    assert api.login("li.na").status_code == 200


def test_a_password_reset_must_be_changed_at_next_login(api: Api) -> None:
    headers = admin_token(api)
    api.add_user("li.na", unit_code="110101")
    old_session = api.token("li.na")

    weak = api.client.patch("/api/admin/users/li.na", json={"password": "short"}, headers=headers)
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["loc"] == ["body", "password"]
    reset = api.client.patch(
        "/api/admin/users/li.na", json={"password": "Reset-Pass-2030"}, headers=headers
    )

    assert reset.json()["changes"] == ["password"]
    approved(api, reset)
    assert api.client.get("/api/auth/me", headers=bearer(old_session)).status_code == 401
    assert api.login("li.na").status_code == 401
    assert api.login("li.na", "Reset-Pass-2030").json()["must_change_password"] is True


def test_a_sysadmin_cannot_disable_themselves(api: Api) -> None:
    headers = admin_token(api)

    response = api.client.patch(
        "/api/admin/users/sysadmin.110000", json={"active": False}, headers=headers
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "active"]


def test_a_bad_username_in_the_path_is_422(api: Api) -> None:
    headers = admin_token(api)

    response = api.client.patch("/api/admin/users/a%00b", json={}, headers=headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "username"]


def test_only_the_secadmin_reads_and_sets_the_policy(api: Api) -> None:
    sysadmin = admin_token(api, role="sysadmin", unit_code="000000")
    secadmin = admin_token(api, role="secadmin", unit_code="000000")
    assert api.client.get("/api/admin/password-policy", headers=sysadmin).status_code == 403

    policy = api.client.get("/api/admin/password-policy", headers=secadmin).json()
    assert policy == {
        "min_length": 10,
        "min_kinds": 3,
        "history": 5,
        "expiry_days": 90,
        "max_failures": 5,
        "lock_minutes": 15,
        "idle_minutes": 30,
        "session_hours": 12,
        "totp_for_all": None,
    }
    stricter = policy | {"min_length": 14, "max_failures": 3}
    put = api.client.put("/api/admin/password-policy", json=stricter, headers=secadmin)
    assert put.status_code == 200
    assert api.client.get("/api/admin/password-policy", headers=secadmin).json() == stricter

    api.add_user("wang.li")
    token = api.token("wang.li")
    weak = api.client.post(
        "/api/auth/password",
        json={"old_password": PASSWORD, "new_password": "Twelve-Chars"},
        headers=bearer(token),
    )
    assert weak.json()["detail"][0]["msg"] == "密码长度至少 14 位"
    for _ in range(3):  # one address: slowed after 3
        api.login("wang.li", "Not-The-Password-1")
    assert api.login("wang.li").status_code == 429
    api.lock_out("wang.li", addresses=3, each=3)  # the account locks after 4 × 3
    assert api.login_from("198.51.100.9", "wang.li").status_code == 423


def test_a_policy_out_of_bounds_is_422_naming_the_field(api: Api) -> None:
    secadmin = admin_token(api, role="secadmin", unit_code="000000")
    policy = api.client.get("/api/admin/password-policy", headers=secadmin).json()

    response = api.client.put(
        "/api/admin/password-policy", json=policy | {"min_length": 4}, headers=secadmin
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "min_length"]
