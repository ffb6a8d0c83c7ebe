"""Login, lockout, expiry, idle timeout and logout, over HTTP on both stores."""

import hashlib
import logging
import subprocess
import sys
from collections.abc import Callable
from functools import partial

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from api.main import create_app
from api.routes.auth import LOGIN_FAILED
from store.db import session_scope
from store.logins import LOCK_FACTOR
from store.models import StaffSession
from tests.support.api_support import PASSWORD, Api, bearer


def test_login_returns_a_token_that_identifies_the_user(api: Api) -> None:
    api.add_user("wang.li", unit_code="110101", role="handler")

    response = api.login("wang.li")

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["expires_after_idle_minutes"] == 30
    assert answer["must_change_password"] is False
    assert answer["must_enrol_totp"] is False
    assert answer["user"] == {
        "username": "wang.li",
        "display_name": "wang.li",
        "unit_code": "110101",
        "role": "handler",
    }
    me = api.client.get("/api/auth/me", headers=bearer(answer["token"]))
    assert me.status_code == 200
    assert me.json()["user"]["username"] == "wang.li"


def test_wrong_password_and_unknown_user_get_the_same_answer(api: Api) -> None:
    api.add_user("wang.li")

    wrong_password = api.login("wang.li", "Not-The-Password-1")
    unknown_user = api.login("nobody", PASSWORD)

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert wrong_password.json() == unknown_user.json() == {"detail": LOGIN_FAILED}
    assert wrong_password.headers["WWW-Authenticate"] == "Bearer"


def test_a_disabled_user_gets_the_generic_answer(api: Api) -> None:
    api.add_user("wang.li")
    with session_scope(api.engine) as session:
        user = api.user("wang.li")
        user.active = False
        session.add(user)

    response = api.login("wang.li")

    assert (response.status_code, response.json()) == (401, {"detail": LOGIN_FAILED})


def from_address(api: Api, address: str) -> Callable[..., httpx.Response]:
    return partial(api.login_from, address)


def test_five_failures_slow_that_address_for_fifteen_minutes_not_the_owner(api: Api) -> None:
    api.add_user("wang.li")
    for _ in range(4):
        assert api.login("wang.li", "Not-The-Password-1").status_code == 401

    fifth = api.login("wang.li", "Not-The-Password-1")
    assert fifth.status_code == 429
    assert fifth.json()["detail"] == "登录失败次数过多，请于 2030-03-04 09:15（北京时间）后再试"
    assert fifth.headers["Retry-After"] == "900"
    # The owner, from their own address, signs in: one address cannot lock the account.
    assert from_address(api, "198.51.100.9")("wang.li").status_code == 200
    assert api.user("wang.li").locked_until is None

    api.clock.advance(minutes=14, seconds=59)
    slowed = api.login("wang.li")  # even the right password: nothing is checked
    assert (slowed.status_code, slowed.headers["Retry-After"]) == (429, "1")
    api.clock.advance(seconds=1)
    assert api.login("wang.li").status_code == 200


def test_an_address_is_slowed_before_it_can_lock_and_a_restart_keeps_it(api: Api) -> None:
    """Guessing on: the address stays refused, the account stays open to its owner, and the
    failures are in the store, not in the process."""
    api.add_user("wang.li")
    answers = []
    for _ in range(30):
        answers.append(api.login("wang.li", "Not-The-Password-1").status_code)
        api.clock.advance(seconds=20)
    # 5 tried in the first 100 seconds, then refused until the first of them is 15 minutes old.
    assert answers[:5] == [401] * 4 + [429] and set(answers[5:]) == {429}
    assert api.user("wang.li").locked_until is None
    assert from_address(api, "198.51.100.9")("wang.li").status_code == 200

    restarted = TestClient(create_app(api.client.app.state.settings, clock=api.clock))
    with restarted:  # a new process on the same store: the address is still refused
        body = {"username": "wang.li", "password": PASSWORD, "totp_code": None}
        refused = restarted.post("/api/auth/login", json=body)
        assert (refused.status_code, refused.json()["detail"][:8]) == (429, "登录失败次数过多")


def test_an_address_failing_for_many_names_is_refused_for_all(api: Api) -> None:
    api.add_user("wang.li")
    state = api.client.app.state  # the per-process limit (10 a minute) would come first
    state.settings = state.settings.model_copy(update={"login_rate_limit": "100/minute"})
    names = [f"name{n}" for n in range(LOCK_FACTOR * 5)]
    answers = [api.login(name, "Not-The-Password-1").status_code for name in names]
    assert answers == [401] * (len(names) - 1) + [429]
    refused = api.login("wang.li")  # no more names from here
    assert refused.json()["detail"] == "登录失败次数过多，请于 2030-03-04 09:15（北京时间）后再试"
    assert from_address(api, "198.51.100.9")("wang.li").status_code == 200


