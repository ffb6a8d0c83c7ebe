"""Sessions have an absolute lifetime besides the idle timeout; the policy may require the
second factor (TOTP) of every role; confirming TOTP ends the user's other sessions (opened
without it), and resetting it ends them all."""

from sqlmodel import Session

from core.keys import DEV_KEY_SPEC
from store.logins import Granted, authenticate
from store.sealing import Sealer
from tests.support.api_support import PASSWORD, Api, bearer, totp_code

SECADMIN = {"unit_code": "000000", "role": "secadmin"}  # national policy: the Ministry's


def alive(api: Api, token: str) -> bool:
    answer = api.client.get("/api/auth/me", headers=bearer(token))
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def test_a_session_ends_after_its_lifetime_however_active(api: Api) -> None:
    api.add_user("wang.li")
    token = api.token("wang.li")
    for _ in range(11 * 2):  # active every half hour for eleven hours
        api.clock.advance(minutes=29)
        assert alive(api, token)
    api.clock.advance(hours=1, minutes=30)  # past twelve hours from the login
    assert not alive(api, token)
    assert api.client.get("/api/complaints", headers=bearer(token)).status_code == 401


def test_the_policy_can_require_the_second_factor_of_every_role(api: Api) -> None:
    secadmin = api.headers_for("sec", **SECADMIN)
    policy = api.client.get("/api/admin/password-policy", headers=secadmin).json()
    assert (policy["session_hours"], policy["totp_for_all"]) == (12, None)
    api.add_user("wang.li")
    assert api.login("wang.li").json()["must_enrol_totp"] is False  # development: off

    stricter = {**policy, "totp_for_all": True, "session_hours": 8}
    assert api.client.put("/api/admin/password-policy", json=stricter, headers=secadmin).is_success
    login = api.login("wang.li").json()
    assert login["must_enrol_totp"] is True
    refused = api.client.get("/api/complaints", headers=bearer(login["token"]))
    assert refused.status_code == 403 and "动态口令" in refused.json()["detail"]


def test_unset_the_second_factor_is_required_where_the_caller_says_production(api: Api) -> None:
    api.add_user("wang.li")
    with Session(api.engine) as session:
        outcome = authenticate(
            session=session,
            username="wang.li",
            password=PASSWORD,
            totp_code=None,
            sealer=Sealer(DEV_KEY_SPEC),
            now=api.clock(),
            client_address="192.0.2.7",
            totp_by_default=True,
        )
    assert isinstance(outcome, Granted) and outcome.must_enrol_totp


def test_confirming_totp_ends_the_other_sessions_and_resetting_it_ends_all(api: Api) -> None:
    api.add_user("wang.li")
    here, elsewhere = api.token("wang.li"), api.token("wang.li")
    secret = api.client.post("/api/auth/totp/enrol", headers=bearer(here)).json()["secret"]
    code = {"code": totp_code(secret, api.clock())}
    assert api.client.post("/api/auth/totp/confirm", json=code, headers=bearer(here)).is_success
    assert (alive(api, here), alive(api, elsewhere)) == (True, False)

    sysadmin = api.headers_for("sys", unit_code="110000", role="sysadmin")
    reset = api.client.patch(
        "/api/admin/users/wang.li", json={"reset_totp": True}, headers=sysadmin
    )
    assert reset.status_code == 202, reset.text
    assert alive(api, here)  # not before a secadmin approves
    secadmin = api.headers_for("sec", unit_code="110000", role="secadmin")
    path = f"/api/admin/account-requests/{reset.json()['id']}/approve"
    assert api.client.post(path, headers=secadmin).status_code == 200
    assert not alive(api, here)
