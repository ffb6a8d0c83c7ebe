"""账号 and 动态口令 in the console over HTTP, on both stores: the sysadmin asks and a secadmin in
scope decides (三员) through the JSON routes' service, each refusal a page (a sysadmin cannot
approve, a secadmin cannot ask, another subtree's account or request is 404, bad input names
the field and keeps what was typed), the one-time password shown in the ask's answer only, the
asker told what became of each ask, a locked account unlocked by its sysadmin, and an
administrator's TOTP enrolment before anything else."""

import itertools
import re

import httpx
import pyotp
from fastapi.testclient import TestClient

from tests.support.api_support import PASSWORD, Api, totp_code
from tests.support.audit_support import records_since
from tests.support.console_support import csrf_of

_addresses = itertools.count(1)


class Console:
    """One person's browser on the console: its own cookies and client address."""

    def __init__(
        self, api: Api, username: str, secret: str | None = None, password: str = PASSWORD
    ):
        self.client = TestClient(
            api.client.app, base_url="http://xueji", client=(f"198.51.100.{next(_addresses)}", 5)
        )
        self.client.follow_redirects = False
        form = {"username": username, "password": password, "next": "/console"}
        if secret:
            form["totp_code"] = totp_code(secret, api.clock())
        signed = self.client.post("/console/login", data=form)
        assert signed.status_code == 303, signed.text
        self.csrf = csrf_of(self.client.get("/console/password").text)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def post(self, path: str, **form: str) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf, **form})


def administrator(api: Api, username: str, unit_code: str, role: str) -> Console:
    secret = api.add_user(username, unit_code=unit_code, role=role, totp=True)
    return Console(api, username, secret)


NEW_CLERK = {
    "username": "new.clerk",
    "display_name": "新受理员",
    "unit_code": "130100",
    "role": "clerk",
}


def one_time_password(html: str) -> str | None:
    found = re.search(r'id="one-time-password">([^<]+)<', html)
    return found.group(1) if found else None


def request_id(html: str) -> str:
    found = re.search(r"申请 (\d+) 已提交", html)
    assert found, html
    return found.group(1)


def test_an_ask_shows_its_password_once_and_the_approval_opens_a_forced_change(api: Api) -> None:
    sysadmin = administrator(api, "hebei.sysadmin", "130000", "sysadmin")
    secadmin = administrator(api, "hebei.secadmin", "130000", "secadmin")

    asked = sysadmin.post("/console/accounts/new", **NEW_CLERK)
    assert asked.status_code == 200
    assert asked.headers["cache-control"] == "no-store"
    password = one_time_password(asked.text)
    assert password and len(password) >= 16
    number = request_id(asked.text)
    # The form sent again (a reload): refused, no second password.
    again = sysadmin.post("/console/accounts/new", **NEW_CLERK)
    assert again.status_code == 422
    assert f"已有同类待批准的申请（编号 {number}）" in again.text
    assert one_time_password(again.text) is None
    assert password not in sysadmin.get("/console/accounts").text
    assert api.login("new.clerk", password).status_code == 401  # not before the approval

    waiting = secadmin.get("/console/accounts")
    assert f"批准申请 {number}" in waiting.text and "开通账号（受理员）" in waiting.text
    assert password not in waiting.text
    approved = secadmin.post(f"/console/accounts/requests/{number}/approve")
    assert (approved.status_code, approved.headers["location"]) == (
        303,
        f"/console/accounts?decided={number}",
    )
    assert "已批准" in secadmin.get(approved.headers["location"]).text
    assert "已批准" in sysadmin.get("/console/accounts").text  # the asker's own list

    owner = Console(api, "new.clerk", password=password)
    sent = owner.get("/console")
    assert (sent.status_code, sent.headers["location"]) == (303, "/console/password")
    changed = owner.post("/console/password", old_password=password, new_password="Own-Choice-2030")
    assert changed.status_code == 303
    inbox = owner.get("/console").text
    assert "由 hebei.sysadmin 申请、hebei.secadmin 批准" in inbox
    assert {
        f"POST /console/accounts/new user=new.clerk role=clerk changed=created request={number} "
        "pending",
        f"POST /console/accounts/requests/{number}/approve user=new.clerk role=clerk "
        f"changed=created request={number} approved requested_by=hebei.sysadmin",
    } <= {target for _, _, target, _ in records_since(api.engine, 0)}


def test_each_administrator_is_refused_what_is_not_theirs(api: Api) -> None:
    sysadmin = administrator(api, "hebei.sysadmin", "130000", "sysadmin")
    secadmin = administrator(api, "hebei.secadmin", "130000", "secadmin")
    beijing = administrator(api, "beijing.sysadmin", "110000", "sysadmin")
    beijing_sec = administrator(api, "beijing.secadmin", "110000", "secadmin")
    api.add_user("sjz.handler", unit_code="130100", role="handler")
    number = request_id(sysadmin.post("/console/accounts/new", **NEW_CLERK).text)

    own_approval = sysadmin.post(f"/console/accounts/requests/{number}/approve")
    assert own_approval.status_code == 403 and "当前角色无权执行此操作" in own_approval.text
    for asked in (secadmin.get("/console/accounts/new"), secadmin.post("/console/accounts/new")):
        assert asked.status_code == 403
    assert secadmin.post("/console/accounts/users/sjz.handler", action="unlock").status_code == 403
    assert beijing.get("/console/accounts/users/sjz.handler").status_code == 404
    assert beijing.post("/console/accounts/users/sjz.handler", action="unlock").status_code == 404
    assert "sjz.handler" not in beijing.get("/console/accounts").text
    assert beijing_sec.post(f"/console/accounts/requests/{number}/approve").status_code == 404
    assert f"申请 {number}" not in beijing_sec.get("/console/accounts").text
    outside = beijing.post("/console/accounts/new", **NEW_CLERK)
    assert outside.status_code == 403 and "只能为本单位、下级单位" in outside.text
    clerk = Console(api, "sjz.handler")
    assert clerk.get("/console/accounts").status_code == 403
    assert "/console/accounts" not in clerk.get("/console").text  # no nav entry either

    refused = secadmin.post(f"/console/accounts/requests/{number}/refuse", reason="人员未到岗")
    assert refused.status_code == 303
    assert secadmin.post(f"/console/accounts/requests/{number}/approve").status_code == 409
    mine = sysadmin.get("/console/accounts").text
    assert "已拒绝" in mine and "人员未到岗" in mine


