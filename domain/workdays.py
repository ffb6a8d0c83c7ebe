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

The override files' format is in domain/year_files.py.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import MAXYEAR, MINYEAR, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays as holiday_rules

from domain.year_files import YearArrangement, load_directory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def beijing_minute(at: datetime) -> str:
    """`at` as staff and complainants read a time: YYYY-MM-DD HH:MM, Beijing time."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


YearStatus = Literal["official", "estimated"]

END_OF_DAY = time(23, 59, 59)


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

    def window(self, first: date, days: int) -> WorkdayWindow:
        """The working days of the `days` days from `first`, as data (see WorkdayWindow)."""
        _require_date(first)
        stretch = [first + timedelta(days=i) for i in range(days)]
        years = range(first.year, stretch[-1].year + 1) if stretch else range(0)
        return WorkdayWindow(
            first=first,
            days="".join("1" if self.is_workday(day) else "0" for day in stretch),
            estimated_years=[year for year in years if self.year_status(year) == "estimated"],
        )


@dataclass(kw_only=True)
class WorkdayWindow:
    """Which days of a stretch are working days, as data: what workflow code counts due times
    in. Workflow code may not read the calendar (it can change while a case runs); an activity
    hands it a window (WorkdayCalendar.window), and a new one after a calendar change."""

    first: date
    days: str  # one character a day from `first`: "1" a working day, "0" a day off
    estimated_years: list[int] = field(default_factory=list)  # the stretch's estimated years

    def plan(self, start: datetime, n: int) -> tuple[datetime, datetime, bool] | None:
        """What the calendar gives for n working days from `start` (WorkdayCalendar.deadline):
        the due time, the reminder time (the end of the working day before it; of start's day
        for n == 1) and whether a year between is estimated. None where the window does not
        reach, or for what the calendar refuses (a naive start, n below 1)."""
        if start.tzinfo is None or start.utcoffset() is None or n < 1:
            return None
        day = start.astimezone(SHANGHAI).date()
        index = (day - self.first).days
        if index < 0:
            return None
        eve = index
        for _ in range(n - 1):
            eve = self.days.find("1", eve + 1)
            if eve < 0:
                return None
        due = self.days.find("1", eve + 1)
        if due < 0:
            return None
        due_day = self.first + timedelta(days=due)
        estimated = any(day.year <= year <= due_day.year for year in self.estimated_years)
        return (
            datetime.combine(due_day, END_OF_DAY, tzinfo=SHANGHAI),
            datetime.combine(self.first + timedelta(days=eve), END_OF_DAY, tzinfo=SHANGHAI),
            estimated,
        )