def test_failures_from_many_addresses_lock_the_account_for_fifteen_minutes(api: Api) -> None:
    api.add_user("wang.li")
    owner = from_address(api, "198.51.100.9")
    answers = []
    for n in range(LOCK_FACTOR):
        attacker = from_address(api, f"203.0.113.{n + 1}")
        answers += [attacker("wang.li", "Not-The-Password-1").status_code for _ in range(5)]
    assert answers == ([401] * 4 + [429]) * (LOCK_FACTOR - 1) + [401] * 4 + [423]

    locked = owner("wang.li")  # even the right password, from anywhere
    assert locked.status_code == 423
    assert (
        locked.json()["detail"]
        == "账号因连续登录失败已被锁定，请于 2030-03-04 09:15（北京时间）后再试"
    )
    api.clock.advance(minutes=14, seconds=59)
    assert owner("wang.li").status_code == 423
    api.clock.advance(seconds=1)
    assert owner("wang.li").status_code == 200


def test_a_name_without_an_account_answers_and_locks_exactly_as_an_account(api: Api) -> None:
    """Whether an account exists is not told by the answers, however often one tries."""
    api.add_user("wang.li")
    answers = {}
    for name in ("wang.li", "nobody"):
        tries = []
        for n in range(LOCK_FACTOR):
            attacker = from_address(api, f"203.0.113.{n + 1}")
            tries += [attacker(name, "Not-The-Password-1") for _ in range(5)]
        tries.append(from_address(api, "198.51.100.9")(name, PASSWORD))
        answers[name] = [(t.status_code, t.json(), t.headers.get("Retry-After")) for t in tries]
    assert answers["wang.li"] == answers["nobody"]
    statuses = [status for status, _, _ in answers["nobody"]]
    assert statuses == ([401] * 4 + [429]) * (LOCK_FACTOR - 1) + [401] * 4 + [423, 423]


def test_a_right_password_without_the_dynamic_code_tells_nothing(api: Api) -> None:
    secret = api.add_user("wang.li", totp=True)
    assert secret is not None
    without_code = api.login("wang.li")
    wrong_password = api.login("wang.li", "Not-The-Password-1")
    assert (without_code.status_code, without_code.json()) == (
        wrong_password.status_code,
        wrong_password.json(),
    )
    assert without_code.json() == {"detail": LOGIN_FAILED}


def test_a_success_resets_the_failure_count(api: Api) -> None:
    api.add_user("wang.li")
    for _ in range(4):
        api.login("wang.li", "Not-The-Password-1")
    assert api.login("wang.li").status_code == 200
    for _ in range(4):
        assert api.login("wang.li", "Not-The-Password-1").status_code == 401
    assert api.login("wang.li").status_code == 200


def test_after_ninety_days_the_session_may_only_change_the_password(api: Api) -> None:
    api.add_user("wang.li")
    api.clock.advance(days=89, hours=23)
    assert api.login("wang.li").json()["must_change_password"] is False
    api.clock.advance(hours=1)

    answer = api.login("wang.li").json()

    assert answer["must_change_password"] is True
    headers = bearer(answer["token"])
    refused = api.client.get("/api/admin/users", headers=headers)
    assert refused.status_code == 403
    assert "修改密码" in refused.json()["detail"]
    assert api.client.get("/api/auth/me", headers=headers).json()["must_change_password"]
    changed = api.client.post(
        "/api/auth/password",
        json={"old_password": PASSWORD, "new_password": "Brand-New-Pass-8"},
        headers=headers,
    )
    assert changed.status_code == 204, changed.text
    # The same session is now a normal one: a clerk gets the role refusal, not the password one.
    after = api.client.get("/api/admin/users", headers=headers)
    assert after.status_code == 403
    assert "修改密码" not in after.json()["detail"]
    assert api.login("wang.li", "Brand-New-Pass-8").json()["must_change_password"] is False


