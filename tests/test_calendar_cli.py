"""`xueji calendar load`: an official year is taken; a bad file is refused and changes nothing."""

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.workdays import SHANGHAI, WorkdayCalendar
from xueji.cli import app
from xueji.settings import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("XUEJI_CALENDAR_DIR", raising=False)
    monkeypatch.setenv("XUEJI_DATA_DIR", str(tmp_path / "data"))
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
    calendar = WorkdayCalendar.from_directory(tmp_path / "data" / "calendar")
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
    stored = tmp_path / "data" / "calendar" / "2027.json"
    before = stored.read_bytes()

    bad = _write(
        tmp_path / "bad.json",
        {"year": 2027, "holidays": ["2027-02-30"], "workdays": ["2027-01-06"]},
    )
    result = runner.invoke(app, ["calendar", "load", str(bad)])

    assert result.exit_code == 1
    assert "日历文件被拒绝，原有安排不变" in result.output
    assert "bad.json" in result.output
    assert "holidays" in result.output and "workdays" in result.output
    assert stored.read_bytes() == before
    assert sorted(p.name for p in stored.parent.iterdir()) == ["2027.json"]


def test_show_reports_estimated_year(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calendar", "show", "2027"])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["status"] == "estimated"
    assert "2027-01-01" in shown["weekday_holidays"]
    assert shown["weekend_workdays"] == []
