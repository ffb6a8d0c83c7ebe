"""One year's official working-day arrangement (放假和调休安排) and the override files that hold it.

Override file format: one UTF-8 JSON file per year, by convention named after it
(``2027.json``)::

    {
      "year": 2027,
      "source": "国办发明电〔2026〕X号",
      "holidays": ["2027-01-01", "2027-02-05", "..."],
      "workdays": ["2027-02-07"]
    }

- ``year``: integer, 1949..2200; the file replaces every other source for that year.
- ``holidays``: statutory rest days, ``YYYY-MM-DD``, all within ``year``, no duplicates.
  Listing a rest day that falls on a weekend is allowed and changes nothing.
- ``workdays``: make-up working days, ``YYYY-MM-DD``, within ``year``, each a Saturday or a
  Sunday, no duplicates, none also in ``holidays``.
- ``source``: optional string, e.g. the notice number.

No other keys are allowed. A file with any problem is refused as a whole, and so is a
directory with any bad file: nothing is loaded, and the error lists every problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

MIN_FILE_YEAR = 1949
MAX_FILE_YEAR = 2200

_FILE_KEYS = ("year", "source", "holidays", "workdays")
_REQUIRED_KEYS = ("year", "holidays", "workdays")
_DATE_FORM = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_JSON_TYPE_NAMES = {
    dict: "对象",
    list: "数组",
    str: "字符串",
    int: "整数",
    float: "小数",
    bool: "布尔值",
    type(None): "null",
}


@dataclass(frozen=True)
class YearArrangement:
    """One year's official arrangement: rest days and make-up working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""

    def __post_init__(self) -> None:
        # Accept any iterable of dates, but keep the instance hashable and immutable.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        problems = _arrangement_problems(self.year, self.holidays, self.workdays)
        if problems:
            raise ValueError("；".join(problems))


