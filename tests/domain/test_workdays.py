"""Working days and deadlines (DESIGN §4), override files, and their properties."""

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import workdays
from domain.process import DeadlinePolicy
from domain.workdays import SHANGHAI, WorkdayCalendar
from domain.year_files import CalendarFileError, YearArrangement, load_directory, parse_year_file

# One shared calendar, as in production: its per-year cache keeps the properties fast.
CALENDAR = WorkdayCalendar()


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=SHANGHAI)


# --- DESIGN §4 and deadlines -------------------------------------------------------------


def test_design_example_national_day_2026() -> None:
    received = datetime(2026, 9, 30, 10, 15, tzinfo=SHANGHAI)
    assert CALENDAR.deadline(received, 3) == datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)


def test_the_life_of_one_complaint_in_the_process_docs() -> None:
    """The example of docs/process.md: each event (Beijing time) and the deadline it starts."""
    policy = DeadlinePolicy()
    steps = [  # (event, working days, due day)
        (datetime(2026, 9, 30, 10, 0), policy.verify_issue, date(2026, 10, 10)),
        (datetime(2026, 10, 12, 9, 30), policy.verify_return, date(2026, 10, 19)),
        (datetime(2026, 10, 16, 15, 0), policy.opinion, date(2026, 10, 23)),
        (datetime(2026, 10, 20, 11, 0), policy.execute, date(2026, 10, 27)),
        (datetime(2026, 10, 26, 16, 0), policy.confirm, date(2026, 10, 29)),
        (datetime(2026, 10, 27, 10, 0), policy.inform, date(2026, 10, 29)),
    ]
    for event, days, due in steps:
        assert CALENDAR.deadline(event.replace(tzinfo=SHANGHAI), days) == end_of(due), event


@pytest.mark.parametrize(
    ("event_at", "n", "due"),
    [
        # received on a holiday: the holiday itself never counts
        (datetime(2026, 10, 3, 9, 0, tzinfo=SHANGHAI), 1, date(2026, 10, 8)),
        (datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI), 3, date(2026, 10, 10)),
        # received on the make-up Saturday: it is a working day, but the event's own day
        (datetime(2026, 10, 10, 16, 0, tzinfo=SHANGHAI), 1, date(2026, 10, 12)),
        (datetime(2026, 2, 14, 11, 0, tzinfo=SHANGHAI), 1, date(2026, 2, 24)),
        # 16:30 UTC on Oct 9 is already 00:30 on Sat Oct 10 in Shanghai
        (datetime(2026, 10, 9, 16, 30, tzinfo=UTC), 1, date(2026, 10, 12)),
        # 15:59:59 UTC is still 23:59:59 on Oct 9 in Shanghai
        (datetime(2026, 10, 9, 15, 59, 59, tzinfo=UTC), 1, date(2026, 10, 10)),
        # the same instant in New York is still Sep 30 locally: Shanghai's day decides
        (datetime(2026, 9, 30, 12, 30, tzinfo=ZoneInfo("America/New_York")), 1, date(2026, 10, 8)),
    ],
)
def test_deadline_counts_from_the_shanghai_day(event_at: datetime, n: int, due: date) -> None:
    deadline = CALENDAR.deadline(event_at, n)
    assert deadline == end_of(due)
    assert deadline.tzinfo is SHANGHAI


def test_deadline_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="event_at") as error:
        CALENDAR.deadline(datetime(2026, 9, 30, 10, 0), 3)
    assert "时区" in str(error.value)


@pytest.mark.parametrize("n", [0, -1])
def test_deadline_needs_at_least_one_working_day(n: int) -> None:
    with pytest.raises(ValueError, match="工作日数"):
        CALENDAR.deadline(datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI), n)


