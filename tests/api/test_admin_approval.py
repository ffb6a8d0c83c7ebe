"""The two-administrator rule (三员, DESIGN §7) over HTTP: the sysadmin asks, a secadmin of a
unit above the account approves, only the approval applies the change; a temporary password
must be changed at the first login and the owner is told; each account change's audit record
names the account, its role and what changed. The issue's scenario: a province's sysadmin
alone made accounts of every role and took over the city's auditor."""

from typing import Any

import httpx
from sqlmodel import Session, col, select

from store.models import AuditRecord
from tests.support.api_support import PASSWORD, Api, bearer, totp_code

TEMPORARY = "Temporary-Pass-42"


def sign_in(api: Api, username: str, unit_code: str, role: str) -> tuple[dict[str, str], str]:
    """An administrator with TOTP enrolled, signed in: its headers and TOTP secret."""
    secret = api.add_user(username, unit_code=unit_code, role=role, totp=True)
    assert secret is not None
    return bearer(api.token(username, secret=secret)), secret


def account(username: str, role: str, unit_code: str = "130000") -> dict[str, str]:
    return {
        "username": username,
        "display_name": username,
        "unit_code": unit_code,
        "role": role,
        "password": TEMPORARY,
    }


def decide(api: Api, request_id: int, decision: str, headers: dict[str, str]) -> httpx.Response:
    return api.client.post(f"/api/admin/account-requests/{request_id}/{decision}", headers=headers)


def audit_targets(api: Api) -> list[str]:
    with Session(api.engine) as session:
        return list(session.exec(select(AuditRecord.target).order_by(col(AuditRecord.seq))))


def test_a_sysadmin_alone_neither_makes_accounts_nor_takes_over_an_administrator(
    api: Api,
) -> None:
    sysadmin, _ = sign_in(api, "hebei.sysadmin", "130000", "sysadmin")
    auditor, auditor_secret = sign_in(api, "sjz.auditor", "130100", "auditor")

    for role in ("auditor", "secadmin", "handler"):
        asked = api.client.post(
            "/api/admin/users", json=account(f"own.{role}", role), headers=sysadmin
        )
        assert asked.status_code == 202, asked.text
        assert asked.json()["status"] == "pending"
        assert api.login(f"own.{role}", TEMPORARY).status_code == 401  # no such account yet
    reset = api.client.patch(
        "/api/admin/users/sjz.auditor",
        json={"password": TEMPORARY, "reset_totp": True},
        headers=sysadmin,
    )
    disable = api.client.patch(
        "/api/admin/users/sjz.auditor", json={"active": False}, headers=sysadmin
    )

    assert (reset.status_code, reset.json()["changes"]) == (202, ["password", "totp"])
    assert (disable.status_code, disable.json()["changes"]) == (202, ["active"])
    assert api.login("sjz.auditor", TEMPORARY).status_code == 401
    assert api.client.get("/api/audit", headers=auditor).status_code == 200  # still sitting
    api.clock.advance(seconds=30)  # a TOTP code works once
    own = api.login("sjz.auditor", PASSWORD, totp_code(auditor_secret, api.clock()))
    assert own.status_code == 200 and not own.json()["must_enrol_totp"]
    assert api.user("sjz.auditor").active


def test_an_approved_reset_must_be_changed_at_first_login_and_the_owner_is_told(
    api: Api,
) -> None:
    sysadmin, _ = sign_in(api, "hebei.sysadmin", "130000", "sysadmin")
    secadmin, _ = sign_in(api, "hebei.secadmin", "130000", "secadmin")
    sign_in(api, "sjz.auditor", "130100", "auditor")
    asked = api.client.patch(
        "/api/admin/users/sjz.auditor",
        json={"password": TEMPORARY, "reset_totp": True},
        headers=sysadmin,
    )

    decided = decide(api, asked.json()["id"], "approve", secadmin)

    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_by"]) == (
        "approved",
        "hebei.secadmin",
    )
    assert api.login("sjz.auditor", PASSWORD).status_code == 401
    login = api.login("sjz.auditor", TEMPORARY).json()
    assert (login["must_change_password"], login["must_enrol_totp"]) == (True, True)
    temporary = bearer(login["token"])
    assert api.client.get("/api/audit", headers=temporary).status_code == 403
    me = api.client.get("/api/auth/me", headers=temporary).json()
    assert [notice["kind"] for notice in me["notices"]] == ["account"]
    assert me["notices"][0]["text"] == (
        "您的账号密码已重置为临时密码（登录后须立即修改），动态口令已重置（登录后须重新绑定），"
        "由 hebei.sysadmin 申请、hebei.secadmin 批准。如非您本人申请，请立即联系本单位安全管理员。"
    )


