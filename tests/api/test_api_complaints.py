"""Complaints over HTTP: registration, the list and detail by jurisdiction, every staff action
and its refusals, slips, and the public tracking look-up. The real app, a real worker on the dev
server, a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from api.routes import complaints as complaints_routes
from core.keys import DEV_AUDIT_KEY_SPEC, AuditKeys
from domain.workdays import WorkdayCalendar
from store import audit_chain
from store.audit_heads import read_heads
from store.db import engine_for, session_scope
from store.intake import take_ticket
from store.models import AuditRecord, Case
from store.sealing import Sealer
from tests.support.demo import CHANG_AN, CHANG_AN_SCHOOL, CITY, PROVINCE, QIAO_XI, XIN_HUA
from tests.support.http_support import COMPLAINT, USERS, System, register, visible
from tests.support.waiting import eventually

AUDIT_KEYS = AuditKeys(DEV_AUDIT_KEY_SPEC)


async def test_registration_routes_the_case_and_answers_its_first_deadline(
    system: System,
) -> None:
    created = await register(system)
    assert (created["stage"], created["handling_unit"], created["route"]) == (
        "verify_issue",
        CITY,
        [PROVINCE, CITY],
    )
    assert len(created["query_code"]) == 6 and created["query_code"].isdigit()

    detail = await visible(system, "sjz_handler", created["id"])
    received = datetime.fromisoformat(detail["received_at"])
    due = WorkdayCalendar().deadline(received, 3)
    first = created["first_deadline"]
    assert (first["unit"], datetime.fromisoformat(first["due"])) == (CITY, due)
    assert detail["complainant"]["phone_masked"] == "138****5678"
    assert detail["students"] == [
        {"name": "张小雨", "id_card_masked": "", "student_no_masked": "G110105********002X"}
    ]
    assert detail["summary"] == COMPLAINT["summary"]
    assert [step["key"] for step in detail["steps"]] == ["verify_issue-1"]
    assert datetime.fromisoformat(detail["steps"][0]["due"]) == due


async def test_a_call_about_a_county_case_is_referred_to_the_county_hotline(
    system: System,
) -> None:
    call = {**COMPLAINT, "channel": "phone", "school_codes": [CHANG_AN_SCHOOL]}
    created = await register(system, {**call, "refer_to_hotline": True})
    assert (created["stage"], created["handling_unit"], created["first_deadline"]) == (
        "referred",
        CHANG_AN,
        None,
    )
    assert created["route"] == [PROVINCE, CITY, CHANG_AN]
    assert created["hotline"] == "0000-6130102"  # 长安区's published phone, to read out
    detail = await visible(system, "ca_handler", created["id"])
    assert (detail["stage"], detail["steps"]) == ("referred", [])


async def test_a_retried_registration_returns_the_same_complaint(system: System) -> None:
    first = await register(system, **{"Idempotency-Key": "k-1"})
    again = await register(system, **{"Idempotency-Key": "k-1"})
    assert (again["id"], again["tracking_no"], again["query_code"]) == (
        first["id"],
        first["tracking_no"],
        first["query_code"],
    )
    other = {**COMPLAINT, "summary": "另一件事"}
    reused = await system.post("hb_clerk", "/api/complaints", other, **{"Idempotency-Key": "k-1"})
    assert reused.status_code == 409 and "Idempotency-Key" in reused.json()["detail"]


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"school_codes": ["2130102"]}, ["body", "school_codes", 0]),
        ({"school_codes": [CHANG_AN_SCHOOL, "2139999001"]}, ["body", "school_codes", 1]),
        ({"complainant": {"name": "张", "phone": "12345"}}, ["body", "complainant", "phone"]),
        ({"channel": "fax"}, ["body", "channel"]),
        ({"summary": ""}, ["body", "summary"]),
        ({"school_codes": []}, ["body"]),
    ],
)
async def test_bad_registrations_name_the_field_and_change_nothing(
    system: System, change: dict[str, Any], location: list[Any]
) -> None:
    answer = await system.post("hb_clerk", "/api/complaints", {**COMPLAINT, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == location
    assert answer.json()["detail"][0]["msg"]
    engine = engine_for(system.settings)
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 0
    engine.dispose()


async def test_jurisdiction_actions_and_refusals(system: System) -> None:
    created = await register(system)
    case_id = created["id"]
    await visible(system, "sjz_handler", case_id)

    # A sibling county neither lists nor reads it; the province does.
    listed = (await system.get("xh_handler", "/api/complaints")).json()
    assert listed["total"] == 0
    assert (await system.get("xh_handler", f"/api/complaints/{case_id}")).status_code == 404
    listed = (await system.get("hb_clerk", "/api/complaints", overdue=False)).json()
    assert [item["id"] for item in listed["items"]] == [case_id]

    verification = {"addressees": [CHANG_AN, QIAO_XI], "instructions": "请核查两校登记情况"}
    path = f"/api/complaints/{case_id}/verification"
    assert (await system.post("sjz_clerk", path, verification)).status_code == 403  # role
    assert (await system.post("xh_handler", path, verification)).status_code == 404  # unseen
    answer = await system.post("sjz_handler", path, verification)
    assert answer.status_code == 200, answer.text
    assert answer.json()["stage"] == "verification"
    assert (await system.post("sjz_handler", path, verification)).status_code == 409  # done

    # The county on a slip's route now sees the case and its slip.
    await visible(system, "ca_handler", case_id)
    slips = (await system.get("ca_handler", "/api/slips")).json()
    assert [(s["slip_id"], s["addressee"]) for s in slips] == [("V1", CHANG_AN)]
    slip = (await system.get("ca_handler", f"/api/slips/{case_id}/V1")).json()
    assert slip["instructions"] == "请核查两校登记情况"
    assert (await system.get("qx_handler", f"/api/slips/{case_id}/V1")).status_code == 404

    opinion = {"opinion": "撤销重复登记", "executing_units": [CHANG_AN]}
    early = await system.post("sjz_handler", f"/api/complaints/{case_id}/opinion", opinion)
    assert early.status_code == 409  # slips still out

    for username, slip_id in (("ca_handler", "V1"), ("qx_handler", "V2")):
        returned = await system.post(
            username, f"/api/complaints/{case_id}/slips/{slip_id}/return", {"response": "已核查"}
        )
        assert returned.status_code == 200, returned.text
    again = await system.post(
        "ca_handler", f"/api/complaints/{case_id}/slips/V1/return", {"response": "再次"}
    )
    assert again.status_code == 409

    async def at_opinion() -> bool:
        detail = (await system.get("sjz_handler", f"/api/complaints/{case_id}")).json()
        return bool(detail["stage"] == "opinion")

    await eventually(at_opinion)
    wrong = await system.post("ca_handler", f"/api/complaints/{case_id}/opinion", opinion)
    assert wrong.status_code == 403  # only the handling unit decides

    bad = await system.post(
        "sjz_handler",
        f"/api/complaints/{case_id}/opinion",
        {"opinion": "x", "executing_units": ["12"]},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][:2] == [
        "body",
        "executing_units",
    ]


def times_in(answer: Any) -> list[str]:
    """Every date-time string anywhere in a JSON answer."""
    if isinstance(answer, dict):
        return [t for value in answer.values() for t in times_in(value)]
    if isinstance(answer, list):
        return [t for value in answer for t in times_in(value)]
    if isinstance(answer, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT.+", answer):
        return [answer]
    return []


async def test_every_time_in_an_answer_is_beijing_time(system: System) -> None:
    created = await register(system)
    case_id = created["id"]
    await visible(system, "sjz_handler", case_id)
    verification = {"addressees": [CHANG_AN], "instructions": "请核查"}
    acted = await system.post(
        "sjz_handler", f"/api/complaints/{case_id}/verification", verification
    )
    await visible(system, "ca_handler", case_id)
    answers = [
        created,
        acted.json(),
        (await system.get("sjz_handler", f"/api/complaints/{case_id}")).json(),
        (await system.get("sjz_handler", "/api/complaints")).json(),
        (await system.get("ca_handler", "/api/slips")).json(),
    ]
    times = [t for answer in answers for t in times_in(answer)]
    assert len(times) > 10
    assert [t for t in times if not t.endswith("+08:00")] == []
    received = datetime.fromisoformat(answers[2]["received_at"])
    assert received.utcoffset() == timedelta(hours=8)


async def test_public_tracking_with_the_query_code(system: System) -> None:
    created = await register(system)
    await visible(system, "sjz_handler", created["id"])
    number, code = created["tracking_no"], created["query_code"]
    wrong_code = "000000" if code != "000000" else "111111"

    tracked = await system.http.post("/api/track", json={"tracking_no": number, "code": code})
    assert tracked.status_code == 200, tracked.text
    assert (tracked.json()["stage"], tracked.json()["finished"]) == ("verify_issue", False)
    assert "张晓明" not in tracked.text and CITY not in tracked.text
    missing = await system.http.post("/api/track", json={"tracking_no": number, "code": wrong_code})
    assert missing.status_code == 404
    malformed = await system.http.post("/api/track", json={"tracking_no": "2030-XYZ", "code": code})
    assert malformed.status_code == 422 and malformed.json()["detail"][0]["loc"] == [
        "body",
        "tracking_no",
    ]
    # The old address with the code in it answers 410 and looks nothing up.
    old = await system.http.get(f"/api/track/{number}", params={"code": code})
    assert old.status_code == 410 and "POST /api/track" in old.json()["detail"]
    assert "verify_issue" not in old.text


async def test_a_complaint_whose_handling_is_not_under_way_is_shown_as_registered(
    system: System,
) -> None:
    """The complainant has the tracking number the moment the clerk registers the complaint,
    also while no worker has written its first step (the workers are down)."""
    received = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    engine = engine_for(system.settings)
    with Session(engine) as session:
        ticket = take_ticket(
            session=session,
            sealer=Sealer(system.settings.store_keys),
            registered_by="hb_clerk",
            receiving_unit=PROVINCE,
            idempotency_key=None,
            request_hash="0" * 64,
            now=received,
            lookup_key=system.settings.lookup_key_bytes,
        )
    engine.dispose()

    tracked = await system.http.post(
        "/api/track", json={"tracking_no": ticket.tracking_no, "code": ticket.query_code}
    )
    assert tracked.status_code == 200, tracked.text
    assert tracked.json() == {
        "tracking_no": ticket.tracking_no,
        "stage": "registered",
        "stage_name": "受理",
        "received_at": "2026-03-02T09:30:00+08:00",
        "updated_at": "2026-03-02T09:30:00+08:00",
        "due": None,
        "estimated": False,
        "finished": False,
        "outcome": "",
        "outcome_name": "",
        "reply": "",
    }
    wrong_code = "000000" if ticket.query_code != "000000" else "111111"
    missing = await system.http.post(
        "/api/track", json={"tracking_no": ticket.tracking_no, "code": wrong_code}
    )
    assert missing.status_code == 404

    # The clerk's unit, which registered it, is told it is being set up; no one else learns of it.
    pending = await system.get("hb_clerk", f"/api/complaints/{ticket.complaint_id}")
    assert pending.status_code == 202
    assert pending.json() == {
        "id": ticket.complaint_id,
        "tracking_no": ticket.tracking_no,
        "stage": "registered",
        "received_at": "2026-03-02T09:30:00+08:00",
        "detail": "投诉已登记，办理流程正在建立，请稍后刷新",
    }
    other = await system.get("sjz_handler", f"/api/complaints/{ticket.complaint_id}")
    assert other.status_code == 404


async def test_withdrawal_closes_the_case(system: System) -> None:
    created = await register(system)  # received by the province, handled by the city
    case_id = created["id"]
    await visible(system, "sjz_handler", case_id)
    path = f"/api/complaints/{case_id}/withdrawal"
    # Not the receiving province once the case has gone down, not the city's clerk, not a
    # county on the way: only the handling unit's handler or leader records it.
    for username in ("hb_clerk", "sjz_clerk", "hb_leader"):
        refused = await system.post(username, path, {"reason": "已解决"})
        assert refused.status_code == 403, (username, refused.text)
        assert "只有处理单位的承办人或领导" in refused.json()["detail"]
    answer = await system.post("sjz_handler", path, {"reason": "已解决"})
    assert answer.status_code == 202
    # The city's clerk may, for a case the city received and handles itself.
    own = await register(system, username="sjz_clerk")
    assert own["handling_unit"] == CITY
    await visible(system, "sjz_clerk", own["id"])
    own_path = f"/api/complaints/{own['id']}/withdrawal"
    assert (await system.post("sjz_clerk", own_path, {"reason": "已解决"})).status_code == 202

    async def withdrawn() -> bool:
        detail = (await system.get("sjz_handler", f"/api/complaints/{case_id}")).json()
        return bool(detail["stage"] == "withdrawn")

    await eventually(withdrawn)
    late = await system.post(
        "sjz_handler", f"/api/complaints/{case_id}/verification", {"addressees": [CHANG_AN]}
    )
    assert late.status_code == 409


async def test_every_write_leaves_an_audit_record(system: System) -> None:
    created = await register(system)
    refused = await system.post(
        "xh_handler", f"/api/complaints/{created['id']}/verification", {"addressees": [XIN_HUA]}
    )
    assert refused.status_code == 404
    failed_login = await system.http.post(
        "/api/auth/login", json={"username": "hb_clerk", "password": "wrong-Password-1"}
    )
    assert failed_login.status_code == 401

    engine = engine_for(system.settings)
    with session_scope(engine) as session:
        records = session.exec(select(AuditRecord).order_by(col(AuditRecord.seq))).all()
        rows = [(r.actor, r.actor_unit, r.actor_role, r.action, r.result) for r in records]
        heads = read_heads(system.settings.audit_heads_path)
        assert audit_chain.verify(session=session, keys=AUDIT_KEYS, heads=heads) is None
        assert {head.seq for head in heads} == {r.seq for r in records}
        clients = {r.client for r in records}
    engine.dispose()
    logins = [row for row in rows if row[3] == "login"]
    assert len(logins) == len(USERS) + 1 and logins[-1] == (
        "hb_clerk",
        "",
        "",
        "login",
        "refused:401",
    )
    assert ("hb_clerk", PROVINCE, "clerk", "register", "ok") in rows
    assert rows[-2] == ("xh_handler", XIN_HUA, "handler", "issue_verification", "refused:404")
    assert clients == {"203.0.113.7"}


async def test_a_write_that_breaks_is_audited_as_failed(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(complaints_routes, "take_ticket", broken)
    with pytest.raises(RuntimeError):  # the in-process transport re-raises what answered 500
        await system.post("hb_clerk", "/api/complaints", COMPLAINT)

    engine = engine_for(system.settings)
    with session_scope(engine) as session:
        last = session.exec(select(AuditRecord).order_by(col(AuditRecord.seq).desc())).first()
        assert last is not None
        assert (last.actor, last.action, last.result) == ("hb_clerk", "register", "failed:500")
    engine.dispose()


async def stage_is(system: System, case_id: str, stage: str) -> None:
    async def reached() -> bool:
        detail = (await system.get("hb_leader", f"/api/complaints/{case_id}")).json()
        return bool(detail.get("stage") == stage)

    await eventually(reached)


async def test_the_whole_path_with_a_rework_over_http(system: System) -> None:
    created = await register(system)
    case = f"/api/complaints/{created['id']}"
    await visible(system, "sjz_handler", created["id"])

    async def act(username: str, path: str, body: dict[str, Any]) -> Any:
        answer = await system.post(username, case + path, body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    await act("sjz_handler", "/verification", {"addressees": [CHANG_AN, QIAO_XI]})
    for county in ("ca_handler", "qx_handler"):  # once the worker has written their slips
        await visible(system, county, created["id"])
    await act("ca_handler", "/slips/V1/return", {"response": "长安区已核查"})
    await act("qx_handler", "/slips/V2/return", {"response": "桥西区已核查"})
    await stage_is(system, created["id"], "opinion")
    view = await act(
        "sjz_handler", "/opinion", {"opinion": "撤销重复", "executing_units": [CHANG_AN]}
    )
    assert view["stage"] == "execution"
    too_late = await system.post("sjz_handler", case + "/dispute", {"proposed_unit": CHANG_AN})
    assert too_late.status_code == 409  # the handling opinion is decided
    await act("ca_handler", "/slips/S1/return", {"response": "已撤销"})
    await stage_is(system, created["id"], "confirmation")
    informing = {"channel": "phone", "message": "已为您更正学籍", "public_reply": "已更正学籍"}
    early = await system.post("sjz_handler", case + "/informing", informing)
    assert early.status_code == 409
    view = await act(
        "sjz_handler", "/rework", {"executing_units": [QIAO_XI], "instructions": "再查"}
    )
    assert (view["stage"], view["supervision_round"]) == ("execution", 2)
    await act("qx_handler", "/slips/S2/return", {"response": "已更正"})
    await stage_is(system, created["id"], "confirmation")
    assert (await act("sjz_handler", "/confirmation", {"conclusion": "属实"}))[
        "stage"
    ] == "informing"
    closed = await act("sjz_handler", "/informing", informing)
    assert (closed["stage"], closed["outcome"]) == ("closed", "closed")

    await stage_is(system, created["id"], "closed")
    tracked = await system.http.post(
        "/api/track", json={"tracking_no": created["tracking_no"], "code": created["query_code"]}
    )
    assert (tracked.json()["stage"], tracked.json()["finished"]) == ("closed", True)
    late = await system.post("sjz_handler", case + "/confirmation", {"conclusion": "x"})
    assert late.status_code == 409


async def test_a_dispute_is_ruled_only_by_the_ruling_unit(system: System) -> None:
    body = {**COMPLAINT, "school_codes": [CHANG_AN_SCHOOL]}
    created = await register(system, body)
    assert created["handling_unit"] == CHANG_AN
    case_id = created["id"]
    case = f"/api/complaints/{case_id}"
    await visible(system, "ca_handler", case_id)

    outsider = await system.post("hb_leader", case + "/dispute", {"proposed_unit": QIAO_XI})
    assert outsider.status_code == 403  # sees the case, but is no party to it
    disputed = await system.post("ca_handler", case + "/dispute", {"proposed_unit": QIAO_XI})
    assert disputed.status_code == 202
    await stage_is(system, case_id, "disputed")
    ruling = {"handling_unit": QIAO_XI, "reason": "学籍在桥西区"}
    wrong = await system.post("hb_leader", case + "/ruling", ruling)
    assert wrong.status_code == 403 and CITY in wrong.json()["detail"]
    not_a_leader = await system.post("sjz_handler", case + "/ruling", ruling)
    assert not_a_leader.status_code == 403
    assert "负责人（领导）裁定" in not_a_leader.json()["detail"]
    ruled = await system.post("sjz_leader", case + "/ruling", ruling)
    assert ruled.status_code == 202

    async def moved() -> bool:
        detail = await system.get("qx_handler", f"/api/complaints/{case_id}")
        return detail.status_code == 200 and detail.json()["handling_unit"] == QIAO_XI

    await eventually(moved)
    assert (await system.get("ca_handler", case)).status_code == 404
    again = await system.post("sjz_leader", case + "/ruling", ruling)
    assert again.status_code == 409


async def test_slips_go_only_to_units_below_the_handling_unit(system: System) -> None:
    created = await register(system)  # handled by 石家庄市
    case_id = created["id"]
    await visible(system, "sjz_handler", case_id)
    path = f"/api/complaints/{case_id}/verification"
    for addressees, index, words in [
        (["110101"], 0, "东城区教育局（110101）不在本案处理单位石家庄市教育局的下级范围内"),
        (
            [CHANG_AN, PROVINCE],
            1,
            "河北省教育厅（130000）不在本案处理单位石家庄市教育局的下级范围内",
        ),
        (["139999"], 0, "139999"),
    ]:
        body = {"addressees": addressees, "instructions": "请核查"}
        answer = await system.post("sjz_handler", path, body)
        assert answer.status_code == 422, answer.text
        error = answer.json()["detail"][0]
        assert error["loc"] == ["body", "addressees", index] and words in error["msg"]
    state = (await system.get("sjz_handler", f"/api/complaints/{case_id}")).json()
    assert state["slips"] == []  # nothing was issued
    body = {"addressees": [XIN_HUA], "instructions": "请核查"}
    answer = await system.post("sjz_handler", path, body)
    assert answer.status_code == 200, answer.text  # a county of the city: inside