def test_add_zero_workdays_is_the_day_itself() -> None:
    assert CALENDAR.add_workdays(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_a_datetime_is_not_a_day() -> None:
    with pytest.raises(TypeError, match="datetime"):
        CALENDAR.is_workday(datetime(2026, 10, 1, 9, 0))


# --- official 2026 (chinese_calendar) ----------------------------------------------------

SPRING_FESTIVAL_2026 = {
    date(2026, 2, 13): True,  # Fri
    date(2026, 2, 14): True,  # Sat, make-up day
    **{date(2026, 2, day): False for day in range(15, 24)},  # Sun Feb 15 .. Mon Feb 23
    date(2026, 2, 24): True,
    date(2026, 2, 27): True,
    date(2026, 2, 28): True,  # Sat, make-up day
    date(2026, 3, 1): False,  # Sun
}

NATIONAL_DAY_2026 = {
    date(2026, 9, 19): False,  # Sat
    date(2026, 9, 20): True,  # Sun, make-up day
    date(2026, 9, 25): False,  # Fri, Mid-Autumn Festival
    date(2026, 9, 26): False,
    date(2026, 9, 30): True,
    **{date(2026, 10, day): False for day in range(1, 8)},
    date(2026, 10, 8): True,
    date(2026, 10, 9): True,
    date(2026, 10, 10): True,  # Sat, make-up day
    date(2026, 10, 11): False,  # Sun
}


@pytest.mark.parametrize(
    ("day", "working"), sorted({**SPRING_FESTIVAL_2026, **NATIONAL_DAY_2026}.items())
)
def test_official_2026_days(day: date, working: bool) -> None:
    assert CALENDAR.is_workday(day) is working


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (date(2026, 2, 12), 1, date(2026, 2, 13)),
        (date(2026, 2, 12), 2, date(2026, 2, 14)),
        (date(2026, 2, 12), 3, date(2026, 2, 24)),
        (date(2026, 2, 12), 6, date(2026, 2, 27)),
        (date(2026, 2, 12), 7, date(2026, 2, 28)),
        (date(2026, 2, 12), 8, date(2026, 3, 2)),
        (date(2026, 2, 18), 1, date(2026, 2, 24)),
        (date(2026, 2, 24), -1, date(2026, 2, 14)),
        (date(2026, 2, 24), -2, date(2026, 2, 13)),
        (date(2026, 9, 18), 1, date(2026, 9, 20)),
        (date(2026, 9, 24), 1, date(2026, 9, 28)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 10, 8), -1, date(2026, 9, 30)),
        (date(2026, 10, 12), -1, date(2026, 10, 10)),
    ],
)
def test_official_2026_add_workdays(start: date, n: int, due: date) -> None:
    assert CALENDAR.add_workdays(start, n) == due


# --- estimated years ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "due"), [(1, date(2026, 12, 31)), (3, date(2027, 1, 5)), (5, date(2027, 1, 7))]
)
def test_year_end_into_estimated_2027(n: int, due: date) -> None:
    # New Year's Day 2027 (Fri) is a statutory holiday even without official data.
    assert CALENDAR.add_workdays(date(2026, 12, 30), n) == due
    assert CALENDAR.deadline(datetime(2026, 12, 30, 9, 0, tzinfo=SHANGHAI), n) == end_of(due)


def test_year_status_and_is_estimated() -> None:
    assert CALENDAR.year_status(2026) == "official"
    assert CALENDAR.year_status(2027) == "estimated"
    assert CALENDAR.is_estimated(date(2026, 12, 30), date(2027, 1, 7)) is True
    assert CALENDAR.is_estimated(date(2027, 1, 7), date(2026, 12, 30)) is True
    assert CALENDAR.is_estimated(date(2026, 1, 1), date(2026, 12, 31)) is False
    assert CALENDAR.is_estimated(date(2004, 1, 1), date(2026, 12, 31)) is False
    assert CALENDAR.is_estimated(date(2003, 12, 31), date(2004, 1, 1)) is True


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(1990, 10, 1), False),  # Mon, National Day
        (date(1990, 10, 3), True),
        (date(2027, 2, 8), False),  # Mon, Spring Festival by rule
        (date(2027, 2, 11), True),
        (date(2050, 10, 4), False),  # Tue, National Day (observed)
        (date(2100, 1, 1), False),  # Fri, New Year's Day
        (date(2100, 1, 4), True),
    ],
)
def test_estimated_years_follow_the_statutory_rules(day: date, working: bool) -> None:
    assert CALENDAR.year_status(day.year) == "estimated"
    assert CALENDAR.is_workday(day) is working


def test_estimate_falls_back_to_weekends_when_the_rules_fail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(**_: object) -> None:
        raise ValueError("no lunar data")

    monkeypatch.setattr(workdays.holiday_rules, "China", broken)
    calendar = WorkdayCalendar()
    assert calendar.is_workday(date(2027, 1, 1)) is True  # Fri, no holiday known
    assert calendar.is_workday(date(2027, 1, 2)) is False  # Sat
    assert calendar.year_status(2027) == "estimated"
    assert calendar.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 4)


