"""/api/codec/decode over HTTP: the Temporal Web UI's remote codec, for case-working staff
and only for the cases their unit may see."""

import base64
import hashlib

import pytest
from sqlmodel import select
from temporalio.api.common.v1 import Payload, Payloads

from api.security import CODEC_COOKIE
from core.codec import codec_from_spec, payloads_to_json
from core.keys import DEV_KEY_SPEC
from domain.records import CaseRecord
from store.db import session_scope
from store.models import Campaign, CampaignUnit, StaffSession
from tests.support.api_support import T0, Api
from tests.support.case_support import snapshot, write

UI = "http://127.0.0.1:8233"
# The small tree: 000000 ─ 110000 ─ 110101, 110102 ; 000000 ─ 130000 ─ 130100 ─ 130102
DONGCHENG_CASE, HEBEI_CASE, CAMPAIGN = "c-dongcheng", "c-changan", "campaign-hebei"


@pytest.fixture
def api(api: Api) -> Api:
    """The app with a case of 东城区, one of 长安区 and a campaign of 河北省."""
    write_case(api, DONGCHENG_CASE, handling="110101")
    write_case(api, HEBEI_CASE, handling="130102")
    with session_scope(api.engine) as session:
        opened = dict(opened_at=T0, due=T0, remind_at=T0, status="open")
        session.add(Campaign(id=CAMPAIGN, title="报送", opener_unit="130000", **opened))
        session.flush()
        session.add(CampaignUnit(campaign_id=CAMPAIGN, unit_code="130100", position=0))
    return api


def write_case(api: Api, case_id: str, *, handling: str) -> None:
    case = snapshot(handling, tracking_no=f"T-{case_id}", province=handling[:2] + "0000")
    write(api.engine, CaseRecord(complaint_id=case_id, case=case))


PLAIN = Payload(metadata={"encoding": b"json/plain"}, data='{"name":"张三"}'.encode())


def sealed(workflow_id: str | None) -> Payload:
    return codec_from_spec(DEV_KEY_SPEC).encrypt(PLAIN, workflow_id)


def body_of(*payloads: Payload) -> dict[str, object]:
    return payloads_to_json(Payloads(payloads=list(payloads)))


def sealed_body() -> dict[str, object]:
    """A payload of a workflow that the default unit of the tests (110000) may see."""
    return body_of(sealed(DONGCHENG_CASE))


def test_an_encrypted_payload_comes_back_decoded(api: Api) -> None:
    headers = api.headers_for("wang.li", role="handler")

    response = api.client.post("/api/codec/decode", json=sealed_body(), headers=headers)

    assert response.status_code == 200, response.text
    expected = body_of(
        Payload(metadata={"encoding": b"json/plain"}, data='{"name":"张三"}'.encode())
    )
    assert response.json() == expected


def test_a_unit_decodes_only_what_belongs_to_cases_and_campaigns_it_may_see(api: Api) -> None:
    payloads = {
        "case": sealed(DONGCHENG_CASE),
        "slip": sealed(f"{DONGCHENG_CASE}.V1"),  # a slip's workflow belongs to its case
        "other case": sealed(HEBEI_CASE),
        "campaign": sealed(CAMPAIGN),
        "unbound": sealed(None),  # sealed before payloads were bound to their workflow
        "never sealed": PLAIN,
    }
    request = body_of(*payloads.values())

    def opened_for(unit: str) -> set[str]:
        headers = api.headers_for(f"handler.{unit}", unit_code=unit, role="handler")
        answer = api.client.post("/api/codec/decode", json=request, headers=headers)
        assert answer.status_code == 200, answer.text
        returned = answer.json()["payloads"]
        assert len(returned) == len(payloads)
        for (name, sent), back in zip(payloads.items(), returned, strict=True):
            # What the unit may not read comes back exactly as sent, still sealed.
            assert back in (body_of(PLAIN)["payloads"][0], body_of(sent)["payloads"][0]), name
        return {
            name
            for name, back in zip(payloads, returned, strict=True)
            if back == body_of(PLAIN)["payloads"][0]
        }

    assert opened_for("110101") == {"case", "slip", "never sealed"}  # the handling unit
    assert opened_for("110000") == {"case", "slip", "never sealed"}  # its superior
    assert opened_for("110102") == {"never sealed"}  # a sibling county
    assert opened_for("130000") == {"other case", "campaign", "never sealed"}  # the opener
    assert opened_for("130100") == {"other case", "campaign", "never sealed"}  # reporting
    assert opened_for("130102") == {"other case", "never sealed"}  # handles, not reporting
    # The Ministry sees every case, so it may also read what is bound to none.
    assert opened_for("000000") == {"case", "slip", "other case", "unbound", "never sealed"}


