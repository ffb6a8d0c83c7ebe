"""/api/calendar over HTTP: load a year as `xueji calendar load` does, and show it."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.api_support import Api, open_api
from workflows.complaint import ComplaintWorkflow

YEAR_2031 = {"year": 2031, "source": "国办发明电", "holidays": ["2031-03-04"], "workdays": []}


@dataclass
class FakeTemporal:
    """Stands in for the API's TemporalLink: lists running cases and records signals."""

    running: list[str] = field(default_factory=list)
    signalled: list[tuple[str, Any]] = field(default_factory=list)
    reachable: bool = True

    async def client(self) -> "FakeTemporal":
        if not self.reachable:
            raise ConnectionError("Temporal 服务无法连接")
        return self

    async def list_workflows(self, query: str) -> AsyncIterator[Any]:
        for workflow_id in self.running:
            yield type("Execution", (), {"id": workflow_id})()

    def get_workflow_handle(self, workflow_id: str) -> "FakeHandle":
        return FakeHandle(self, workflow_id)


@dataclass
class FakeHandle:
    temporal: FakeTemporal
    id: str

    async def signal(self, signal: Any) -> None:
        self.temporal.signalled.append((self.id, signal))


@pytest.fixture
def api(store_url: str, tmp_path: Path) -> Iterator[Api]:
    with open_api(store_url, tmp_path) as api:
        yield api


@pytest.fixture
def temporal(api: Api) -> FakeTemporal:
    fake = FakeTemporal(running=["case-1", "case-2"])
    api.client.app.state.temporal = fake  # type: ignore[attr-defined]
    return fake


def test_a_good_year_is_saved_and_running_cases_retimed(
    api: Api, temporal: FakeTemporal, tmp_path: Path
) -> None:
    headers = api.headers_for("sec", role="secadmin")

    response = api.client.post("/api/calendar/years", json=YEAR_2031, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"year": 2031, "holidays": 1, "workdays": 0, "cases_retimed": 2}
    assert (tmp_path / "calendar" / "2031.json").exists()
    assert temporal.signalled == [
        ("case-1", ComplaintWorkflow.calendar_changed),
        ("case-2", ComplaintWorkflow.calendar_changed),
    ]
    shown = api.client.get("/api/calendar/years/2031", headers=api.headers_for("clerk")).json()
    assert shown["status"] == "official"
    assert "2031-03-04" in shown["weekday_holidays"]
    assert shown["weekend_workdays"] == []


def test_a_bad_document_lists_every_problem_and_changes_nothing(
    api: Api, temporal: FakeTemporal, tmp_path: Path
) -> None:
    headers = api.headers_for("sys", role="sysadmin")
    bad = {"year": 2031, "holidays": ["2031-02-30", "2030-01-01"], "workdays": ["2031-03-05"]}

    response = api.client.post("/api/calendar/years", json=bad, headers=headers)

    assert response.status_code == 422
    messages = [error["msg"] for error in response.json()["detail"]]
    assert len(messages) == 3, messages
    assert "不是真实存在的日期" in messages[0]
    assert "不在 2031 年内" in messages[1]
    assert "调休上班日必须是星期六或星期日" in messages[2]
    assert not (tmp_path / "calendar" / "2031.json").exists()
    assert temporal.signalled == []
    not_an_object = api.client.post("/api/calendar/years", json=[1], headers=headers)
    assert not_an_object.status_code == 422


def test_without_temporal_the_year_is_saved_and_ops_told_to_retime(
    api: Api, temporal: FakeTemporal, tmp_path: Path
) -> None:
    temporal.reachable = False
    headers = api.headers_for("sec", role="secadmin")

    response = api.client.post("/api/calendar/years", json=YEAR_2031, headers=headers)

    assert response.status_code == 503
    assert "xueji calendar retime" in response.json()["detail"]
    assert (tmp_path / "calendar" / "2031.json").exists()


def test_only_administrators_load_and_only_staff_read(api: Api, temporal: FakeTemporal) -> None:
    for role in ("clerk", "handler", "leader", "auditor"):
        headers = api.headers_for(f"{role}.one", role=role)
        response = api.client.post("/api/calendar/years", json=YEAR_2031, headers=headers)
        assert response.status_code == 403, role
    assert api.client.post("/api/calendar/years", json=YEAR_2031).status_code == 401
    assert api.client.get("/api/calendar/years/2031").status_code == 401
    headers = api.headers_for("clerk.two")
    estimated = api.client.get("/api/calendar/years/2031", headers=headers)
    assert estimated.json()["status"] == "estimated"
    assert api.client.get("/api/calendar/years/99999", headers=headers).status_code == 422
