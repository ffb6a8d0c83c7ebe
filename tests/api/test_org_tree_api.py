"""/api/org over HTTP, on both stores: a new tree's preview (what changes, the removals that
accounts, FAQ entries, running cases and open campaigns still depend on, named), the import
that carries the preview's digest and is refused when the tree changed since, browsing and
searching a sysadmin's subtree, and the units whose contacts are to be confirmed (the clock
pinned: a year before 2030-03-04 09:00 Beijing time)."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from store.db import session_scope
from store.models import Campaign, CampaignUnit, Case, School, Unit
from tests.support.api_support import T0, UNITS, Api
from tests.support.audit_support import last_seq, records_since


def tree(*, drop: tuple[str, ...] = (), **changes: dict[str, str]) -> dict[str, Any]:
    """The small tree with two schools, some units changed (by code) or left out."""
    units = [
        {"code": c, "name": n, "level": v, "parent_code": p} | changes.get(f"u{c}", {})
        for c, n, v, p in UNITS
        if c not in drop
    ]
    schools = [
        {"code": "1111010101", "name": "东城第一中学", "unit_code": "110101"},
        {"code": "1111010201", "name": "西城实验小学", "unit_code": "110102"},
    ]
    return {"units": units, "schools": [s for s in schools if s["code"] not in drop]}


def root(api: Api) -> dict[str, str]:
    return api.headers_for("root.admin", role="sysadmin", unit_code="000000")


def imported(api: Api, body: dict[str, Any], headers: dict[str, str]) -> None:
    answer = api.client.post("/api/org/import", json=body, headers=headers)
    assert answer.status_code == 200, answer.text


def unit_names(api: Api) -> dict[str, str]:
    with session_scope(api.engine) as session:
        return {unit.code: unit.name for unit in session.exec(select(Unit))}


def test_the_preview_says_what_changes_and_the_import_applies_exactly_that(api: Api) -> None:
    headers = root(api)
    imported(api, tree(), headers)
    new = tree(
        drop=("110102", "1111010201"),
        u110101={"name": "北京市东城区教育委员会"},
        u130102={"parent_code": "130000"},
    )
    new["units"].append(
        {"code": "110105", "name": "朝阳区教育委员会", "level": "county", "parent_code": "110000"}
    )
    new["schools"].append({"code": "1111010502", "name": "朝阳实验中学", "unit_code": "110105"})

    answer = api.client.post("/api/org/import/preview", json=new, headers=headers)

    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert (preview["units"], preview["schools"]) == (7, 2)
    assert preview["units_added"] == {
        "total": 1,
        "items": [{"code": "110105", "name": "朝阳区教育委员会", "before": "", "after": ""}],
    }
    assert preview["units_renamed"]["items"] == [
        {
            "code": "110101",
            "name": "北京市东城区教育委员会",
            "before": "东城区教育局",
            "after": "北京市东城区教育委员会",
        }
    ]
    assert preview["units_moved"]["items"] == [
        {
            "code": "130102",
            "name": "长安区教育局",
            "before": "石家庄市教育局（130100）",
            "after": "河北省教育厅（130000）",
        }
    ]
    assert [c["code"] for c in preview["units_removed"]["items"]] == ["110102"]
    assert [c["code"] for c in preview["schools_added"]["items"]] == ["1111010502"]
    assert [c["code"] for c in preview["schools_removed"]["items"]] == ["1111010201"]
    assert preview["in_use"] == [] and len(preview["digest"]) == 64
    assert "110102" in unit_names(api)  # a preview changes nothing

    seq = last_seq(api.engine)
    answer = api.client.post(
        "/api/org/import", json=new | {"digest": preview["digest"]}, headers=headers
    )

    assert answer.status_code == 200, answer.text
    names = unit_names(api)
    assert "110102" not in names and names["110101"] == "北京市东城区教育委员会"
    [(actor, _, target, result)] = records_since(api.engine, seq)
    assert (actor, result) == ("root.admin", "ok")
    assert target == (
        "POST /api/org/import units=7 schools=2 added=1/1 renamed=1/0 moved=1/0 removed=1/1"
        " relevelled=0 contacts=0"
    )
    again = api.client.post("/api/org/import/preview", json=new, headers=headers).json()
    assert again["digest"] != preview["digest"]  # the stored tree is another now
    assert all(
        again[kind]["total"] == 0 for kind in ("units_added", "units_removed", "units_moved")
    )


def test_an_import_is_refused_when_the_tree_changed_after_its_preview(api: Api) -> None:
    headers = root(api)
    new = tree(u110101={"name": "北京市东城区教育委员会"})
    digest = api.client.post("/api/org/import/preview", json=new, headers=headers).json()["digest"]
    imported(api, tree(u130102={"name": "石家庄市长安区教育局"}), headers)  # someone else's

    answer = api.client.post("/api/org/import", json=new | {"digest": digest}, headers=headers)

    assert answer.status_code == 409
    assert "预览之后已有变化" in answer.json()["detail"]
    assert unit_names(api)["110101"] == "东城区教育局"
    other = tree(u110101={"name": "别的名字"}) | {"digest": digest}  # not the body previewed
    assert api.client.post("/api/org/import", json=other, headers=headers).status_code == 409
    bad = api.client.post("/api/org/import", json=new | {"digest": "xyz"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "digest"]


def test_removals_that_something_depends_on_are_named_and_refused(api: Api) -> None:
    headers = root(api)
    imported(api, tree(), headers)
    api.add_user("dc.clerk", unit_code="110101")
    api.add_user("xc.clerk", unit_code="1111010201")  # a school's account
    with session_scope(api.engine) as session:
        for case_id, stage, outcome in (
            ("c-open", "verify_issue", ""),
            ("c-done", "closed", "closed"),
        ):
            session.add(
                Case(
                    id=case_id,
                    tracking_no=case_id,
                    channel="phone",
                    stage=stage,
                    receiving_unit="110000",
                    handling_unit="130102",
                    province="130000",
                    received_at=T0,
                    updated_at=T0,
                    outcome=outcome,
                )
            )
        session.add(
            Campaign(
                id="camp-1",
                title="报送",
                opener_unit="130000",
                status="open",
                opened_at=T0,
                due=T0 + timedelta(days=20),
                remind_at=T0 + timedelta(days=17),
            )
        )
        session.add(CampaignUnit(campaign_id="camp-1", unit_code="130100", position=0))
    new = tree(drop=("110101", "130100", "130102", "1111010101", "1111010201"))
    new["units"] = [u for u in new["units"] if u["code"] not in ("130100", "130102")]

    preview = api.client.post("/api/org/import/preview", json=new, headers=headers).json()

    assert preview["in_use"] == [
        {"code": "110101", "name": "东城区教育局", "reasons": ["1 个工作人员账号"]},
        {"code": "1111010201", "name": "西城实验小学", "reasons": ["1 个工作人员账号"]},
        {"code": "130100", "name": "石家庄市教育局", "reasons": ["1 项未结束的报送任务"]},
        {
            "code": "130102",
            "name": "长安区教育局",
            "reasons": ["1 件在办案件"],
        },  # not the closed one
    ]

    answer = api.client.post(
        "/api/org/import", json=new | {"digest": preview["digest"]}, headers=headers
    )

    assert answer.status_code == 422
    error = answer.json()["detail"][0]
    assert error["loc"] == ["body", "units"]
    assert "长安区教育局（130102）：1 件在办案件" in error["msg"]
    assert "石家庄市教育局（130100）：1 项未结束的报送任务" in error["msg"]
    assert "130102" in unit_names(api)
    with session_scope(api.engine) as session:
        assert len(session.exec(select(School)).all()) == 2


def test_only_the_root_sysadmin_previews_and_is_told_what_is_wrong_with_the_tree(api: Api) -> None:
    for role, unit in (("sysadmin", "110000"), ("secadmin", "000000")):
        headers = api.headers_for(f"{role}.{unit}", role=role, unit_code=unit)
        empty = {"units": [], "schools": []}  # refused before the records are checked
        answer = api.client.post("/api/org/import/preview", json=empty, headers=headers)
        assert answer.status_code == 403, role
    bad = api.client.post(
        "/api/org/import/preview", json=tree(u110101={"level": "村"}), headers=root(api)
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "units", 2]


def test_a_sysadmin_browses_and_searches_its_own_subtree(api: Api) -> None:
    imported(api, tree(), root(api))
    headers = api.headers_for("bj.admin", role="sysadmin", unit_code="110000")

    unit = api.client.get("/api/org/units/110000", headers=headers).json()

    assert (unit["name"], unit["parent_name"]) == ("北京市教育委员会", None)  # above its subtree
    assert [child["code"] for child in unit["children"]] == ["110101", "110102"]
    county = api.client.get("/api/org/units/110101", headers=headers).json()
    assert county["parent_name"] == "北京市教育委员会"
    assert county["schools"] == [{"code": "1111010101", "name": "东城第一中学"}]
    for code in ("130102", "000000", "999999"):
        assert api.client.get(f"/api/org/units/{code}", headers=headers).status_code == 404, code

    found = api.client.get("/api/org/search", params={"q": "城"}, headers=headers).json()
    assert [(f["kind"], f["code"]) for f in found] == [
        ("unit", "110101"),
        ("unit", "110102"),
        ("school", "1111010101"),
        ("school", "1111010201"),
    ]
    by_code = api.client.get("/api/org/search", params={"q": "1301"}, headers=headers).json()
    assert by_code == []  # Hebei's units are another province's
    wildcard = api.client.get("/api/org/search", params={"q": "%"}, headers=headers).json()
    assert wildcard == []  # a wildcard typed is a character looked for
    too_long = api.client.get("/api/org/search", params={"q": "城" * 51}, headers=headers)
    assert too_long.status_code == 422 and too_long.json()["detail"][0]["loc"] == ["query", "q"]
    clerk = api.headers_for("bj.clerk", unit_code="110000")
    assert api.client.get("/api/org/units/110000", headers=clerk).status_code == 403


def confirmed_at(api: Api, **dates: datetime | None) -> None:
    with session_scope(api.engine) as session:
        for code, at in dates.items():
            unit = session.get(Unit, code.removeprefix("u"))
            assert unit is not None
            unit.contact_confirmed_at = at
            session.add(unit)


def test_contacts_never_confirmed_or_older_than_a_year_are_listed_for_a_province(api: Api) -> None:
    a_year_before = datetime(2029, 3, 4, 1, 0, tzinfo=UTC)  # T0 is 2030-03-04 09:00 in Beijing
    confirmed_at(
        api,
        u110000=a_year_before,  # exactly a year: still good
        u110101=a_year_before - timedelta(seconds=1),  # more than a year
        u130102=T0,  # another province's
    )
    headers = api.headers_for("bj.admin", role="sysadmin", unit_code="110000")

    stale = api.client.get("/api/org/contacts/stale", headers=headers)

    assert stale.status_code == 200, stale.text
    assert [unit["code"] for unit in stale.json()] == ["110101", "110102"]  # 110102: never
    assert stale.json()[0]["contact_confirmed_at"] == "2029-03-04T08:59:59+08:00"

    confirmed = api.client.post("/api/org/units/110101/confirm", headers=headers)

    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["contact_confirmed_at"] == "2030-03-04T09:00:00+08:00"
    assert confirmed.json()["phone"] == ""  # unchanged
    after = api.client.get("/api/org/contacts/stale", headers=headers).json()
    assert [unit["code"] for unit in after] == ["110102"]
    national = root(api)
    codes = [u["code"] for u in api.client.get("/api/org/contacts/stale", headers=national).json()]
    assert codes == ["000000", "110102", "130000", "130100"]  # 130102 confirmed today
    assert api.client.post("/api/org/units/130102/confirm", headers=headers).status_code == 404
    city = api.headers_for("sjz.admin", role="sysadmin", unit_code="130100")
    refused = api.client.get("/api/org/contacts/stale", headers=city)
    assert refused.status_code == 403 and "省级及以上" in refused.json()["detail"]
    assert api.client.post("/api/org/units/130102/confirm", headers=city).status_code == 200
