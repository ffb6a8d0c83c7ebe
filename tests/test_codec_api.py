"""/api/codec/decode over HTTP: the Temporal Web UI's remote codec, for case-working staff."""

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload, Payloads

from api.security import CODEC_COOKIE
from tests.api_support import Api, open_api
from xueji.codec import DEV_KEY_SPEC, _payloads_to_json, codec_from_spec

UI = "http://127.0.0.1:8233"


@pytest.fixture
def api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    with open_api(store_url, tmp_path) as api:
        yield api


PLAIN = Payload(metadata={"encoding": b"json/plain"}, data='{"name":"张三"}'.encode())


def sealed_body() -> dict[str, object]:
    sealed = codec_from_spec(DEV_KEY_SPEC).encrypt(PLAIN)
    return _payloads_to_json(Payloads(payloads=[sealed]))


def test_an_encrypted_payload_comes_back_decoded(api: Api) -> None:
    headers = api.headers_for("wang.li", role="handler")

    response = api.client.post("/api/codec/decode", json=sealed_body(), headers=headers)

    assert response.status_code == 200, response.text
    expected = _payloads_to_json(
        Payloads(
            payloads=[
                Payload(metadata={"encoding": b"json/plain"}, data='{"name":"张三"}'.encode())
            ]
        )
    )
    assert response.json() == expected


@pytest.mark.parametrize(
    "body",
    [
        {"payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}, "data": "AAAA"}]},
        {"payloads": [{"metadata": "nonsense"}]},
        {"payloads": [{"data": "not base64 !!"}]},
    ],
)
def test_a_garbage_payload_is_422_naming_payloads(api: Api, body: dict[str, object]) -> None:
    headers = api.headers_for("wang.li", role="clerk")

    response = api.client.post("/api/codec/decode", json=body, headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", "payloads"]


def test_only_case_staff_may_decode(api: Api) -> None:
    assert api.client.post("/api/codec/decode", json=sealed_body()).status_code == 401
    for role in ("sysadmin", "secadmin", "auditor"):
        headers = api.headers_for(f"{role}.one", role=role)
        response = api.client.post("/api/codec/decode", json=sealed_body(), headers=headers)
        assert response.status_code == 403, role
    headers = api.headers_for("leader.one", role="leader")
    assert api.client.post("/api/codec/decode", json=sealed_body(), headers=headers).is_success


def test_the_web_ui_origin_may_call_the_codec_only(api: Api) -> None:
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-namespace, authorization, content-type",
    }

    allowed = api.client.options("/api/codec/decode", headers=preflight)
    elsewhere = api.client.options("/api/complaints", headers=preflight)
    stranger = api.client.options(
        "/api/codec/decode", headers=preflight | {"Origin": "http://evil.example"}
    )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in elsewhere.headers
    assert "access-control-allow-origin" not in stranger.headers
    headers = api.headers_for("wang.li") | {"Origin": UI}
    answer = api.client.post("/api/codec/decode", json=sealed_body(), headers=headers)
    assert answer.headers["access-control-allow-origin"] == UI


def test_the_web_ui_decodes_with_the_login_cookie_and_nothing_else_does(api: Api) -> None:
    api.add_user("wang.li", role="handler")
    login = api.login("wang.li")
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"{CODEC_COOKIE}={login.json()['token']};")
    assert all(part in cookie for part in ("HttpOnly", "Path=/api/codec", "SameSite=lax"))
    # The browser keeps it; the UI's call carries only the cookie, from the UI's origin.
    api.client.cookies.set(CODEC_COOKIE, login.json()["token"])

    answer = api.client.post("/api/codec/decode", json=sealed_body(), headers={"Origin": UI})

    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.json()["payloads"][0]["data"] == base64.b64encode(PLAIN.data).decode()
    # Anywhere else the cookie is no login at all.
    assert api.client.get("/api/auth/me").status_code == 401
    assert api.client.get("/api/complaints").status_code == 401
    # Logging out (with the token) ends it for the codec too.
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    logout = api.client.post("/api/auth/logout", headers=bearer)
    assert logout.status_code == 204 and f"{CODEC_COOKIE}=" in logout.headers["set-cookie"]
    api.client.cookies.set(CODEC_COOKIE, login.json()["token"])
    after = api.client.post("/api/codec/decode", json=sealed_body(), headers={"Origin": UI})
    assert after.status_code == 401