def test_a_payload_moved_to_another_case_does_not_decrypt(api: Api) -> None:
    moved = sealed(HEBEI_CASE)
    moved.metadata["xueji-workflow-id"] = DONGCHENG_CASE.encode()
    headers = api.headers_for("wang.li", role="handler")

    answer = api.client.post("/api/codec/decode", json=body_of(moved), headers=headers)

    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"][:2] == ["body", "payloads"]
    assert "篡改" in answer.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "body",
    [
        {"payloads": [{"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}, "data": "AAAA"}]},
        {"payloads": [{"metadata": "nonsense"}]},
        {"payloads": [{"data": "not base64 !!"}]},
    ],
)
def test_a_garbage_payload_is_422_naming_payloads(api: Api, body: dict[str, object]) -> None:
    # Bound to no workflow: the Ministry is who would open it (others get it back as sent).
    headers = api.headers_for("wang.li", unit_code="000000", role="clerk")

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
    token = login.json()["token"]
    cookie = login.headers["set-cookie"]
    assert cookie.startswith(f"{CODEC_COOKIE}=")
    assert all(part in cookie for part in ("HttpOnly", "Path=/api/codec", "SameSite=lax"))
    assert "Secure" not in cookie  # plain http here; see test_transport.py for https
    # The cookie holds a codec token of its own, never the bearer token.
    codec_token = cookie.split(";")[0].split("=", 1)[1]
    assert codec_token and codec_token != token and token not in cookie
    # The browser keeps it; the UI's call carries only the cookie, from the UI's origin.
    api.client.cookies.set(CODEC_COOKIE, codec_token)

    answer = api.client.post("/api/codec/decode", json=sealed_body(), headers={"Origin": UI})

    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert answer.json()["payloads"][0]["data"] == base64.b64encode(PLAIN.data).decode()
    # Anywhere else the cookie is no login at all, nor is its token as a bearer token.
    assert api.client.get("/api/auth/me").status_code == 401
    assert api.client.get("/api/complaints").status_code == 401
    as_bearer = {"Authorization": f"Bearer {codec_token}"}
    assert api.client.get("/api/auth/me", headers=as_bearer).status_code == 401
    assert api.client.get("/api/complaints", headers=as_bearer).status_code == 401
    assert (
        api.client.post("/api/codec/decode", json=sealed_body(), headers=as_bearer).status_code
        == 401
    )
    # The bearer token in the cookie opens nothing either.
    api.client.cookies.set(CODEC_COOKIE, token)
    assert api.client.post("/api/codec/decode", json=sealed_body()).status_code == 401
    # Logging out (with the token) ends it for the codec too.
    api.client.cookies.set(CODEC_COOKIE, codec_token)
    bearer = {"Authorization": f"Bearer {token}"}
    logout = api.client.post("/api/auth/logout", headers=bearer)
    assert logout.status_code == 204 and f"{CODEC_COOKIE}=" in logout.headers["set-cookie"]
    api.client.cookies.set(CODEC_COOKIE, codec_token)
    after = api.client.post("/api/codec/decode", json=sealed_body(), headers={"Origin": UI})
    assert after.status_code == 401


def test_the_codec_cookie_lives_and_dies_with_its_session(api: Api) -> None:
    api.add_user("wang.li", role="handler")
    cookie = api.login("wang.li").headers["set-cookie"]
    api.client.cookies.set(CODEC_COOKIE, cookie.split(";")[0].split("=", 1)[1])
    with session_scope(api.engine) as session:  # only its hash is stored, beside the session
        [row] = session.exec(select(StaffSession)).all()
        codec_token = cookie.split(";")[0].split("=", 1)[1]
        assert row.codec_token_hash == hashlib.sha256(codec_token.encode()).hexdigest()

    api.clock.advance(minutes=29)
    assert api.client.post("/api/codec/decode", json=sealed_body()).status_code == 200
    api.clock.advance(minutes=29)  # its use kept the session alive, as a bearer's does
    assert api.client.post("/api/codec/decode", json=sealed_body()).status_code == 200
    api.clock.advance(minutes=31)  # idle too long: the session is dead, and the codec token
    assert api.client.post("/api/codec/decode", json=sealed_body()).status_code == 401