def test_an_approved_account_is_made_with_its_role_and_its_owner_told(api: Api) -> None:
    sysadmin, _ = sign_in(api, "hebei.sysadmin", "130000", "sysadmin")
    secadmin, _ = sign_in(api, "hebei.secadmin", "130000", "secadmin")
    asked = api.client.post(
        "/api/admin/users", json=account("new.handler", "handler", "130102"), headers=sysadmin
    )

    assert decide(api, asked.json()["id"], "approve", secadmin).status_code == 200

    made = api.user("new.handler")
    assert (made.unit_code, made.role, made.must_change_password) == ("130102", "handler", True)
    login = api.login("new.handler", TEMPORARY).json()
    me = api.client.get("/api/auth/me", headers=bearer(login["token"])).json()
    assert me["notices"][0]["text"].startswith(
        "您的账号已开通（承办人），由 hebei.sysadmin 申请、hebei.secadmin 批准。"
        "首次登录须修改初始密码。"
    )


def test_only_a_secadmin_above_the_account_other_than_its_owner_decides(api: Api) -> None:
    sysadmin, _ = sign_in(api, "hebei.sysadmin", "130000", "sysadmin")
    other_sysadmin, _ = sign_in(api, "sjz.sysadmin", "130100", "sysadmin")
    secadmin, _ = sign_in(api, "hebei.secadmin", "130000", "secadmin")
    beijing, _ = sign_in(api, "beijing.secadmin", "110000", "secadmin")
    county, _ = sign_in(api, "changan.secadmin", "130102", "secadmin")
    ministry, _ = sign_in(api, "moe.secadmin", "000000", "secadmin")
    sign_in(api, "sjz.auditor", "130100", "auditor")
    own = api.client.patch(
        "/api/admin/users/hebei.secadmin", json={"password": TEMPORARY}, headers=sysadmin
    ).json()["id"]
    reset = api.client.patch(
        "/api/admin/users/sjz.auditor", json={"password": TEMPORARY}, headers=sysadmin
    ).json()["id"]

    assert decide(api, reset, "approve", sysadmin).status_code == 403  # the requester's role
    assert decide(api, reset, "approve", beijing).status_code == 404  # another province
    assert decide(api, reset, "approve", county).status_code == 404  # below the account
    refused_own = decide(api, own, "approve", secadmin)
    assert refused_own.status_code == 403
    assert refused_own.json()["detail"] == "不能批准对本人账号的申请，须由另一位安全管理员批准"
    assert decide(api, reset, "refuse", other_sysadmin).status_code == 403  # not its request
    assert decide(api, reset, "refuse", secadmin).json()["status"] == "refused"
    assert decide(api, own, "approve", ministry).status_code == 200
    assert api.client.get("/api/auth/me", headers=secadmin).status_code == 401  # reset: ended
    again = decide(api, reset, "approve", ministry)
    assert again.status_code == 409
    assert again.json()["detail"] == "该申请已由 hebei.secadmin 拒绝，不能再处理"
    assert api.login("sjz.auditor", TEMPORARY).status_code == 401  # nothing applied


def test_the_requester_withdraws_and_a_request_lapses_after_seven_days(api: Api) -> None:
    sysadmin, _ = sign_in(api, "hebei.sysadmin", "130000", "sysadmin")
    api.add_user("h.one", unit_code="130100", role="handler")
    first = api.client.patch(
        "/api/admin/users/h.one", json={"password": TEMPORARY}, headers=sysadmin
    ).json()["id"]
    second = api.client.patch(
        "/api/admin/users/h.one", json={"reset_totp": True}, headers=sysadmin
    ).json()["id"]
    secadmin, secret = sign_in(api, "hebei.secadmin", "130000", "secadmin")
    beijing, _ = sign_in(api, "beijing.secadmin", "110000", "secadmin")

    assert decide(api, first, "refuse", sysadmin).json()["status"] == "refused"
    listed = api.client.get("/api/admin/account-requests", headers=secadmin).json()
    assert [(item["id"], item["changes"]) for item in listed] == [(second, ["totp"])]
    assert api.client.get("/api/admin/account-requests", headers=beijing).json() == []
    api.clock.advance(days=7)
    secadmin = bearer(api.token("hebei.secadmin", secret=secret))
    assert api.client.get("/api/admin/account-requests", headers=secadmin).json() == []
    lapsed = decide(api, second, "approve", secadmin)
    assert lapsed.status_code == 409
    assert lapsed.json()["detail"] == "该申请已超过 7 天未处理，已失效，请重新申请"


