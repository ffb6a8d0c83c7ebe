"""Oversight figures (督办统计) of a unit's subtree for a period, as docs/oversight.md defines
them: the service the JSON routes, the workbook and the console page all call.

The store answers grouped counts (store/stats.py); this module picks the scope and the
period, rolls the counts up to the units directly below, turns Beijing days into working
days by the working-day calendar, and computes the rates and percentiles.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from api.case_rows import CHANNEL_NAMES
from domain.orgtree import LEVEL_LABELS, Level, OrgTree, UnknownCodeError
from domain.process import SATISFACTION_NAMES, STAGE_NAMES, Channel, Stage
from domain.workdays import SHANGHAI, WorkdayCalendar
from store import stats as counts
from store.stats import Scope

MAX_PERIOD_DAYS = 3 * 366  # a period longer than three years is refused
STEP_NAMES = {
    "verify_issue": "下发核查单",
    "verification": "核查单反馈",
    "opinion": "研究办理意见",
    "execution": "督办落实",
    "confirmation": "确认处理结果",
    "informing": "告知投诉人",
    "follow_up": "回访投诉人",
    "review": "复核",
}
RULING = "ruling"
# Age of open cases in working days since receipt: (label, up to and including).
AGE_BUCKETS = (("0–5", 5), ("6–10", 10), ("11–20", 20), ("21–30", 30), ("30以上", None))
OPEN_STAGES = [
    stage
    for stage in Stage
    if stage not in (Stage.CLOSED, Stage.REFERRED, Stage.WITHDRAWN, Stage.REGISTERED)
]


class PeriodError(ValueError):
    """A period that cannot be counted: `field` names the parameter, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotInSubtree(LookupError):
    """The unit is not the caller's or below it (or no bureau at all): answered as 404."""


@dataclass(frozen=True)
class Period:
    """Beijing days, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The instants [start, end) of the period in Beijing time."""
        begin = datetime.combine(self.start, time(), SHANGHAI)
        return begin, datetime.combine(self.end + timedelta(days=1), time(), SHANGHAI)

    def previous(self) -> "Period":
        """The period before, as long; a whole calendar month's is the month before."""
        following = self.end + timedelta(days=1)
        if self.start.day == 1 and following.day == 1:
            end = self.start - timedelta(days=1)
            return Period(end.replace(day=1), end)
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)


def choose_period(start: date | None, end: date | None, today: date) -> Period:
    """The period asked for: this month by default; only `from`: up to today (or that day,
    when later); only `to`: from the first of that month. Raises PeriodError."""
    if start is None and end is None:
        first = today.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(first, following - timedelta(days=1))
    if start is None:
        assert end is not None
        start = end.replace(day=1)
    if end is None:
        end = max(today, start)
    if end < start:
        raise PeriodError("to", "结束日期不能早于开始日期")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise PeriodError("to", f"统计期间最长 {MAX_PERIOD_DAYS} 天")
    return Period(start, end)


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    level: str


def _ref(tree: OrgTree, code: str) -> UnitRef:
    unit = tree.unit(code)
    return UnitRef(code=unit.code, name=unit.name, level=unit.level.value)


def subtree_unit(tree: OrgTree, caller: str, code: str | None) -> str:
    """The unit whose figures are asked for: the caller's own, or a bureau below it. Raises
    NotInSubtree for any other code (a sibling's figures are as absent as a unit that does not
    exist)."""
    wanted = code or caller
    try:
        unit = tree.get(wanted)
        if unit.is_school or caller not in tree.path(wanted):
            raise NotInSubtree(wanted)
    except UnknownCodeError as exc:
        raise NotInSubtree(wanted) from exc
    return wanted


def scope_of(tree: OrgTree, code: str) -> Scope:
    unit = tree.unit(code)
    if unit.level is Level.NATIONAL:
        return Scope()
    if unit.level is Level.PROVINCIAL:
        return Scope(province=code)
    below = tuple(u.code for u in tree.units() if code in tree.path(u.code))
    return Scope(units=below)


def rate(part: int, whole: int) -> float | None:
    """part / whole to four places; None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def nearest_rank(histogram: Counter[int], share: float) -> int | None:
    """The smallest value with at least ceil(share × N) values at or below it."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted, seen = math.ceil(share * total), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= wanted:
            return value
    return None  # unreachable