class CalendarFileError(ValueError):
    """A calendar override file (or directory) was refused; nothing was loaded."""

    def __init__(self, problems: list[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        lines = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"日历文件校验失败，未作任何更改：\n{lines}")


def _arrangement_problems(
    year: int, rest_days: frozenset[date], make_up_days: frozenset[date]
) -> list[str]:
    problems = []
    for field, days in (("holidays", rest_days), ("workdays", make_up_days)):
        for day in sorted(day for day in days if day.year != year):
            problems.append(f"字段“{field}”中的 {day.isoformat()} 不在 {year} 年内")
    for day in sorted(rest_days & make_up_days):
        problems.append(f"{day.isoformat()} 同时出现在字段“holidays”和“workdays”中")
    for day in sorted(day for day in make_up_days if day.weekday() < 5):
        problems.append(
            f"字段“workdays”中的 {day.isoformat()} 是{_WEEKDAY_NAMES[day.weekday()]}，"
            "调休上班日必须是星期六或星期日"
        )
    return problems


def _json_type_name(value: object) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _quoted(value: object) -> str:
    """A value from a file as the administrator wrote it: text in quotes, JSON otherwise."""
    return f"“{value}”" if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _parse_dates(field: str, value: object, problems: list[str]) -> frozenset[date]:
    """Parse one list of dates, recording every problem with its position in the list."""
    if not isinstance(value, list):
        problems.append(f"字段“{field}”必须是日期字符串的数组，实际是{_json_type_name(value)}")
        return frozenset()
    seen: dict[date, int] = {}
    for position, item in enumerate(value, start=1):
        where = f"字段“{field}”第 {position} 项"
        if not isinstance(item, str) or not _DATE_FORM.fullmatch(item):
            problems.append(f"{where} {_quoted(item)} 不是 YYYY-MM-DD 格式的日期")
            continue
        try:
            day = date.fromisoformat(item)
        except ValueError:
            problems.append(f"{where} {_quoted(item)} 不是真实存在的日期")
            continue
        if day in seen:
            problems.append(f"{where} {item} 与第 {seen[day]} 项重复")
            continue
        seen[day] = position
    return frozenset(seen)


def _parse_document(document: Any) -> tuple[YearArrangement | None, list[str]]:
    """Validate a decoded JSON document; the problems are messages without the file name."""
    if not isinstance(document, dict):
        return None, [f"顶层必须是 JSON 对象，实际是{_json_type_name(document)}"]
    problems = [f"缺少字段“{key}”" for key in _REQUIRED_KEYS if key not in document]
    allowed = "、".join(_FILE_KEYS)
    problems += [
        f"未知字段“{key}”（允许的字段：{allowed}）" for key in document if key not in _FILE_KEYS
    ]

    year = document.get("year")
    year_ok = (
        isinstance(year, int)
        and not isinstance(year, bool)
        and MIN_FILE_YEAR <= year <= MAX_FILE_YEAR
    )
    if "year" in document and not year_ok:
        problems.append(
            f"字段“year”必须是 {MIN_FILE_YEAR} 到 {MAX_FILE_YEAR} 之间的整数，"
            f"实际是 {_quoted(year)}"
        )
    source = document.get("source", "")
    if not isinstance(source, str):
        problems.append(f"字段“source”必须是字符串，实际是{_json_type_name(source)}")
    rest_days = _parse_dates("holidays", document.get("holidays", []), problems)
    make_up_days = _parse_dates("workdays", document.get("workdays", []), problems)
    if not isinstance(year, int) or not year_ok:
        return None, problems
    problems += _arrangement_problems(year, rest_days, make_up_days)
    if problems:
        return None, problems
    return YearArrangement(year, rest_days, make_up_days, str(source)), []


def _read_year_file(path: Path) -> tuple[YearArrangement | None, list[str]]:
    """Read and validate one file; every problem message starts with the file's path."""
    try:
        # utf-8-sig: files saved by Windows editors often start with a byte order mark.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return None, [f"日历文件 {path}：不是 UTF-8 编码的文本"]
    except OSError as error:
        return None, [f"日历文件 {path}：无法读取（{error.strerror or error}）"]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [
            f"日历文件 {path}：不是有效的 JSON，第 {error.lineno} 行第 {error.colno} 列有语法错误"
        ]
    arrangement, problems = _parse_document(document)
    return arrangement, [f"日历文件 {path}：{problem}" for problem in problems]


def parse_year_document(document: Any) -> YearArrangement:
    """Validate a decoded JSON document of one year; raise CalendarFileError listing every
    problem (the document an HTTP client sends instead of a file)."""
    arrangement, problems = _parse_document(document)
    if arrangement is None:
        raise CalendarFileError(problems)
    return arrangement


def year_document(arrangement: YearArrangement) -> dict[str, Any]:
    """The JSON document of one year (what `parse_year_document` reads back)."""
    return {
        "year": arrangement.year,
        "source": arrangement.source,
        "holidays": sorted(day.isoformat() for day in arrangement.holidays),
        "workdays": sorted(day.isoformat() for day in arrangement.workdays),
    }


def parse_year_file(path: Path) -> YearArrangement:
    """Read and validate one override file; raise CalendarFileError listing every problem."""
    arrangement, problems = _read_year_file(path)
    if arrangement is None:
        raise CalendarFileError(problems)
    return arrangement


def load_directory(path: Path) -> dict[int, YearArrangement]:
    """Load every ``*.json`` in a directory, all or nothing; a missing directory gives {}."""
    if not path.exists():
        return {}
    if not path.is_dir():
        raise CalendarFileError([f"日历目录 {path}：不是目录"])
    loaded: dict[int, YearArrangement] = {}
    file_of_year: dict[int, Path] = {}
    problems: list[str] = []
    for file in sorted(path.glob("*.json")):
        arrangement, file_problems = _read_year_file(file)
        problems += file_problems
        if arrangement is None:
            continue
        if arrangement.year in loaded:
            problems.append(
                f"日历文件 {file}：字段“year”为 {arrangement.year}，"
                f"与 {file_of_year[arrangement.year]} 重复"
            )
            continue
        loaded[arrangement.year] = arrangement
        file_of_year[arrangement.year] = file
    if problems:
        raise CalendarFileError(problems)
    return loaded
