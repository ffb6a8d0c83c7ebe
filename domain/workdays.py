"""Working days (工作日) of mainland China and deadlines counted in them (DESIGN §4).

A working day is Monday to Friday, minus statutory holidays (放假日期), plus the make-up
working days on weekends (调休上班日期) that the State Council publishes each year. Each year's
data comes from the first of these sources that has it:

1. an override file loaded by an administrator ("official");
2. the ``chinese_calendar`` package, for the years it ships ("official");
3. an estimate from the statutory holiday rules, computed by the ``holidays`` package, with no
   make-up working days; weekends only if even that fails ("estimated").

No date ever raises for lack of data. A deadline of N working days runs from the day after the
event and ends at 23:59:59 Asia/Shanghai on the N-th working day.

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
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays as holiday_rules

SHANGHAI = ZoneInfo("Asia/Shanghai")


def beijing_minute(at: datetime) -> str:
    """`at` as staff and complainants read a time: YYYY-MM-DD HH:MM, Beijing time."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


YearStatus = Literal["official", "estimated"]

MIN_FILE_YEAR = 1949
MAX_FILE_YEAR = 2200
END_OF_DAY = time(23, 59, 59)

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


@dataclass(frozen=True)
class _Year:
    """One year's resolved data, cached per calendar."""

    status: YearStatus
    rest_days: frozenset[date]
    make_up_days: frozenset[date]
    working_ordinals: tuple[int, ...]  # sorted, for bisecting


def _official_package_year(year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    """The chinese_calendar data for a year, or None where the package has none."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        # Both functions take explicit dates; never call the ones defaulting to today.
        rest_days = chinese_calendar.get_holidays(first, last, include_weekends=False)
        working = chinese_calendar.get_workdays(first, last, include_weekends=True)
    except NotImplementedError:
        return None
    make_up_days = [day for day in working if day.weekday() >= 5]
    return frozenset(rest_days), frozenset(make_up_days)


def _estimated_rest_days(year: int) -> frozenset[date]:
    """Statutory holidays (with observed substitutes) by rule; empty if the rules fail."""
    try:
        estimate = holiday_rules.China(years=year)
        return frozenset(day for day in estimate if day.year == year)
    except Exception:
        # A calendar must never crash for lack of data: degrade to weekends only.
        return frozenset()


def _resolve_year(year: int, override: YearArrangement | None) -> _Year:
    status: YearStatus
    if override is not None:
        status, rest_days, make_up_days = "official", override.holidays, override.workdays
    elif (package := _official_package_year(year)) is not None:
        status, (rest_days, make_up_days) = "official", package
    else:
        status, rest_days, make_up_days = "estimated", _estimated_rest_days(year), frozenset()
    first = date(year, 1, 1).toordinal()
    last = date(year, 12, 31).toordinal()
    working = tuple(
        ordinal
        for ordinal in range(first, last + 1)
        if _is_working(date.fromordinal(ordinal), rest_days, make_up_days)
    )
    return _Year(status, rest_days, make_up_days, working)


def _is_working(day: date, rest_days: frozenset[date], make_up_days: frozenset[date]) -> bool:
    if day in make_up_days:
        return True
    return day.weekday() < 5 and day not in rest_days


def _require_date(day: date) -> None:
    # datetime is a date subclass but never equals a date: set look-ups would silently miss.
    if isinstance(day, datetime):
        raise TypeError(f"工作日计算需要日期（date），收到的是带时间的 datetime：{day!r}")


class WorkdayCalendar:
    """Immutable working-day calendar; each year's data is computed once and cached."""

    __slots__ = ("_overrides", "_years")

    def __init__(self, overrides: Mapping[int, YearArrangement] | None = None) -> None:
        checked = dict(overrides or {})
        for year, arrangement in checked.items():
            if year != arrangement.year:
                raise ValueError(f"覆盖数据的键 {year} 与其年份 {arrangement.year} 不一致")
        self._overrides: Mapping[int, YearArrangement] = MappingProxyType(checked)
        self._years: dict[int, _Year] = {}

    @classmethod
    def from_directory(cls, path: Path) -> WorkdayCalendar:
        """A calendar with every override file of a directory (see load_directory)."""
        return cls(load_directory(path))

    @property
    def overrides(self) -> Mapping[int, YearArrangement]:
        """The override arrangements, by year (read-only)."""
        return self._overrides

    def with_override(self, arrangement: YearArrangement) -> WorkdayCalendar:
        """A new calendar with this arrangement replacing its year; self is unchanged."""
        calendar = WorkdayCalendar({**self._overrides, arrangement.year: arrangement})
        # Other years resolve identically, so the new calendar may reuse their cache.
        calendar._years.update(
            (year, data) for year, data in self._years.items() if year != arrangement.year
        )
        return calendar

    def _year(self, year: int) -> _Year:
        data = self._years.get(year)
        if data is None:
            if not MINYEAR <= year <= MAXYEAR:
                raise OverflowError(f"{year} 年超出可计算的日期范围（{MINYEAR}–{MAXYEAR}）")
            data = _resolve_year(year, self._overrides.get(year))
            self._years[year] = data
        return data

    def is_workday(self, day: date) -> bool:
        """Whether people work on this day (Mon–Fri minus holidays, plus make-up days)."""
        _require_date(day)
        data = self._year(day.year)
        return _is_working(day, data.rest_days, data.make_up_days)

    def add_workdays(self, day: date, n: int) -> date:
        """The n-th working day after day (n >= 1) or the |n|-th before it (n <= -1).

        The day itself never counts; n == 0 gives day unchanged.
        """
        _require_date(day)
        if n == 0:
            return day
        ordinal = day.toordinal()
        year = day.year
        working = self._year(year).working_ordinals
        remaining = abs(n)
        if n > 0:
            index = bisect_right(working, ordinal)  # first working day after day
            while index + remaining > len(working):
                remaining -= len(working) - index
                year += 1
                working, index = self._year(year).working_ordinals, 0
            return date.fromordinal(working[index + remaining - 1])
        index = bisect_left(working, ordinal) - 1  # last working day before day
        while index - remaining + 1 < 0:
            remaining -= index + 1
            year -= 1
            working = self._year(year).working_ordinals
            index = len(working) - 1
        return date.fromordinal(working[index - remaining + 1])

    def deadline(self, event_at: datetime, n: int) -> datetime:
        """End (23:59:59 Asia/Shanghai) of the n-th working day after the event's day there."""
        if event_at.tzinfo is None or event_at.utcoffset() is None:
            raise ValueError(
                f"event_at 必须带时区信息（收到不带时区的时间 {event_at.isoformat()}）"
            )
        if n < 1:
            raise ValueError(f"期限的工作日数必须至少为 1，收到的是 {n}")
        event_day = event_at.astimezone(SHANGHAI).date()
        return datetime.combine(self.add_workdays(event_day, n), END_OF_DAY, tzinfo=SHANGHAI)

    def year_status(self, year: int) -> YearStatus:
        """'official' where the year has published data, else 'estimated'."""
        if not MINYEAR <= year <= MAXYEAR:
            return "estimated"
        return self._year(year).status

    def is_estimated(self, start: date, end: date) -> bool:
        """Whether any year from start's to end's (in either order) is estimated."""
        first, last = sorted((start.year, end.year))
        return any(self.year_status(year) == "estimated" for year in range(first, last + 1))