class WorkingDays:
    """Working days between two Beijing days by the calendar, each day looked up once: the
    running count of working days since a first day, so that a difference answers."""

    def __init__(self, calendar: WorkdayCalendar) -> None:
        self._calendar = calendar
        self._first = date.max
        self._counts: list[int] = []  # working days in (first, first + i]

    def between(self, first: date, last: date) -> int:
        """Working days after `first` up to and including `last` (0 on the same day): the
        count a deadline of N working days runs over."""
        if last <= first:
            return 0
        return self._count(last) - self._count(first)

    def _count(self, day: date) -> int:
        if day < self._first:  # begin a year earlier, counting again from there
            self._first, self._counts = day - timedelta(days=366), [0]
        offset = (day - self._first).days
        while len(self._counts) <= offset:
            following = self._first + timedelta(days=len(self._counts))
            self._counts.append(self._counts[-1] + self._calendar.is_workday(following))
        return self._counts[offset]


@dataclass(frozen=True)
class FollowUpShare:
    """Follow-up calls (回访) recorded with one answer, and their share of all recorded."""

    result: str  # a Satisfaction value
    name: str
    count: int
    share: float | None


@dataclass(frozen=True)
class Figures:
    """The period's counts (docs/oversight.md#the-figures)."""

    received: int
    closed: int
    closed_on_time: int
    on_time_rate: float | None  # 按时办结率
    withdrawn: int
    referred: int
    reworked: int
    rework_rate: float | None
    disputes_raised: int
    repeats: int  # 重复件: joined to a case of the scope, not counted as received
    followed_up: int  # 回访: follow-up calls recorded (every answer)
    follow_ups: list[FollowUpShare]  # by answer, each Satisfaction in order
    reviews_requested: int  # 申请复核
    reviews_upheld: int  # 复核维持
    reviews_reopened: int  # 复核重新办理


@dataclass(frozen=True)
class CountRow:
    key: str
    name: str
    received: int


@dataclass(frozen=True)
class LevelRow:
    level: str
    name: str
    received: int
    closed: int
    closed_on_time: int
    on_time_rate: float | None


@dataclass(frozen=True)
class StepRow:
    step: str
    name: str
    done: int
    on_time: int
    on_time_rate: float | None
    median_days: int | None
    p90_days: int | None


@dataclass(frozen=True)
class StageBacklog:
    stage: str
    name: str
    open: int
    by_age: list[int]  # one count per AGE_BUCKETS entry


@dataclass(frozen=True)
class Backlog:
    open: int
    overdue: int
    age_buckets: list[str]
    by_stage: list[StageBacklog]
    overdue_by_level: list[tuple[int, int]]  # (escalation level, cases)


@dataclass(frozen=True)
class RankRow:
    """A unit directly below (or the unit's own cases, `own`), ranked by overdue count."""

    code: str
    name: str
    own: bool
    received: int
    closed: int
    closed_on_time: int
    on_time_rate: float | None
    open: int
    overdue: int


@dataclass(frozen=True)
class WeekRow:
    week_start: date  # a Monday (the first week may start before the period)
    received: int
    closed: int


@dataclass(frozen=True)
class Rulings:
    ruled: int
    on_time: int
    on_time_rate: float | None
    median_days: int | None
    p90_days: int | None


@dataclass(frozen=True)
class Report:
    unit: UnitRef
    trail: list[UnitRef]  # from the caller's unit down to this one
    period: Period
    previous_period: Period
    as_of: datetime
    figures: Figures
    previous: Figures
    by_channel: list[CountRow]
    by_level: list[LevelRow]
    steps: list[StepRow]
    rulings: Rulings
    backlog: Backlog
    ranking: list[RankRow]
    weekly: list[WeekRow]
    notes: list[str] = field(default_factory=list)


def figures(session: Session, scope: Scope, period: Period) -> Figures:
    start, end = period.bounds()
    came = counts.received(session, scope, start, end)
    went = counts.ended(session, scope, start, end)
    return _figures(session, scope, (start, end), came, went)