def test_official_coverage_is_detected_not_hard_coded(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_data(*_: object, **__: object) -> None:
        raise NotImplementedError("no available data")

    monkeypatch.setattr(workdays.chinese_calendar, "get_holidays", no_data)
    calendar = WorkdayCalendar()
    assert calendar.year_status(2026) == "estimated"
    assert calendar.is_workday(date(2026, 10, 10)) is False  # the make-up Saturday is unknown


def test_a_year_outside_the_date_range_is_estimated() -> None:
    assert CALENDAR.year_status(0) == "estimated"
    assert CALENDAR.year_status(10000) == "estimated"


@pytest.mark.parametrize("year", [1, 1949, 2101, 2200, 9998])
def test_no_year_raises_for_lack_of_data(year: int) -> None:
    day = date(year, 6, 15)
    assert CALENDAR.add_workdays(day, 30) > day
    assert CALENDAR.add_workdays(day, -30) < day
    assert CALENDAR.year_status(year) == "estimated"


# --- overrides ---------------------------------------------------------------------------

ARRANGEMENT_2027 = YearArrangement(
    year=2027,
    holidays=frozenset({date(2027, 1, 1), date(2027, 1, 4)}),
    workdays=frozenset({date(2027, 1, 9)}),
    source="国办发明电〔2026〕X号",
)


def test_override_changes_the_result_and_leaves_the_original() -> None:
    original = WorkdayCalendar()
    assert original.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 5)
    updated = original.with_override(ARRANGEMENT_2027)
    assert updated.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 6)
    assert updated.is_workday(date(2027, 1, 9)) is True  # make-up Saturday
    assert updated.is_workday(date(2027, 2, 8)) is True  # the estimate no longer applies
    assert updated.year_status(2027) == "official"
    assert updated.is_estimated(date(2026, 12, 30), date(2027, 1, 6)) is False
    assert updated.overrides == {2027: ARRANGEMENT_2027}
    assert original.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 5)
    assert original.year_status(2027) == "estimated"
    assert original.overrides == {}


def test_override_replaces_official_package_data() -> None:
    bare_2026 = YearArrangement(year=2026, holidays=frozenset(), workdays=frozenset())
    calendar = WorkdayCalendar({2026: bare_2026})
    assert calendar.is_workday(date(2026, 10, 1)) is True
    assert calendar.is_workday(date(2026, 10, 10)) is False
    assert calendar.year_status(2026) == "official"


def test_override_key_must_match_its_year() -> None:
    with pytest.raises(ValueError, match="2028"):
        WorkdayCalendar({2028: ARRANGEMENT_2027})


def test_arrangement_validates_itself() -> None:
    with pytest.raises(ValueError, match="星期一"):
        YearArrangement(year=2027, holidays=frozenset(), workdays=frozenset({date(2027, 2, 8)}))
    with pytest.raises(ValueError, match="不在 2027 年内"):
        YearArrangement(year=2027, holidays=frozenset({date(2028, 1, 3)}), workdays=frozenset())


# --- override files ----------------------------------------------------------------------

GOOD_2027 = {
    "year": 2027,
    "source": "国办发明电〔2026〕X号",
    "holidays": ["2027-01-01", "2027-01-04"],
    "workdays": ["2027-01-09"],
}


def write(directory: Path, name: str, content: object) -> Path:
    path = directory / name
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def with_field(**changes: object) -> dict[str, object]:
    return {**GOOD_2027, **changes}


def test_parse_a_good_file(tmp_path: Path) -> None:
    assert parse_year_file(write(tmp_path, "2027.json", GOOD_2027)) == ARRANGEMENT_2027


def test_source_is_optional_and_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    content = {key: value for key, value in GOOD_2027.items() if key != "source"}
    path = tmp_path / "2027.json"
    path.write_text("\ufeff" + json.dumps(content), encoding="utf-8")
    assert parse_year_file(path).source == ""


