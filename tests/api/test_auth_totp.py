"""The TOTP second factor over HTTP: enrol, confirm, then required at login; administrators
must enrol before doing anything else."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.api_support import PASSWORD, Api, bearer, totp_code


def enrol(api: Api, token: str) -> str:
    """Enrol and confirm TOTP for the session's user; returns the secret."""
    response = api.client.post("/api/auth/totp/enrol", headers=bearer(token))
    assert response.status_code == 200, response.text
    secret = str(response.json()["secret"])
    code = totp_code(secret, api.clock())
    confirmed = api.client.post(
        "/api/auth/totp/confirm", json={"code": code}, headers=bearer(token)
    )
    assert confirmed.status_code == 204, confirmed.text
    return secret


def test_enrolment_gives_a_provisioning_uri_and_keeps_the_secret_sealed(api: Api) -> None:
    api.add_user("wang.li")
    token = api.token("wang.li")

    answer = api.client.post("/api/auth/totp/enrol", headers=bearer(token)).json()

    uri = urlparse(answer["uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [answer["secret"]]
    stored = api.user("wang.li")
    assert stored.totp_secret is not None
    assert answer["secret"].encode() not in stored.totp_secret
    assert stored.totp_enrolled is False


def test_a_wrong_confirmation_code_is_422_on_code(api: Api) -> None:
    api.add_user("wang.li")
    token = api.token("wang.li")
    secret = api.client.post("/api/auth/totp/enrol", headers=bearer(token)).json()["secret"]
    wrong = f"{(int(totp_code(secret, api.clock())) + 1) % 1_000_000:06d}"

    response = api.client.post(
        "/api/auth/totp/confirm", json={"code": wrong}, headers=bearer(token)
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "code"]
    assert api.user("wang.li").totp_enrolled is False


def test_after_enrolment_login_needs_the_current_code(api: Api) -> None:
    api.add_user("wang.li")
    secret = enrol(api, api.token("wang.li"))
    api.clock.advance(minutes=5)

    without = api.login("wang.li")
    assert without.status_code == 401
    assert "动态验证码" in without.json()["detail"]
    stale = totp_code(secret, api.clock().replace(hour=0))
    assert api.login("wang.li", PASSWORD, stale).status_code == 401
    assert (
        api.login("wang.li", "Not-The-Password-1", totp_code(secret, api.clock())).status_code
        == 401
    )

    assert api.login("wang.li", PASSWORD, totp_code(secret, api.clock())).status_code == 200


def test_a_second_enrolment_is_refused(api: Api) -> None:
    api.add_user("wang.li")
    token = api.token("wang.li")
    enrol(api, token)

    assert api.client.post("/api/auth/totp/enrol", headers=bearer(token)).status_code == 409


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_administrators_must_enrol_before_anything_else(api: Api, role: str) -> None:
    api.add_user("admin.zhao", role=role)
    answer = api.login("admin.zhao").json()
    assert answer["must_enrol_totp"] is True
    token = answer["token"]
    endpoint = "/api/admin/users" if role == "sysadmin" else "/api/admin/password-policy"

    refused = api.client.get(endpoint, headers=bearer(token))
    assert refused.status_code == 403
    assert "动态口令" in refused.json()["detail"]

    secret = enrol(api, token)
    assert api.client.get("/api/auth/me", headers=bearer(token)).json()["must_enrol_totp"] is False
    if role != "auditor":
        assert api.client.get(endpoint, headers=bearer(token)).status_code == 200
    api.clock.advance(minutes=1)
    assert (
        api.login("admin.zhao", PASSWORD, totp_code(secret, api.clock())).json()["must_enrol_totp"]
        is False
    )


def test_other_roles_need_not_enrol(api: Api) -> None:
    for role in ("clerk", "handler", "leader"):
        api.add_user(f"user.{role}", role=role)
        assert api.login(f"user.{role}").json()["must_enrol_totp"] is False


def test_a_code_works_only_once(api: Api) -> None:
    api.add_user("wang.li")
    secret = enrol(api, api.token("wang.li"))
    api.clock.advance(minutes=1)
    code = totp_code(secret, api.clock())
    assert api.login("wang.li", PASSWORD, code).status_code == 200

    assert api.login("wang.li", PASSWORD, code).status_code == 401

    api.clock.advance(seconds=30)
    assert api.login("wang.li", PASSWORD, totp_code(secret, api.clock())).status_code == 200