def _figures(
    session: Session,
    scope: Scope,
    bounds: tuple[datetime, datetime],
    came: list[counts.Received],
    went: list[counts.Ended],
) -> Figures:
    closed = [row for row in went if row.outcome == "closed"]
    on_time = counts.sum_cases([row for row in closed if not row.late])
    reworked = counts.sum_cases([row for row in closed if row.reworked])
    total_closed = counts.sum_cases(closed)
    after = counts.aftercare(session, scope, *bounds)
    followed_up = sum(after.follow_ups.values())
    return Figures(
        received=counts.sum_cases(came),
        closed=total_closed,
        closed_on_time=on_time,
        on_time_rate=rate(on_time, total_closed),
        withdrawn=counts.sum_cases([row for row in went if row.outcome == "withdrawn"]),
        referred=counts.sum_cases([row for row in came if row.referred]),
        reworked=reworked,
        rework_rate=rate(reworked, total_closed),
        disputes_raised=counts.disputes_raised(session, scope, *bounds),
        repeats=counts.repeats_received(session, scope, *bounds),
        followed_up=followed_up,
        follow_ups=[
            FollowUpShare(
                answer.value,
                name,
                after.follow_ups[answer.value],
                rate(after.follow_ups[answer.value], followed_up),
            )
            for answer, name in SATISFACTION_NAMES.items()
        ],
        reviews_requested=after.reviews_asked,
        reviews_upheld=after.upheld,
        reviews_reopened=after.reopened,
    )


def report(
    *,
    session: Session,
    tree: OrgTree,
    calendar: WorkdayCalendar,
    caller_unit: str,
    unit: str | None,
    period: Period,
    now: datetime,
) -> Report:
    """Every figure of the unit's subtree for the period. Raises NotInSubtree."""
    code = subtree_unit(tree, caller_unit, unit)
    scope = scope_of(tree, code)
    start, end = period.bounds()
    days = WorkingDays(calendar)
    came = counts.received(session, scope, start, end)
    went = counts.ended(session, scope, start, end)
    steps, rulings = _steps(counts.steps_used(session, scope, start, end, days.between))
    trail = tree.path(code)[tree.path(code).index(caller_unit) :]
    return Report(
        unit=_ref(tree, code),
        trail=[_ref(tree, c) for c in trail],
        period=period,
        previous_period=period.previous(),
        as_of=now,
        figures=_figures(session, scope, (start, end), came, went),
        previous=figures(session, scope, period.previous()),
        by_channel=_by_channel(came),
        by_level=_by_level(tree, came, went),
        steps=steps,
        rulings=rulings,
        backlog=backlog(session=session, tree=tree, calendar=calendar, unit=code, now=now),
        ranking=_ranking(tree, code, came, went, counts.open_by_unit(session, scope)),
        weekly=_weekly(session, scope, period),
    )


def backlog(
    *, session: Session, tree: OrgTree, calendar: WorkdayCalendar, unit: str, now: datetime
) -> Backlog:
    """The unit's subtree's open cases now: by step and age, overdue by escalation level."""
    scope = scope_of(tree, unit)
    today = now.astimezone(SHANGHAI).date()
    days = WorkingDays(calendar)
    by_stage: dict[str, list[int]] = defaultdict(lambda: [0] * len(AGE_BUCKETS))
    for stage, received_on, cases in counts.open_by_stage_and_day(session, scope):
        by_stage[stage][_bucket(days.between(received_on, today))] += cases
    open_total = sum(sum(ages) for ages in by_stage.values())
    overdue = sorted(counts.overdue_by_level(session, scope))
    known = [stage.value for stage in OPEN_STAGES]
    stages = known + sorted(set(by_stage) - set(known))
    return Backlog(
        open=open_total,
        overdue=sum(n for _, n in overdue),
        age_buckets=[label for label, _ in AGE_BUCKETS],
        by_stage=[
            StageBacklog(
                stage=stage,
                name=STAGE_NAMES[Stage(stage)] if stage in set(Stage) else stage,
                open=sum(by_stage[stage]),
                by_age=list(by_stage[stage]),
            )
            for stage in stages
        ],
        overdue_by_level=overdue,
    )


def _bucket(age: int) -> int:
    for index, (_, most) in enumerate(AGE_BUCKETS):
        if most is None or age <= most:
            return index
    return len(AGE_BUCKETS) - 1


def _steps(rows: Iterable[counts.StepsUsed]) -> tuple[list[StepRow], Rulings]:
    used: dict[str, Counter[int]] = defaultdict(Counter)
    late: Counter[str] = Counter()
    for row in rows:
        used[row.kind][row.used] += row.steps
        late[row.kind] += row.steps if row.late else 0

    def of(kind: str) -> tuple[int, int, float | None, int | None, int | None]:
        done = sum(used[kind].values())
        on_time = done - late[kind]
        median, p90 = nearest_rank(used[kind], 0.5), nearest_rank(used[kind], 0.9)
        return done, on_time, rate(on_time, done), median, p90

    steps = [StepRow(kind, name, *of(kind)) for kind, name in STEP_NAMES.items()]
    return steps, Rulings(*of(RULING))


