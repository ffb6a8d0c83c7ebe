"""Changing one's password over HTTP: every policy rule, the history of five, sessions."""

from itertools import pairwise

import pytest
from sqlmodel import select

from store import accounts
from store.accounts import reset_password
from store.db import session_scope
from store.models import PasswordHistory, StaffUser
from tests.support.api_support import PASSWORD, Api, bearer


@pytest.fixture
def api(api: Api) -> Api:
    """The app with the account wang.li."""
    api.add_user("wang.li")
    return api


def change(api: Api, token: str, old: str, new: str) -> tuple[int, list[str]]:
    response = api.client.post(
        "/api/auth/password",
        json={"old_password": old, "new_password": new},
        headers=bearer(token),
    )
    if response.status_code != 422:
        return response.status_code, []
    detail = response.json()["detail"]
    return 422, [f"{error['loc'][-1]}: {error['msg']}" for error in detail]


@pytest.mark.parametrize(
    ("new_password", "reason"),
    [
        ("Short-1a", "密码长度至少 10 位"),
        ("onlylowercase99", "密码须包含小写字母、大写字母、数字、符号中的至少 3 类"),
        ("Hello-WANG.LI-1", "密码不得包含用户名"),
        (PASSWORD, "新密码不得与原密码相同"),
    ],
)
def test_a_weak_password_is_422_on_new_password(api: Api, new_password: str, reason: str) -> None:
    token = api.token("wang.li")

    assert change(api, token, PASSWORD, new_password) == (422, [f"new_password: {reason}"])


def test_the_old_password_must_be_right(api: Api) -> None:
    token = api.token("wang.li")

    status, reasons = change(api, token, "Not-The-Password-1", "Brand-New-Pass-8")

    assert (status, reasons) == (422, ["old_password: 原密码不正确"])
    assert api.login("wang.li").status_code == 200


def test_none_of_the_last_five_passwords_may_return(api: Api) -> None:
    token = api.token("wang.li")
    passwords = [PASSWORD] + [f"Next-Password-{n}" for n in range(1, 6)]
    for old, new in pairwise(passwords[:5]):
        assert change(api, token, old, new) == (204, [])

    # Current: Next-Password-4; the last five are the first one and Next-Password-1..4.
    assert change(api, token, passwords[4], PASSWORD) == (
        422,
        ["new_password: 不得与最近 5 次使用过的密码相同"],
    )
    assert change(api, token, passwords[4], passwords[5]) == (204, [])
    assert change(api, token, passwords[5], PASSWORD) == (204, [])  # now six changes back
    assert api.login("wang.li").status_code == 200


def test_a_change_revokes_the_other_sessions_only(api: Api) -> None:
    this, other = api.token("wang.li"), api.token("wang.li")

    assert change(api, this, PASSWORD, "Brand-New-Pass-8") == (204, [])

    assert api.client.get("/api/auth/me", headers=bearer(this)).status_code == 200
    assert api.client.get("/api/auth/me", headers=bearer(other)).status_code == 401
    assert api.login("wang.li").status_code == 401
    assert api.login("wang.li", "Brand-New-Pass-8").status_code == 200


def test_a_missing_field_is_422_naming_it(api: Api) -> None:
    token = api.token("wang.li")

    response = api.client.post(
        "/api/auth/password", json={"old_password": PASSWORD}, headers=bearer(token)
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "new_password"]


def test_no_more_old_password_hashes_are_kept_than_a_policy_can_check(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert accounts.PASSWORD_HISTORY_MAX == 24  # the admin API's bound on the policy's history
    monkeypatch.setattr(accounts, "PASSWORD_HISTORY_MAX", 3)  # fewer slow hashes to make
    hashes = [api.user("wang.li").password_hash]
    for n in range(4):
        with session_scope(api.engine) as session:
            user = session.exec(select(StaffUser).where(StaffUser.username == "wang.li")).one()
            reset_password(session=session, user=user, password=f"Next-Pass-{n}", now=api.clock())
            hashes.append(user.password_hash)
        api.clock.advance(minutes=1)

    with session_scope(api.engine) as session:
        kept = session.exec(select(PasswordHistory.hash))
        assert sorted(kept) == sorted(hashes[-3:])  # the two oldest are gone