BAD_FILES = {
    "not json": ('{"year": 2027,', "JSON"),
    "not an object": ("[2027]", "JSON 对象"),
    "missing workdays": ({"year": 2027, "holidays": []}, "缺少字段“workdays”"),
    "missing year": ({"holidays": [], "workdays": []}, "缺少字段“year”"),
    "extra key": (with_field(holiday=[]), "未知字段“holiday”"),
    "year as text": (with_field(year="2027"), "字段“year”"),
    "year as float": (with_field(year=2027.0), "字段“year”"),
    "year as bool": (with_field(year=True), "字段“year”"),
    "year too early": (with_field(year=1948), "字段“year”"),
    "year too late": (with_field(year=2201), "字段“year”"),
    "source not text": (with_field(source=7), "字段“source”"),
    "holidays not a list": (with_field(holidays="2027-01-01"), "字段“holidays”"),
    "date without zero padding": (with_field(holidays=["2027-1-1"]), "字段“holidays”第 1 项"),
    "date without dashes": (with_field(holidays=["20270101"]), "YYYY-MM-DD"),
    "date as a number": (with_field(workdays=[20270109]), "字段“workdays”第 1 项"),
    "full-width digits": (with_field(holidays=["２０２７-01-01"]), "YYYY-MM-DD"),
    "no such day": (with_field(holidays=["2027-01-01", "2027-02-30"]), "字段“holidays”第 2 项"),
    "no leap day": (with_field(workdays=["2027-02-29"]), "不是真实存在的日期"),
    "date in another year": (with_field(holidays=["2028-01-01"]), "2028-01-01 不在 2027 年内"),
    "in both lists": (with_field(holidays=["2027-01-09"]), "同时出现在字段“holidays”和“workdays”"),
    "duplicate": (with_field(holidays=["2027-01-01", "2027-01-01"]), "字段“holidays”第 2 项"),
    "make-up day on a Monday": (
        with_field(workdays=["2027-02-08"]),
        "字段“workdays”中的 2027-02-08",
    ),
}


@pytest.mark.parametrize(("content", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_names_the_file_and_the_field(
    tmp_path: Path, content: object, expected: str
) -> None:
    path = write(tmp_path, "2027.json", content)
    with pytest.raises(CalendarFileError) as error:
        parse_year_file(path)
    message = str(error.value)
    assert str(path) in message
    assert expected in message
    assert all(str(path) in problem for problem in error.value.problems)


def test_every_problem_of_a_file_is_listed(tmp_path: Path) -> None:
    content = {"year": 2027, "holidays": ["2027-13-01", "2028-01-01"], "workdays": ["2027-02-08"]}
    with pytest.raises(CalendarFileError) as error:
        parse_year_file(write(tmp_path, "2027.json", content))
    assert len(error.value.problems) == 3


def test_a_directory_with_one_bad_file_loads_nothing(tmp_path: Path) -> None:
    write(tmp_path, "2027.json", GOOD_2027)
    write(tmp_path, "2028.json", {"year": 2028, "holidays": ["2028-02-30"], "workdays": [], "x": 1})
    with pytest.raises(CalendarFileError) as error:
        load_directory(tmp_path)
    message = str(error.value)
    assert "2028.json" in message
    assert "2027.json" not in message
    assert len(error.value.problems) == 2
    with pytest.raises(CalendarFileError):
        WorkdayCalendar.from_directory(tmp_path)


def test_a_year_in_two_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "2027.json", GOOD_2027)
    write(tmp_path, "2027-copy.json", GOOD_2027)
    with pytest.raises(CalendarFileError, match=r"2027-copy\.json"):
        load_directory(tmp_path)


def test_load_a_good_directory(tmp_path: Path) -> None:
    write(tmp_path, "2027.json", GOOD_2027)
    write(tmp_path, "notes.txt", "not a calendar")
    assert load_directory(tmp_path) == {2027: ARRANGEMENT_2027}
    calendar = WorkdayCalendar.from_directory(tmp_path)
    assert calendar.year_status(2027) == "official"
    assert calendar.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 6)


def test_a_missing_directory_is_empty(tmp_path: Path) -> None:
    assert load_directory(tmp_path / "absent") == {}
    assert WorkdayCalendar.from_directory(tmp_path / "absent").overrides == {}


# --- properties --------------------------------------------------------------------------

DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
COUNTS = st.integers(min_value=1, max_value=60)
ZONES = st.sampled_from(
    [UTC, SHANGHAI, ZoneInfo("America/New_York"), timezone(timedelta(hours=14))]
)
PROPERTY = settings(deadline=None, database=None)


def walk(day: date, n: int) -> date:
    """Reference: step one day at a time, counting working days."""
    step = timedelta(days=1 if n > 0 else -1)
    for _ in range(abs(n)):
        day += step
        while not CALENDAR.is_workday(day):
            day += step
    return day