def test_a_case_worker_is_disabled_or_unlocked_at_once_but_an_administrator_only_by_two(
    api: Api,
) -> None:
    sysadmin, _ = sign_in(api, "hebei.sysadmin", "130000", "sysadmin")
    secadmin, _ = sign_in(api, "hebei.secadmin", "130000", "secadmin")
    api.add_user("h.one", unit_code="130100", role="handler")
    sign_in(api, "sjz.auditor", "130100", "auditor")

    direct = api.client.patch("/api/admin/users/h.one", json={"active": False}, headers=sysadmin)
    asked = api.client.patch(
        "/api/admin/users/sjz.auditor", json={"active": False}, headers=sysadmin
    )

    assert (direct.status_code, direct.json()["active"]) == (200, False)
    assert asked.status_code == 202
    assert api.user("sjz.auditor").active
    assert decide(api, asked.json()["id"], "approve", secadmin).status_code == 200
    assert not api.user("sjz.auditor").active


def test_the_audit_record_of_an_account_change_names_the_account_its_role_and_the_change(
    api: Api,
) -> None:
    sysadmin, _ = sign_in(api, "hebei.sysadmin", "130000", "sysadmin")
    secadmin, _ = sign_in(api, "hebei.secadmin", "130000", "secadmin")
    sign_in(api, "sjz.auditor", "130100", "auditor")
    api.add_user("h.one", unit_code="130100", role="handler")

    made: Any = api.client.post(
        "/api/admin/users", json=account("x.aud", "auditor"), headers=sysadmin
    )
    reset = api.client.patch(
        "/api/admin/users/sjz.auditor",
        json={"password": TEMPORARY, "reset_totp": True},
        headers=sysadmin,
    ).json()["id"]
    decide(api, reset, "approve", secadmin)
    decide(api, made.json()["id"], "refuse", secadmin)
    api.client.patch("/api/admin/users/h.one", json={"active": False}, headers=sysadmin)
    api.client.patch("/api/admin/users/h.one", json={"password": "weak"}, headers=sysadmin)

    created = made.json()["id"]
    assert audit_targets(api)[-6:] == [
        f"POST /api/admin/users user=x.aud role=auditor changed=created request={created} pending",
        f"PATCH /api/admin/users/sjz.auditor user=sjz.auditor role=auditor "
        f"changed=password,totp request={reset} pending",
        f"POST /api/admin/account-requests/{reset}/approve user=sjz.auditor role=auditor "
        f"changed=password,totp request={reset} approved requested_by=hebei.sysadmin",
        f"POST /api/admin/account-requests/{created}/refuse user=x.aud role=auditor "
        f"changed=created request={created} refused requested_by=hebei.sysadmin",
        "PATCH /api/admin/users/h.one user=h.one role=handler changed=active",
        "PATCH /api/admin/users/h.one user=h.one role=handler changed=password",  # refused: 422
    ]


def test_the_asker_lists_its_requests_with_their_state_and_a_refusals_reason(api: Api) -> None:
    sysadmin, sysadmin_secret = sign_in(api, "hebei.sysadmin", "130000", "sysadmin")
    secadmin, _ = sign_in(api, "hebei.secadmin", "130000", "secadmin")
    api.add_user("h.one", unit_code="130100", role="handler")
    made = api.client.post("/api/admin/users", json=account("x.clerk", "clerk"), headers=sysadmin)
    reset = api.client.patch(
        "/api/admin/users/h.one", json={"password": TEMPORARY}, headers=sysadmin
    ).json()["id"]

    twice = api.client.patch(
        "/api/admin/users/h.one", json={"password": "Another-Pass-42"}, headers=sysadmin
    )
    made_twice = api.client.post(
        "/api/admin/users", json=account("x.clerk", "clerk"), headers=sysadmin
    )
    too_long = api.client.post(
        f"/api/admin/account-requests/{reset}/refuse", json={"reason": "长" * 201}, headers=secadmin
    )
    refused = api.client.post(
        f"/api/admin/account-requests/{reset}/refuse",
        json={"reason": "本人未提出"},
        headers=secadmin,
    )
    api.clock.advance(days=8)  # the request to make x.clerk has lapsed meanwhile
    sysadmin = bearer(api.token("hebei.sysadmin", secret=sysadmin_secret))
    mine = api.client.get("/api/admin/account-requests?mine=true", headers=sysadmin)

    assert twice.status_code == 422 and twice.json()["detail"][0]["loc"] == ["body", "password"]
    assert made_twice.status_code == 422
    assert made_twice.json()["detail"][0]["loc"] == ["body", "username"]
    assert too_long.status_code == 422
    assert refused.json()["reason"] == "本人未提出"
    assert [(row["id"], row["status"], row["reason"]) for row in mine.json()] == [
        (reset, "refused", "本人未提出"),
        (made.json()["id"], "lapsed", ""),
    ]
    assert api.client.get("/api/admin/account-requests", headers=sysadmin).json() == []
