"""/api/audit over HTTP: the auditor pages, filters, exports and verifies; nobody edits."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import text
from sqlmodel import Session, col, select

from store.db import make_engine, session_scope
from store.models import AuditRecord
from tests.support.api_support import PASSWORD, Api


@pytest.fixture
def auditor(api: Api) -> dict[str, str]:
    """The auditor's headers, after some audited writes (logins and refused changes)."""
    headers = api.headers_for("aud.one", role="auditor")
    clerk = api.headers_for("clerk.one")
    api.client.patch("/api/org/units/110000", json={"phone": "010-1"}, headers=clerk)
    api.login("clerk.one", "Wrong-Password-9")
    return headers


def test_the_auditor_pages_through_the_log_newest_first(api: Api, auditor: dict[str, str]) -> None:
    everything = api.client.get("/api/audit", headers=auditor).json()
    page = api.client.get("/api/audit?offset=1&limit=2", headers=auditor).json()

    total = everything["total"]
    assert total >= 4
    seqs = [item["seq"] for item in everything["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert page["total"] == total
    assert [item["seq"] for item in page["items"]] == seqs[1:3]


def test_filters_by_actor_action_and_time(api: Api, auditor: dict[str, str]) -> None:
    by_actor = api.client.get("/api/audit?actor=clerk.one", headers=auditor).json()
    assert by_actor["total"] >= 2
    assert {item["actor"] for item in by_actor["items"]} == {"clerk.one"}
    refused = next(item for item in by_actor["items"] if item["result"] == "refused:403")
    by_action = api.client.get(
        "/api/audit", params={"action": refused["action"]}, headers=auditor
    ).json()
    assert {item["action"] for item in by_action["items"]} == {refused["action"]}

    now = datetime.now(UTC)  # the audit trail records the wall clock, not the app's clock
    late, early = (now + timedelta(hours=1)).isoformat(), (now - timedelta(hours=1)).isoformat()
    window = {"from": early, "to": late}
    everything = api.client.get("/api/audit", headers=auditor).json()["total"]
    assert (
        api.client.get("/api/audit", params=window, headers=auditor).json()["total"] == everything
    )
    assert api.client.get("/api/audit", params={"from": late}, headers=auditor).json()["total"] == 0
    assert api.client.get("/api/audit", params={"to": early}, headers=auditor).json()["total"] == 0
    naive = api.client.get("/api/audit", params={"from": "2030-03-04T09:00:00"}, headers=auditor)
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"] == ["query", "from"]


def test_export_is_csv_with_a_bom(api: Api, auditor: dict[str, str]) -> None:
    response = api.client.get("/api/audit/export", headers=auditor)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["序号", "时间", "用户"]
    total = api.client.get("/api/audit", headers=auditor).json()["total"]
    assert len(rows) == total + 1


def test_verify_finds_the_first_broken_entry(api: Api, auditor: dict[str, str]) -> None:
    intact = api.client.get("/api/audit/verify", headers=auditor).json()
    assert intact["intact"] is True
    assert intact["first_broken_seq"] is None
    assert intact["count"] >= 4

    with session_scope(api.engine) as session:
        record = session.exec(select(AuditRecord).where(AuditRecord.seq == 2)).one()
        record.actor = "someone.else"
        session.add(record)

    broken = api.client.get("/api/audit/verify", headers=auditor).json()
    assert broken["intact"] is False
    assert broken["first_broken_seq"] == 2
    assert "HMAC" in broken["reason"]


def test_only_the_auditor_reads_and_nobody_edits(api: Api, auditor: dict[str, str]) -> None:
    for role in ("sysadmin", "secadmin", "clerk", "leader"):
        headers = api.headers_for(f"{role}.x", role=role)
        for path in ("/api/audit", "/api/audit/export", "/api/audit/verify"):
            assert api.client.get(path, headers=headers).status_code == 403, (role, path)
    assert api.client.get("/api/audit").status_code == 401
    for method in ("DELETE", "PUT", "PATCH", "POST"):
        for path in ("/api/audit", "/api/audit/1"):
            response = api.client.request(method, path, headers=auditor)
            assert response.status_code in (404, 405), (method, path)
    audit_routes = [
        context
        for context in iter_route_contexts(api.client.app.routes)  # type: ignore[attr-defined]
        if context.path.startswith("/api/audit")
    ]
    assert len(audit_routes) == 3  # the log, its export, the check
    for context in audit_routes:
        assert set(context.methods or ()) <= {"GET", "HEAD"}, context.path


@pytest.mark.parametrize("path", ["/api/audit", "/api/complaints"])
def test_an_offset_beyond_any_page_is_a_422_naming_it(api: Api, path: str) -> None:
    headers = api.headers_for("aud.two", role="auditor" if path == "/api/audit" else "clerk")
    answer = api.client.get(path, params={"offset": 2**63}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["query", "offset"]
    assert api.client.get(path, params={"offset": 2**31 - 1}, headers=headers).status_code == 200


def heads_file(api: Api) -> Path:
    return Path(api.client.app.state.audit_heads)  # type: ignore[attr-defined]


def test_each_audited_write_exports_the_chain_head(api: Api, auditor: dict[str, str]) -> None:
    with session_scope(api.engine) as session:
        records = session.exec(select(AuditRecord).order_by(col(AuditRecord.seq))).all()
        expected = [(r.seq, r.hash) for r in records]
        assert {r.key_id for r in records} == {"dev"}
    lines = [json.loads(line) for line in heads_file(api).read_text().splitlines()]
    assert sorted((line["seq"], line["hash"]) for line in lines) == expected


def test_verify_finds_the_newest_entries_deleted(api: Api, auditor: dict[str, str]) -> None:
    intact = api.client.get("/api/audit/verify", headers=auditor).json()
    assert intact["intact"] is True and intact["heads"] == intact["count"]
    newest = intact["count"]  # the verify request itself is a read: not audited

    with api.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE seq >= :seq"), {"seq": newest - 1})

    truncated = api.client.get("/api/audit/verify", headers=auditor).json()
    assert truncated["intact"] is False
    assert truncated["first_broken_seq"] == newest - 1
    assert "其后的记录被删除" in truncated["reason"]


def test_a_write_that_cannot_be_audited_fails_instead_of_succeeding(
    api: Api, tmp_path: Path
) -> None:
    api.add_user("clerk.two")
    state = api.client.app.state  # type: ignore[attr-defined]
    working = state.audit_engine
    # A store without the audit table: every audit record fails to be written.
    state.audit_engine = make_engine(f"sqlite:///{tmp_path / 'no-audit-table.db'}")
    try:
        answer = api.login("clerk.two")
    finally:
        state.audit_engine.dispose()
        state.audit_engine = working

    assert answer.status_code == 500
    assert "审计日志写入失败" in answer.json()["detail"]
    assert "token" not in answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert api.login("clerk.two", PASSWORD).status_code == 200  # audited again: it answers


def test_any_path_is_audited_and_answered_as_the_route_answers(api: Api) -> None:
    # A NUL (which PostgreSQL refuses in text) and a path longer than the action's column:
    # both once failed the audit record silently, and would now fail the request.
    headers = api.headers_for("clerk.three")
    odd = api.client.patch("/api/admin/users/a%00b", json={}, headers=headers)
    long = api.client.post("/api/" + "x" * 100, json={}, headers=headers)

    assert odd.status_code == 403 and long.status_code == 404
    with Session(api.engine) as session:
        newest = session.exec(select(AuditRecord).order_by(col(AuditRecord.seq).desc())).all()
        assert newest[1].target == "PATCH /api/admin/users/a\\x00b"
        assert newest[0].action == ("/api/" + "x" * 100)[:64]