def _by_channel(came: list[counts.Received]) -> list[CountRow]:
    per: Counter[str] = Counter()
    for row in came:
        per[row.channel] += row.cases
    return [
        CountRow(channel.value, name, per[channel.value]) for channel, name in CHANNEL_NAMES.items()
    ] + [CountRow(key, key, n) for key, n in sorted(per.items()) if key not in set(Channel)]


def _level_of(tree: OrgTree, code: str) -> str:
    try:
        return tree.unit(code).level.value
    except UnknownCodeError:
        return ""


def _level(tree: OrgTree, row: counts.Received | counts.Ended) -> str:
    """The handling unit's level: the summary tables' rows carry it (their unit is the one
    below the scope, not the handling unit)."""
    return row.level if row.level is not None else _level_of(tree, row.handling_unit)


def _by_level(
    tree: OrgTree, came: list[counts.Received], went: list[counts.Ended]
) -> list[LevelRow]:
    received: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    on_time: Counter[str] = Counter()
    for row in came:
        received[_level(tree, row)] += row.cases
    for ended in went:
        if ended.outcome == "closed":
            level = _level(tree, ended)
            closed[level] += ended.cases
            on_time[level] += 0 if ended.late else ended.cases
    levels = [level for level in Level if level is not Level.SCHOOL]
    return [
        LevelRow(
            level=level.value,
            name=LEVEL_LABELS[level],
            received=received[level.value],
            closed=closed[level.value],
            closed_on_time=on_time[level.value],
            on_time_rate=rate(on_time[level.value], closed[level.value]),
        )
        for level in levels
        if received[level.value] or closed[level.value]
    ]


def _ranking(
    tree: OrgTree,
    code: str,
    came: list[counts.Received],
    went: list[counts.Ended],
    open_now: list[counts.OpenCases],
) -> list[RankRow]:
    """The units directly below, then the unit's own cases (本级), the most overdue first,
    then the lowest on-time rate."""
    depth = len(tree.path(code))
    children = [child for child in tree.children(code) if not child.is_school]

    def row_of(handling_unit: str) -> str:
        try:
            path = tree.path(handling_unit)
        except UnknownCodeError:
            return code
        return path[depth] if len(path) > depth else code

    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for row in came:
        tally[row_of(row.handling_unit)]["received"] += row.cases
    for ended in went:
        if ended.outcome == "closed":
            tally[row_of(ended.handling_unit)]["closed"] += ended.cases
            tally[row_of(ended.handling_unit)]["on_time"] += 0 if ended.late else ended.cases
    for opened in open_now:
        tally[row_of(opened.handling_unit)]["open"] += opened.cases
        tally[row_of(opened.handling_unit)]["overdue"] += opened.cases if opened.overdue else 0
    rows = [
        RankRow(
            code=unit.code,
            name=unit.name if unit.code != code else f"{unit.name}（本级）",
            own=unit.code == code,
            received=tally[unit.code]["received"],
            closed=tally[unit.code]["closed"],
            closed_on_time=tally[unit.code]["on_time"],
            on_time_rate=rate(tally[unit.code]["on_time"], tally[unit.code]["closed"]),
            open=tally[unit.code]["open"],
            overdue=tally[unit.code]["overdue"],
        )
        for unit in [*children, tree.unit(code)]
    ]
    return sorted(
        rows,
        key=lambda r: (
            -r.overdue,
            r.on_time_rate if r.on_time_rate is not None else 2.0,
            r.own,
            r.code,
        ),
    )


def _weekly(session: Session, scope: Scope, period: Period) -> list[WeekRow]:
    start, end = period.bounds()
    came = dict(counts.received_by_day(session, scope, start, end))
    closed = dict(counts.closed_by_day(session, scope, start, end))
    weeks: list[WeekRow] = []
    monday = period.start - timedelta(days=period.start.weekday())
    while monday <= period.end:
        week = [monday + timedelta(days=n) for n in range(7)]
        weeks.append(
            WeekRow(
                week_start=monday,
                received=sum(came.get(day, 0) for day in week),
                closed=sum(closed.get(day, 0) for day in week),
            )
        )
        monday += timedelta(days=7)
    return weeks