def test_logout_revokes_the_token(api: Api) -> None:
    api.add_user("wang.li")
    token = api.token("wang.li")

    assert api.client.post("/api/auth/logout", headers=bearer(token)).status_code == 204

    refused = api.client.get("/api/auth/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"


def test_missing_or_invalid_tokens_are_refused(api: Api) -> None:
    assert api.client.get("/api/auth/me").status_code == 401
    assert api.client.get("/api/auth/me", headers=bearer("made-up")).status_code == 401
    basic = api.client.get("/api/auth/me", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401


def test_a_session_idle_over_thirty_minutes_is_dead(api: Api) -> None:
    api.add_user("wang.li")
    token = api.token("wang.li")

    for _ in range(3):  # every use restarts the idle clock
        api.clock.advance(minutes=30)
        assert api.client.get("/api/auth/me", headers=bearer(token)).status_code == 200
    api.clock.advance(minutes=30, seconds=1)

    assert api.client.get("/api/auth/me", headers=bearer(token)).status_code == 401
    api.clock.advance(seconds=1)
    assert api.client.get("/api/auth/me", headers=bearer(token)).status_code == 401


def test_the_store_keeps_only_a_hash_of_the_token(api: Api, caplog) -> None:  # type: ignore[no-untyped-def]
    api.add_user("wang.li")
    caplog.set_level(logging.DEBUG)

    token = api.token("wang.li")

    with session_scope(api.engine) as session:
        rows = [row.model_dump() for row in session.exec(select(StaffSession))]
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in rows[0].values())
    assert PASSWORD not in caplog.text and token not in caplog.text
    assert PASSWORD not in api.user("wang.li").password_hash


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": "wang.li"},
        {"username": "", "password": "x"},
        {"username": "wang\u0000li", "password": "x"},
        {"username": "wang.li", "password": "x", "totp_code": "12ab56"},
        {"username": "wang.li", "password": "x" * 300},
    ],
)
def test_bad_login_input_is_422_naming_the_field(api: Api, body: dict[str, str]) -> None:
    response = api.client.post("/api/auth/login", json=body)

    assert response.status_code == 422
    assert all(error["loc"][0] == "body" for error in response.json()["detail"])


def test_validation_errors_are_in_chinese_and_never_echo_the_input(api: Api) -> None:
    secret = "Secret-" + "x" * 300

    response = api.client.post("/api/auth/login", json={"username": "wang.li", "password": secret})

    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"loc": ["body", "password"], "msg": "最多 256 个字符", "type": "string_too_long"}
        ]
    }
    missing = api.client.post("/api/auth/login", json={"password": "x"}).json()["detail"]
    assert missing == [{"loc": ["body", "username"], "msg": "缺少此项", "type": "missing"}]
    broken = api.client.post(
        "/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["msg"] == "请求体不是有效的 JSON"


def test_sessions_unseen_for_thirty_days_are_deleted_at_a_later_login(api: Api) -> None:
    api.add_user("wang.li")
    api.add_user("zhao.min")
    gone = api.token("wang.li")
    api.clock.advance(days=2)
    kept = api.token("zhao.min")
    api.clock.advance(days=28, seconds=1)  # wang.li's session: 30 days and a second unseen

    fresh = api.token("wang.li")

    with session_scope(api.engine) as session:
        hashes = set(session.exec(select(StaffSession.token_hash)))
    assert hashes == {hashlib.sha256(t.encode()).hexdigest() for t in (kept, fresh)}
    assert gone != fresh
    assert api.client.get("/api/auth/me", headers=bearer(gone)).status_code == 401


def test_a_process_that_is_not_a_test_hashes_with_argon2s_recommended_parameters() -> None:
    """The tests hash cheaply (tests/conftest.py); everywhere else the parameters stay."""
    check = (
        "from argon2 import PasswordHasher\n"
        "from store.accounts import use_password_hasher\n"
        "used, recommended = use_password_hasher(PasswordHasher()), PasswordHasher()\n"
        "print(used.time_cost, used.memory_cost, used.parallelism)\n"
        "print(recommended.time_cost, recommended.memory_cost, recommended.parallelism)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    used, recommended = run.stdout.splitlines()
    assert used == recommended
    assert used != "1 8 1"


def test_the_console_sign_in_shares_the_count_and_the_answers(api: Api) -> None:
    """The console's form and the JSON login are one login: failures of either slow the
    address for both, with the same words (api.routes.auth.refusal)."""
    api.add_user("wang.li")
    form = {"username": "wang.li", "password": "Not-The-Password-1", "next": "/console"}
    for _ in range(2):
        assert api.login("wang.li", "Not-The-Password-1").status_code == 401
        wrong = api.client.post("/console/login", data=form, follow_redirects=False)
        assert wrong.status_code == 401 and LOGIN_FAILED in wrong.text

    slowed = api.client.post("/console/login", data=form, follow_redirects=False)
    assert (slowed.status_code, slowed.headers["Retry-After"]) == (429, "900")
    assert "登录失败次数过多，请于 2030-03-04 09:15（北京时间）后再试" in slowed.text
    assert api.login("wang.li").status_code == 429
    owner = TestClient(api.client.app, client=("198.51.100.9", 50000))
    right = form | {"password": PASSWORD}
    assert owner.post("/console/login", data=right, follow_redirects=False).status_code == 303
