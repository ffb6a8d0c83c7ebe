"""Signing in to the console is all the Temporal Web UI needs to decode: the sign-in sets the
codec cookie of its session, as the JSON login does, and signing out or the session's expiry
ends it (on both stores, Temporal down: the codec needs only the store)."""

import base64

from fastapi.testclient import TestClient
from temporalio.api.common.v1 import Payload, Payloads

from api.security import CODEC_COOKIE
from core.codec import codec_from_spec, payloads_to_json
from core.keys import DEV_KEY_SPEC
from domain.records import CaseRecord
from tests.support.api_support import PASSWORD, Api
from tests.support.case_support import snapshot, write
from tests.support.console_support import csrf_of

UI = "http://127.0.0.1:8233"  # the Web UI's origin, the one the API allows by default
CASE = "c-dongcheng"  # handled by 东城区 (110101), below the tests' default unit 110000
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data='{"name":"张三"}'.encode())


def sealed_body() -> dict[str, object]:
    sealed = codec_from_spec(DEV_KEY_SPEC).encrypt(PLAIN, CASE)
    return payloads_to_json(Payloads(payloads=[sealed]))


def decode(api: Api) -> int:
    """What the Web UI's call gets: only the browser's cookies, from the UI's origin."""
    answer = api.client.post("/api/codec/decode", json=sealed_body(), headers={"Origin": UI})
    if answer.status_code == 200:
        assert answer.headers["access-control-allow-credentials"] == "true"
        assert answer.json()["payloads"][0]["data"] == base64.b64encode(PLAIN.data).decode()
    return answer.status_code


def sign_in(api: Api, username: str) -> str:
    """Sign in through the console's form; the codec cookie's token."""
    form = {"username": username, "password": PASSWORD, "next": "/console"}
    answer = api.client.post("/console/login", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    [codec] = [c for c in answer.headers.get_list("set-cookie") if c.startswith(CODEC_COOKIE)]
    parts = {part.strip().lower() for part in codec.split(";")}
    assert {"httponly", "path=/api/codec", "samesite=lax"} <= parts
    return codec.split(";")[0].split("=", 1)[1]


def test_the_console_sign_in_opens_the_codec_until_sign_out(api: Api) -> None:
    write(api.engine, CaseRecord(complaint_id=CASE, case=snapshot("110101", tracking_no="T-1")))
    api.add_user("wang.li", role="handler")
    assert decode(api) == 401  # nobody signed in

    codec_token = sign_in(api, "wang.li")

    assert decode(api) == 200  # the browser sends the cookie by itself
    # The codec token opens the codec and nothing else.
    as_bearer = {"Authorization": f"Bearer {codec_token}"}
    assert api.client.get("/api/complaints", headers=as_bearer).status_code == 401
    stranger = TestClient(api.client.app, cookies={"xueji_console": codec_token})
    assert stranger.get("/console", follow_redirects=False).status_code == 303  # to the login

    inbox = api.client.get("/console")
    csrf = {"csrf": csrf_of(inbox.text)}
    out = api.client.post("/console/logout", data=csrf, follow_redirects=False)
    assert out.status_code == 303
    assert any(c.startswith(f'{CODEC_COOKIE}=""') for c in out.headers.get_list("set-cookie"))
    api.client.cookies.set(CODEC_COOKIE, codec_token, path="/api/codec")  # kept by a browser
    assert decode(api) == 401  # the session is over, and so is its codec token


def test_the_codec_cookie_of_the_console_expires_with_its_session(api: Api) -> None:
    write(api.engine, CaseRecord(complaint_id=CASE, case=snapshot("110101", tracking_no="T-1")))
    api.add_user("wang.li", role="handler")
    sign_in(api, "wang.li")

    api.clock.advance(minutes=29)
    assert decode(api) == 200
    api.clock.advance(minutes=31)  # idle longer than the policy's 30 minutes
    assert decode(api) == 401
    assert api.client.get("/console", follow_redirects=False).status_code == 303  # both ended
