"""The console's 组织机构 and 投诉电话和邮箱 over HTTP, on both stores (the app on the small tree,
its clock pinned at 2030-03-04 09:00 Beijing time): the upload refused with every problem by
file and line, the preview and its apply (409 when the tree changed since, 422 naming the
units still in use), CSRF, another province's unit 404, other roles 403, and the contacts
form keeping what was typed when a field is refused."""

import re
from datetime import UTC, datetime

import httpx
from fastapi.testclient import TestClient
from sqlmodel import select

from domain.roles import ADMIN_ROLES
from store.db import session_scope
from store.models import School, Unit
from tests.support.api_support import PASSWORD, UNITS, Api, totp_code

UNITS_CSV = "code,name,level,parent_code,phone,email\n" + "".join(
    f"{c},{n},{v},{p},,\n" for c, n, v, p in UNITS
)
SCHOOLS_CSV = "code,name,unit_code\n1111010101,东城第一中学,110101\n"


def console_as(api: Api, username: str, *, unit_code: str, role: str = "sysadmin") -> TestClient:
    """A browser of its own signed in to the console (administrators with their TOTP code)."""
    secret = api.add_user(username, unit_code=unit_code, role=role, totp=role in ADMIN_ROLES)
    client = TestClient(api.client.app, follow_redirects=False)
    form = {"username": username, "password": PASSWORD, "next": "/console"}
    form["totp_code"] = totp_code(secret, api.clock()) if secret else ""
    answer = client.post("/console/login", data=form)
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def upload(client: TestClient, units: str, schools: str, csrf: str) -> httpx.Response:
    files = {
        "units": ("units.csv", units.encode(), "text/csv"),
        "schools": ("schools.csv", schools.encode(), "text/csv"),
    }
    return client.post("/console/org/import", data={"csrf": csrf}, files=files)


def test_the_root_sysadmin_uploads_previews_and_applies_a_new_tree(api: Api) -> None:
    admin = console_as(api, "root.admin", unit_code="000000")
    form = admin.get("/console/org/import")
    assert form.status_code == 200 and 'type="file"' in form.text
    csrf = csrf_of(form.text)

    bad = upload(
        admin, UNITS_CSV.replace("110102,西城区教育局,county", "110102,,county"), "x", csrf
    )
    assert bad.status_code == 422
    text = bad.text
    assert "文件有误，未导入任何内容" in text and "units.csv:5" in text
    assert "schools.csv" in text and 'href="#schools"' in text
    missing = admin.post("/console/org/import", data={"csrf": csrf})
    assert missing.status_code == 422 and "单位文件：请选择文件" in missing.text
    forged = upload(admin, UNITS_CSV, SCHOOLS_CSV, "0" * 64)
    assert forged.status_code == 403

    renamed = UNITS_CSV.replace("东城区教育局", "北京市东城区教育委员会")
    uploaded = upload(
        admin, renamed.replace("110102,西城区教育局,county,110000,,\n", ""), SCHOOLS_CSV, csrf
    )
    assert uploaded.status_code == 303
    preview_path = uploaded.headers["location"]
    preview = admin.get(preview_path)
    assert preview.status_code == 200
    assert "改名的单位：1 个" in preview.text and "北京市东城区教育委员会" in preview.text
    assert "删除的单位：1 个" in preview.text and "西城区教育局" in preview.text
    assert "新增的学校：1 个" in preview.text and "东城第一中学" in preview.text
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', preview.text)
    assert digest is not None
    with session_scope(api.engine) as session:
        assert session.get(Unit, "110102") is not None  # nothing changed yet

    stale = admin.post(preview_path, data={"csrf": csrf, "digest": "0" * 64})
    assert stale.status_code == 409 and "预览之后已有变化" in stale.text
    applied = admin.post(preview_path, data={"csrf": csrf, "digest": digest.group(1)})
    assert applied.status_code == 303, applied.text
    done = admin.get(applied.headers["location"])
    assert "已导入新的组织机构树：共 6 个单位、1 所学校" in done.text
    with session_scope(api.engine) as session:
        assert session.get(Unit, "110102") is None
        assert [s.code for s in session.exec(select(School))] == ["1111010101"]
    gone = admin.post(preview_path, data={"csrf": csrf, "digest": digest.group(1)})
    assert gone.status_code == 404 and "重新上传" in gone.text  # applied: the draft is gone


