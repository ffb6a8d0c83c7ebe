"""/api/audit over HTTP: the auditor pages, filters, exports and verifies; nobody edits."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from store.db import session_scope
from store.models import AuditRecord
from tests.support.api_support import Api


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
    for route in api.client.app.routes:  # type: ignore[attr-defined]
        if getattr(route, "path", "").startswith("/api/audit"):
            assert route.methods <= {"GET", "HEAD"}, route.path


@pytest.mark.parametrize("path", ["/api/audit", "/api/complaints"])
def test_an_offset_beyond_any_page_is_a_422_naming_it(api: Api, path: str) -> None:
    headers = api.headers_for("aud.two", role="auditor" if path == "/api/audit" else "clerk")
    answer = api.client.get(path, params={"offset": 2**63}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["query", "offset"]
    assert api.client.get(path, params={"offset": 2**31 - 1}, headers=headers).status_code == 200