@PROPERTY
@given(DAYS, COUNTS)
def test_add_workdays_is_increasing_and_lands_on_working_days(day: date, n: int) -> None:
    due = CALENDAR.add_workdays(day, n)
    assert due > day
    assert CALENDAR.is_workday(due)
    assert CALENDAR.add_workdays(day, n + 1) > due
    assert due == walk(day, n)


@PROPERTY
@given(DAYS, COUNTS)
def test_negative_counts_go_back(day: date, n: int) -> None:
    before = CALENDAR.add_workdays(day, -n)
    assert before < day
    assert CALENDAR.is_workday(before)
    assert before == walk(day, -n)
    round_trip = CALENDAR.add_workdays(CALENDAR.add_workdays(day, n), -n)
    assert round_trip <= day
    assert (round_trip == day) is CALENDAR.is_workday(day)


@PROPERTY
@given(
    st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2100, 12, 30), timezones=ZONES),
    COUNTS,
)
def test_deadline_is_end_of_a_shanghai_working_day_after_the_event(
    event_at: datetime, n: int
) -> None:
    deadline = CALENDAR.deadline(event_at, n)
    assert deadline.tzinfo is SHANGHAI
    assert (deadline.hour, deadline.minute, deadline.second, deadline.microsecond) == (
        23,
        59,
        59,
        0,
    )
    assert deadline > event_at
    assert deadline.date() > event_at.astimezone(SHANGHAI).date()
    assert CALENDAR.is_workday(deadline.date())


# --- the window of working days workflow code counts in -------------------------------------


def test_a_window_counts_the_national_day_as_the_calendar_does() -> None:
    received = datetime(2026, 9, 30, 10, 15, tzinfo=SHANGHAI)
    window = CALENDAR.window(date(2026, 9, 30), 400)

    assert window.plan(received, 3) == (
        datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI),  # the make-up Saturday
        datetime(2026, 10, 9, 23, 59, 59, tzinfo=SHANGHAI),
        False,
    )
    # One working day: reminded at the end of the day it started.
    assert window.plan(received, 1) == (
        datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI),
        datetime(2026, 9, 30, 23, 59, 59, tzinfo=SHANGHAI),
        False,
    )


def test_a_window_flags_a_due_time_in_an_estimated_year() -> None:
    window = CALENDAR.window(date(2026, 12, 1), 400)

    assert window.estimated_years == [2027, 2028]  # 400 days reach into 2028
    assert window.plan(datetime(2026, 12, 30, 9, tzinfo=SHANGHAI), 3) == (
        datetime(2027, 1, 5, 23, 59, 59, tzinfo=SHANGHAI),
        datetime(2027, 1, 4, 23, 59, 59, tzinfo=SHANGHAI),
        True,
    )
    assert window.plan(datetime(2026, 12, 1, 9, tzinfo=SHANGHAI), 3)[2] is False  # type: ignore[index]


def test_a_window_says_where_it_does_not_reach() -> None:
    window = CALENDAR.window(date(2026, 10, 1), 30)

    assert window.days.startswith("00000001110")  # 1–7 October off, the 10th a make-up day
    assert window.plan(datetime(2026, 9, 30, 23, tzinfo=SHANGHAI), 1) is None  # before it
    assert window.plan(datetime(2026, 10, 20, 9, tzinfo=SHANGHAI), 30) is None  # beyond it
    assert window.plan(datetime(2026, 10, 20, 9), 3) is None  # naive: the calendar refuses
    assert window.plan(datetime(2026, 10, 20, 9, tzinfo=SHANGHAI), 0) is None


@PROPERTY
@given(
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2040, 12, 30), timezones=ZONES),
    COUNTS,
    st.integers(min_value=0, max_value=3),
)
def test_a_window_gives_what_the_calendar_gives(event_at: datetime, n: int, lead: int) -> None:
    day = event_at.astimezone(SHANGHAI).date()
    window = CALENDAR.window(day - timedelta(days=lead), 400)
    due = CALENDAR.deadline(event_at, n)
    eve = CALENDAR.add_workdays(day, n - 1)

    assert window.plan(event_at, n) == (
        due,
        datetime.combine(eve, workdays.END_OF_DAY, tzinfo=SHANGHAI),
        CALENDAR.is_estimated(day, due.date()),
    )