def test_a_removal_in_use_is_refused_on_the_preview_and_at_the_apply(api: Api) -> None:
    admin = console_as(api, "root.admin", unit_code="000000")
    csrf = csrf_of(admin.get("/console/org/import").text)
    without_xicheng = UNITS_CSV.replace("110102,西城区教育局,county,110000,,\n", "")
    uploaded = upload(admin, without_xicheng, SCHOOLS_CSV, csrf)
    preview_path = uploaded.headers["location"]
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', admin.get(preview_path).text)
    assert digest is not None
    api.add_user("xc.clerk", unit_code="110102")  # an account appears after the preview

    refused = admin.post(preview_path, data={"csrf": csrf, "digest": digest.group(1)})

    assert refused.status_code == 422
    assert "西城区教育局（110102）：1 个工作人员账号" in refused.text
    assert 'name="digest"' not in refused.text  # no apply button while it is in use
    with session_scope(api.engine) as session:
        assert session.get(Unit, "110102") is not None


def test_only_the_root_sysadmin_imports_and_each_sysadmin_browses_its_subtree(api: Api) -> None:
    province = console_as(api, "bj.admin", unit_code="110000")
    assert province.get("/console/org/import").status_code == 403
    home = province.get("/console/org")
    assert home.status_code == 200 and "北京市教育委员会" in home.text
    assert 'href="/console/org"' in home.text and 'href="/console/contacts"' in home.text  # nav
    assert "导入新的组织机构树" not in home.text
    assert 'href="/console/org/units/110101"' in home.text
    found = province.get("/console/org", params={"q": "西城"})
    assert "查找“西城”的结果：1 个" in found.text
    assert "没有名称含" in province.get("/console/org", params={"q": "长安"}).text  # Hebei's
    too_long = province.get("/console/org", params={"q": "城" * 51})
    assert too_long.status_code == 422
    assert province.get("/console/org/units/130102").status_code == 404
    clerk = console_as(api, "bj.clerk", unit_code="110000", role="clerk")
    assert clerk.get("/console/org").status_code == 403
    assert 'href="/console/org"' not in clerk.get("/console").text  # no nav entry


def test_a_sysadmin_confirms_and_changes_contacts_and_sees_those_to_confirm(api: Api) -> None:
    with session_scope(api.engine) as session:
        unit = session.get(Unit, "110101")
        assert unit is not None
        unit.phone, unit.contact_confirmed_at = "010-1234", datetime(2029, 3, 3, tzinfo=UTC)
        session.add(unit)
    province = console_as(api, "bj.admin", unit_code="110000")

    home = province.get("/console/contacts")

    assert home.status_code == 200
    stale = home.text.split("辖区内待确认的单位", 1)[1]
    assert "从未确认，或最近确认已超过一年：3 个单位" in stale
    assert "2029-03-03 08:00（超过一年）" in stale
    csrf = csrf_of(home.text)

    typed = {"phone": "call me", "email": "xfj@bjedu.example.cn", "csrf": csrf}
    refused = province.post("/console/contacts/110101", data=typed)
    assert refused.status_code == 422
    assert "投诉电话：电话号码格式不正确" in refused.text and 'value="call me"' in refused.text
    assert 'value="xfj@bjedu.example.cn"' in refused.text  # kept as typed
    saved = province.post("/console/contacts/110101", data=typed | {"phone": "010-6401 1234"})
    assert saved.status_code == 303
    page = province.get(saved.headers["location"])
    assert "已保存" in page.text and "2030-03-04 09:00" in page.text
    confirmed = province.post("/console/contacts/110102/confirm", data={"csrf": csrf})
    assert confirmed.status_code == 303
    assert "已确认无变化" in province.get(confirmed.headers["location"]).text
    with session_scope(api.engine) as session:
        units = {
            u.code: (u.phone, u.email, u.contact_confirmed_at) for u in session.exec(select(Unit))
        }
    assert units["110101"][:2] == ("010-6401 1234", "xfj@bjedu.example.cn")
    assert units["110102"] == ("", "", api.clock())
    after = province.get("/console/contacts").text.split("辖区内待确认的单位", 1)[1]
    assert "1 个单位" in after and "北京市教育委员会（110000）" in after

    assert province.get("/console/contacts/130102").status_code == 404  # another province's
    other = province.post("/console/contacts/130102/confirm", data={"csrf": csrf})
    assert other.status_code == 404
    forged = province.post("/console/contacts/110102/confirm", data={"csrf": "0" * 64})
    assert forged.status_code == 403
    city = console_as(api, "sjz.admin", unit_code="130100")
    assert "辖区内待确认的单位" not in city.get("/console/contacts").text  # below a province
