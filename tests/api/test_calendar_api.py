"""/api/calendar over HTTP: load a year as `xueji calendar load` does, and show it; a loaded
year re-times the running cases (the real app, worker and dev server)."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from core.temporal import connect
from domain.workdays import SHANGHAI, WorkdayCalendar
from domain.year_files import parse_year_document
from store.calendar import StoreCalendar
from store.db import engine_for
from store.models import CalendarYear
from tests.support.api_support import Api
from tests.support.http_support import System, register, visible
from tests.support.waiting import eventually

YEAR_2031 = {"year": 2031, "source": "国办发明电", "holidays": ["2031-03-04"], "workdays": []}


async def test_a_loaded_year_is_saved_shown_and_moves_a_running_case_deadline(
    system: System,
) -> None:
    created = await register(system)
    case = await visible(system, "sjz_handler", created["id"])
    received = datetime.fromisoformat(case["received_at"])
    first_due = datetime.fromisoformat(created["first_deadline"]["due"])
    # A new holiday on the first weekday the step counts: the due time moves one working day.
    engine = engine_for(system.settings)
    calendar = StoreCalendar(engine, system.settings.calendar_path)()
    start = received.astimezone(SHANGHAI).date()
    holiday = next(
        day for day in (calendar.add_workdays(start, n) for n in range(1, 4)) if day.weekday() < 5
    )
    year = {"year": holiday.year, "source": "国办发明电", "holidays": [holiday.isoformat()]}
    expected = calendar_with(calendar, year).deadline(received, 3)
    assert expected > first_due
    client = await connect(system.settings)

    async def listed() -> bool:  # the visibility store sees a new workflow a moment later
        return (await client.count_workflows(f'WorkflowId = "{created["id"]}"')).count == 1

    await eventually(listed)

    answer = await system.post("moe_secadmin", "/api/calendar/years", {**year, "workdays": []})

    assert answer.status_code == 200, answer.text
    assert (answer.json()["year"], answer.json()["holidays"]) == (holiday.year, 1)
    retiming = answer.json()["retiming"]
    assert (retiming["state"], retiming["signalled"]) == ("running", 0)  # durable: it goes on
    assert retiming["operation"] == f"{system.settings.temporal_task_queue}-retime"

    async def retimed() -> Any:
        found = (await system.get("hb_clerk", "/api/calendar/retime")).json()
        return found if found["state"] == "done" else None

    done = await eventually(retimed)
    assert (done["signalled"], done["closed"], done["failed"]) == (1, 0, [])  # this test's case
    assert datetime.fromisoformat(done["finished_at"]).utcoffset() == timedelta(hours=8)
    shown = (await system.get("hb_clerk", f"/api/calendar/years/{holiday.year}")).json()
    assert (shown["status"], shown["weekday_holidays"]) == ("official", [holiday.isoformat()])
    # In the store, which every worker reads, wherever it runs: no file is written.
    with Session(engine) as session:
        assert session.get(CalendarYear, holiday.year).loaded_by == "moe_secadmin"  # type: ignore[union-attr]
    engine.dispose()
    assert not (system.settings.calendar_path / f"{holiday.year}.json").exists()

    async def moved() -> bool:
        detail = (await system.get("sjz_handler", f"/api/complaints/{created['id']}")).json()
        return datetime.fromisoformat(detail["steps"][0]["due"]) == expected

    await eventually(moved)


def calendar_with(calendar: WorkdayCalendar, year: dict[str, Any]) -> WorkdayCalendar:
    loaded = parse_year_document({**year, "workdays": []})
    return calendar.with_override(loaded)


def stored_year(api: Api, year: int) -> CalendarYear | None:
    with Session(api.engine) as session:
        return session.get(CalendarYear, year)


def test_a_bad_document_lists_every_problem_and_changes_nothing(api: Api, tmp_path: Path) -> None:
    headers = api.headers_for("sys", role="sysadmin", unit_code="000000")
    bad = {"year": 2031, "holidays": ["2031-02-30", "2030-01-01"], "workdays": ["2031-03-05"]}

    response = api.client.post("/api/calendar/years", json=bad, headers=headers)

    assert response.status_code == 422
    messages = [error["msg"] for error in response.json()["detail"]]
    assert len(messages) == 3, messages
    assert "不是真实存在的日期" in messages[0]
    assert "不在 2031 年内" in messages[1]
    assert "调休上班日必须是星期六或星期日" in messages[2]
    assert stored_year(api, 2031) is None
    not_an_object = api.client.post("/api/calendar/years", json=[1], headers=headers)
    assert not_an_object.status_code == 422


def test_without_temporal_the_year_is_saved_and_ops_told_to_retime(
    api: Api, tmp_path: Path
) -> None:
    headers = api.headers_for("sec", role="secadmin", unit_code="000000")

    response = api.client.post("/api/calendar/years", json=YEAR_2031, headers=headers)

    assert response.status_code == 503
    assert "xueji calendar retime" in response.json()["detail"]
    saved = stored_year(api, 2031)
    assert saved is not None and saved.loaded_by == "sec"
    shown = api.client.get("/api/calendar/years/2031", headers=headers).json()
    assert (shown["status"], shown["weekday_holidays"]) == ("official", ["2031-03-04"])


def test_the_calendar_is_national_a_provinces_administrators_cannot_load_it(api: Api) -> None:
    for role in ("secadmin", "sysadmin"):
        headers = api.headers_for(f"{role}.bj", role=role, unit_code="110000")
        response = api.client.post("/api/calendar/years", json=YEAR_2031, headers=headers)
        assert response.status_code == 403, response.text
        assert "只有教育部" in response.json()["detail"]
    assert stored_year(api, 2031) is None


def test_only_administrators_load_and_only_staff_read(api: Api) -> None:
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