def test_bad_input_names_the_field_and_keeps_what_was_typed(api: Api) -> None:
    sysadmin = administrator(api, "hebei.sysadmin", "130000", "sysadmin")

    bad_name = sysadmin.post("/console/accounts/new", **{**NEW_CLERK, "username": "x"})
    no_unit = sysadmin.post("/console/accounts/new", **{**NEW_CLERK, "unit_code": "130199"})
    no_name = sysadmin.post("/console/accounts/new", **{**NEW_CLERK, "display_name": " "})
    no_action = sysadmin.post("/console/accounts/users/hebei.sysadmin", action="")
    own = sysadmin.post("/console/accounts/users/hebei.sysadmin", action="disable")

    assert bad_name.status_code == 422 and "用户名：用户名须为 3 至 32 位" in bad_name.text
    assert 'value="新受理员"' in bad_name.text and 'aria-invalid="true"' in bad_name.text
    assert no_unit.status_code == 422 and "单位代码：单位代码 130199 不存在" in no_unit.text
    assert 'value="130199"' in no_unit.text
    assert no_name.status_code == 422 and "姓名：姓名须为 1 至 64 个字" in no_name.text
    assert no_action.status_code == 422 and "办理事项：请选择要办理的事项" in no_action.text
    assert own.status_code == 422 and "账号状态：不能停用自己的账号" in own.text
    assert api.user("hebei.sysadmin").active
    assert "没有待批准的申请" in sysadmin.get("/console/accounts").text  # nothing was asked


def test_a_locked_account_shows_until_when_and_its_sysadmin_unlocks_it(api: Api) -> None:
    sysadmin = administrator(api, "hebei.sysadmin", "130000", "sysadmin")
    api.add_user("sjz.handler", unit_code="130100", role="handler")
    api.lock_out("sjz.handler")
    assert api.login_from("203.0.113.99", "sjz.handler", PASSWORD).status_code == 423

    listed = sysadmin.get("/console/accounts").text
    assert "锁定至 2030-03-04 09:15" in listed  # 01:00 UTC + 15 minutes, Beijing time
    assert "解锁 sjz.handler" in listed
    unlocked = sysadmin.post("/console/accounts/users/sjz.handler", action="unlock")
    assert unlocked.status_code == 200 and "账号已解锁" in unlocked.text
    assert api.user("sjz.handler").locked_until is None
    assert api.login_from("203.0.113.99", "sjz.handler", PASSWORD).status_code == 200


def test_a_temporary_password_and_a_totp_reset_wait_for_the_secadmin(api: Api) -> None:
    sysadmin = administrator(api, "hebei.sysadmin", "130000", "sysadmin")
    api.add_user("sjz.auditor", unit_code="130100", role="auditor", totp=True)

    page = sysadmin.get("/console/accounts/users/sjz.auditor").text
    assert "申请停用账号" in page and "申请重置动态口令" in page
    asked = sysadmin.post("/console/accounts/users/sjz.auditor", action="password")
    disable = sysadmin.post("/console/accounts/users/sjz.auditor", action="disable")

    password = one_time_password(asked.text)
    assert password and "设置临时密码" in asked.text
    assert "停用账号" in disable.text and one_time_password(disable.text) is None
    assert api.user("sjz.auditor").active
    assert api.login("sjz.auditor", password).status_code == 401


def test_an_administrator_enrols_the_totp_before_anything_else(api: Api) -> None:
    api.add_user("new.secadmin", unit_code="130000", role="secadmin")  # no TOTP yet
    admin = Console(api, "new.secadmin")

    sent = admin.get("/console/accounts")
    assert (sent.status_code, sent.headers["location"]) == (303, "/console/totp")
    assert admin.post("/console/totp").headers["location"] == "/console/totp"
    page = admin.get("/console/totp").text
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert secret
    key = secret.group(1).replace(" ", "")
    assert admin.get("/console/totp").text.count(secret.group(1)) == 1  # the same on reload

    wrong = admin.post("/console/totp/confirm", code="000000")
    assert wrong.status_code == 422 and "动态验证码：动态验证码不正确" in wrong.text
    assert secret.group(1) in wrong.text
    right = admin.post("/console/totp/confirm", code=pyotp.TOTP(key).at(api.clock()))
    assert right.status_code == 303
    assert "本账号已绑定动态口令" in admin.get("/console/totp").text
    assert admin.get("/console/accounts").status_code == 200
    assert api.user("new.secadmin").totp_enrolled
