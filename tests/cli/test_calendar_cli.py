"""`xueji calendar load`: an official year is taken; a bad file is refused and changes nothing."""

import asyncio
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from core.settings import get_settings
from domain.process import Stage
from domain.workdays import SHANGHAI, WorkdayCalendar
from store.calendar import StoreCalendar
from store.db import engine_for
from store.models import CalendarYear
from tests.support.local import XUEJI, free_port
from tests.support.process_support import prepare_store, settled, start_case, state
from tests.support.waiting import eventually
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import Withdraw
from xueji.cli import app
from xueji.worker import build_worker

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dev_server: WorkflowEnvironment
) -> Iterator[Path]:
    monkeypatch.delenv("XUEJI_CALENDAR_DIR", raising=False)
    monkeypatch.setenv("XUEJI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(
        "XUEJI_TEMPORAL_ADDRESS", dev_server.client.service_client.config.target_host
    )
    monkeypatch.setenv("XUEJI_TEMPORAL_TASK_QUEUE", f"calendar-{uuid.uuid4().hex[:8]}")
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def _write(path: Path, content: dict[str, object]) -> Path:
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def test_load_official_year_moves_a_deadline(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "2027.json",
        {
            "year": 2027,
            "source": "国办发明电〔2026〕X号",
            "holidays": ["2027-01-01", "2027-01-04"],
            "workdays": ["2027-01-09"],
        },
    )
    result = runner.invoke(app, ["calendar", "load", str(file)])

    assert result.exit_code == 0, result.output
    assert "已载入 2027 年安排：2 个放假日、1 个调休上班日" in result.output
    calendar = shared_calendar()
    assert calendar.year_status(2027) == "official"
    # 2026-12-31 + 5 working days: Jan 1 and Jan 4 off, Sat Jan 9 worked: Jan 5, 6, 7, 8, 9.
    received = datetime(2026, 12, 31, 9, tzinfo=SHANGHAI)
    assert WorkdayCalendar().deadline(received, 5) == datetime(
        2027, 1, 8, 23, 59, 59, tzinfo=SHANGHAI
    )
    assert calendar.deadline(received, 5) == datetime(2027, 1, 9, 23, 59, 59, tzinfo=SHANGHAI)


def test_bad_file_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    good = _write(
        tmp_path / "good.json", {"year": 2027, "holidays": ["2027-01-01"], "workdays": []}
    )
    assert runner.invoke(app, ["calendar", "load", str(good)]).exit_code == 0
    before = stored_documents()

    bad = _write(
        tmp_path / "bad.json",
        {"year": 2027, "holidays": ["2027-02-30"], "workdays": ["2027-01-06"]},
    )
    result = runner.invoke(app, ["calendar", "load", str(bad)])

    assert result.exit_code == 1
    assert "日历文件被拒绝，原有安排不变" in result.output
    assert "bad.json" in result.output
    assert "holidays" in result.output and "workdays" in result.output
    assert stored_documents() == before
    assert shared_calendar().is_workday(date(2027, 1, 6))  # the bad file's holiday is not


def test_show_reports_estimated_year(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calendar", "show", "2027"])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["status"] == "estimated"
    assert "2027-01-01" in shown["weekday_holidays"]
    assert shown["weekend_workdays"] == []


def test_load_without_temporal_says_running_cases_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XUEJI_TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    file = _write(tmp_path / "2027.json", {"year": 2027, "holidays": [], "workdays": []})

    result = runner.invoke(app, ["calendar", "load", str(file)])

    assert result.exit_code == 1
    assert "xueji calendar retime" in result.output
    assert shared_calendar().year_status(2027) == "official"  # saved, and in use from now on


async def test_load_re_times_running_cases(tmp_path: Path, dev_server: WorkflowEnvironment) -> None:
    settings = get_settings()
    prepare_store(settings)
    async with build_worker(dev_server.client, settings):
        # Mon 3 March 2031: three working days end on Thursday 6 March.
        received = datetime(2031, 3, 3, 10, 0, tzinfo=SHANGHAI)
        case = await start_case(dev_server.client, settings, received_at=received)
        await settled(case, Stage.VERIFY_ISSUE)
        assert await first_due(case) == datetime(2031, 3, 6, 23, 59, 59, tzinfo=SHANGHAI)

        file = _write(
            tmp_path / "2031.json", {"year": 2031, "holidays": ["2031-03-04"], "workdays": []}
        )
        result = await asyncio.to_thread(runner.invoke, app, ["calendar", "load", str(file)])

        assert result.exit_code == 0, result.output
        assert "已开始重新计算运行中案件的期限" in result.output
        moved = datetime(2031, 3, 7, 23, 59, 59, tzinfo=SHANGHAI)

        async def re_timed() -> bool:
            return await first_due(case) == moved

        await eventually(re_timed, timeout=10, failure=f"the first deadline never moved to {moved}")
        await case.signal(ComplaintWorkflow.withdraw, Withdraw())
        await case.result()


def shared_calendar() -> WorkdayCalendar:
    """The calendar as every worker and API process reads it (the store, over any files)."""
    settings = get_settings()
    engine = engine_for(settings)
    try:
        return StoreCalendar(engine, settings.calendar_path)()
    finally:
        engine.dispose()


def stored_documents() -> list[tuple[int, str]]:
    engine = engine_for(get_settings())
    try:
        with Session(engine) as session:
            return [(row.year, row.document) for row in session.exec(select(CalendarYear))]
    finally:
        engine.dispose()


async def first_due(case: WorkflowHandle[Any, Any]) -> datetime | None:
    view = await state(case)
    return view.clocks[0].due if view.clocks else None


def xueji_command(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed `xueji` console script, as cron or ops run it, with this test's settings."""
    return subprocess.run(
        [XUEJI, *args], capture_output=True, text=True, timeout=60, env=os.environ.copy()
    )


async def test_retime_from_the_command_line_waits_for_the_durable_run_and_shows_it(
    dev_server: WorkflowEnvironment,
) -> None:
    # The console script ends a process that connected to Temporal itself (xueji.cli.main),
    # passing on the command's exit code and everything it printed.
    settings = get_settings()
    prepare_store(settings)
    async with build_worker(dev_server.client, settings):
        received = datetime(2031, 3, 3, 10, 0, tzinfo=SHANGHAI)
        case = await start_case(dev_server.client, settings, received_at=received)
        await settled(case, Stage.VERIFY_ISSUE)
        done = await asyncio.to_thread(xueji_command, "calendar", "retime")
        shown = await asyncio.to_thread(xueji_command, "calendar", "retime", "--status")
        await case.signal(ComplaintWorkflow.withdraw, Withdraw())
    assert (done.returncode, done.stderr) == (0, "")
    queue = settings.temporal_task_queue
    assert done.stdout.splitlines() == [
        f"已开始重新计算运行中案件的期限（{queue}-retime），等待完成…",
        "已通知 1 件运行中的案件重新计算期限",
    ]
    assert shown.returncode == 0, shown.stderr
    assert re.fullmatch(
        rf"已完成：{queue}-retime，\S+ \S+ 开始，已通知 1 件，通知前已结束 0 件，"
        r"未能通知 0 件，\S+ \S+ 完成\n",
        shown.stdout,
    ), shown.stdout


def test_retime_without_temporal_fails_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUEJI_TEMPORAL_ADDRESS", f"127.0.0.1:{free_port()}")
    refused = xueji_command("calendar", "retime")
    assert refused.returncode == 1
    assert "无法连接" in refused.stderr and "xueji calendar retime" in refused.stderr
