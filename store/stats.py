"""The counts behind the oversight figures (督办统计, docs/oversight.md), read from the read
model: cases (complaint_case) and their clocks (case_step).

Each function is one aggregate query grouped by what the figure needs (the handling unit, a
day in Beijing, a kind of step); api/stats.py rolls the groups up to the units and figures a
leader sees. Days are Beijing days, computed by the database (`beijing_day`), so a national
year is a few thousand groups, never a million rows in Python. The Ministry's and a
province's period counts are read from the summary tables instead (store/summary.py), for
whole Beijing days: the same groups, with the unit below the scope in place of the handling
unit and the handling unit's level beside it.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    and_,
    case,
    column,
    exists,
    func,
    literal,
    not_,
    or_,
    values,
)
from sqlalchemy import select as select_columns  # sqlmodel's select types four columns at most
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from domain.workdays import SHANGHAI
from store.models import Case, CaseClock, CaseDay, CaseMonth, CaseRepeat, CaseSlip, StepDay
from store.models.cases import CaseCounts

COUNTRY = "*"  # the summary tables' scope of the whole country (store/summary.py)


class beijing_day(FunctionElement[date]):
    """The Beijing calendar day (UTC+8, no daylight saving) of a stored time."""

    type = Date()
    inherit_cache = True


@compiles(beijing_day, "sqlite")
def _beijing_day_sqlite(element: beijing_day, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps times as UTC text ("2030-03-04 01:00:00.000000").
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(beijing_day, "postgresql")
def _beijing_day_postgresql(element: beijing_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(timezone('Asia/Shanghai', {compiler.process(element.clauses, **kw)}))::date"


def as_date(value: object) -> date:
    """SQLite answers a day as text, PostgreSQL as a date."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class Scope:
    """Which cases count for a unit: those its subtree handles. None for the Ministry (every
    case); a province by the cases' province column; any other bureau by its subtree's
    bureau codes (a case is always handled by a bureau, never by a school)."""

    province: str | None = None
    units: tuple[str, ...] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        if self.province is not None:
            return [col(Case.province) == self.province]
        if self.units is not None:
            return [col(Case.handling_unit).in_(self.units)]
        return []


# The kinds of step (a clock's key names its stage or its slip: "opinion-2", "slip-V1").
STEP_KINDS = (
    ("verify_issue", "verify_issue-%"),  # 下发核查单
    ("verification", "slip-V%"),  # 核查单反馈
    ("opinion", "opinion-%"),  # 研究办理意见
    ("execution", "slip-S%"),  # 督办落实（督办单反馈）
    ("confirmation", "confirmation-%"),  # 确认处理结果
    ("informing", "informing-%"),  # 告知投诉人
    ("ruling", "disputed-%"),  # 层级争议裁定
    ("follow_up", "follow_up-%"),  # 回访投诉人 (after informing)
    ("review", "review-%"),  # 复核 (the unit above, on the complainant's request)
)
_STEP_KIND = case(
    *[(col(CaseClock.key).like(pattern), kind) for kind, pattern in STEP_KINDS], else_=""
)
# A clock was late when its alert rang (overdue) or it ended after the due time in force then.
LATE_CLOCK = or_(col(CaseClock.overdue), col(CaseClock.finished_at) > col(CaseClock.due))
CASE_CLOCK = col(CaseClock.case_id) == col(Case.id)
# The follow-up and the review come after the closing: they never make the closing late.
AFTER_CLOSING = or_(col(CaseClock.key).like("follow_up-%"), col(CaseClock.key).like("review-%"))
CLOSING_LATE = and_(LATE_CLOCK, not_(AFTER_CLOSING))
# A case reopened by a review (复核) decides its opinion again: its opinion-2, opinion-3 ...
# (an opinion is decided once per round, and a dispute can only come before the first).
REOPENED = and_(col(CaseClock.key).like("opinion-%"), col(CaseClock.key) != "opinion-1")


def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _between(column: Any, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [col(column) >= start, col(column) < end]


@dataclass(frozen=True)
class Received:
    handling_unit: str
    channel: str
    referred: bool
    cases: int
    level: str | None = None  # from the summary tables (whose handling_unit is the branch)


def received(session: Session, scope: Scope, start: datetime, end: datetime) -> list[Received]:
    """Cases received in [start, end), by handling unit, channel and whether referred (from
    the summary tables, the Ministry's and a province's: by the unit below and level)."""
    if days := _summary_days(scope, start, end):
        columns = ("branch", "level", "channel", "referred")
        found = _summary_rows(session, CaseDay, days, "received", *columns)
        return [Received(b, c, bool(r), n, level=lv) for b, lv, c, r, n in found]
    referred = flag(col(Case.stage) == "referred")
    query = (
        select(Case.handling_unit, Case.channel, referred, func.count())
        .where(*scope.conditions(), *_between(Case.received_at, start, end))
        .group_by(col(Case.handling_unit), col(Case.channel), referred)
    )
    return [Received(u, c, bool(r), n) for u, c, r, n in session.exec(query).all()]


@dataclass(frozen=True)
class Ended:
    handling_unit: str
    outcome: str  # closed, withdrawn (a referral ends at registration: counted as received)
    late: bool  # a clock of the case was late
    reworked: bool  # sent back at least once (a supervision slip of round 2 or later), or reopened
    cases: int
    level: str | None = None  # from the summary tables (whose handling_unit is the branch)


_ENDED = and_(col(Case.outcome).in_(("closed", "withdrawn")))


def ended(session: Session, scope: Scope, start: datetime, end: datetime) -> list[Ended]:
    """Cases closed or withdrawn in [start, end) (the case row's last change is its end), by
    handling unit, outcome, whether a clock was late and whether it was reworked."""
    if days := _summary_days(scope, start, end):
        columns = ("branch", "level", "event", "late", "reworked")
        summed = _summary_rows(session, CaseDay, days, ("closed", "withdrawn"), *columns)
        return [Ended(b, o, bool(la), bool(r), n, level=lv) for b, lv, o, la, r, n in summed]
    late = flag(exists().where(CASE_CLOCK, CLOSING_LATE))
    reworked = flag(
        or_(
            exists().where(
                col(CaseSlip.case_id) == col(Case.id),
                col(CaseSlip.kind) == "supervision",
                col(CaseSlip.round) > 1,
            ),
            exists().where(CASE_CLOCK, REOPENED),
        )
    )
    query = (
        select_columns(col(Case.handling_unit), col(Case.outcome), late, reworked, func.count())
        .where(*scope.conditions(), _ENDED, *_between(Case.updated_at, start, end))
        .group_by(col(Case.handling_unit), col(Case.outcome), late, reworked)
    )
    found = session.connection().execute(query).all()
    return [Ended(u, o, bool(la), bool(r), n) for u, o, la, r, n in found]


class StepsDone(NamedTuple):  # a national year has some 45,000 of them: a light record
    kind: str  # of STEP_KINDS
    started: date  # Beijing days
    finished: date
    late: bool
    steps: int


def steps_done(session: Session, scope: Scope, start: datetime, end: datetime) -> list[StepsDone]:
    """Clocks met (the unit acted) in [start, end) of the scope's cases, by kind of step,
    Beijing day started and finished, and whether late. Stopped clocks (the case moved on
    without the unit: a dispute, a withdrawal, a cancelled slip) are not steps done."""
    if days := _summary_days(scope, start, end):
        summed = _summary_rows(session, StepDay, days, None, "kind", "started", "day", "late")
        return [StepsDone(k, as_date(s), as_date(f), bool(la), n) for k, s, f, la, n in summed]
    started, finished = beijing_day(CaseClock.started_at), beijing_day(CaseClock.finished_at)
    late = flag(LATE_CLOCK)
    query = (
        select_columns(_STEP_KIND, started, finished, late, func.count())
        .select_from(CaseClock)
        .join(Case, CASE_CLOCK)
        .where(*scope.conditions(), col(CaseClock.status) == "met")
        .where(*_between(CaseClock.finished_at, start, end))
        .group_by(_STEP_KIND, started, finished, late)
    )
    found = session.connection().execute(query).all()
    return [StepsDone(k, as_date(s), as_date(f), bool(la), n) for k, s, f, la, n in found]


class StepsUsed(NamedTuple):
    kind: str  # of STEP_KINDS
    used: int  # working days used
    late: bool
    steps: int


def steps_used(
    session: Session,
    scope: Scope,
    start: datetime,
    end: datetime,
    working_days: Callable[[date, date], int],
) -> list[StepsUsed]:
    """The steps done in [start, end) (as `steps_done`) by kind, working days used (by
    `working_days(started, finished)`) and whether late. From the summary tables the database
    does the counting, given each day's running count of working days: a national year's
    45,000 pairs of days never come to Python."""
    used: Counter[tuple[str, int, bool]] = Counter()
    if (days := _summary_days(scope, start, end)) is None:
        for row in steps_done(session, scope, start, end):
            used[row.kind, working_days(row.started, row.finished), row.late] += row.steps
        return [StepsUsed(*key, steps) for key, steps in used.items()]
    period = [col(StepDay.scope) == days.scope, col(StepDay.day) >= days.first]
    period.append(col(StepDay.day) < days.following)
    earliest = session.exec(select(func.min(StepDay.started)).where(*period)).one()
    if earliest is None:
        return []
    first = as_date(earliest)
    span = range((days.following - first).days)
    running = [
        (first + timedelta(days=n), working_days(first, first + timedelta(days=n))) for n in span
    ]
    began, ended = (
        values(column("day", Date()), column("count", Integer()), name=name)
        .data(running)
        .cte(name)  # WITH began(day, count) AS (VALUES …): SQLite names no VALUES' columns
        for name in ("began", "ended")
    )
    spent = case((ended.c.count > began.c.count, ended.c.count - began.c.count), else_=literal(0))
    query = (
        select_columns(col(StepDay.kind), spent, col(StepDay.late), func.sum(col(StepDay.steps)))
        .select_from(StepDay)
        .join(began, began.c.day == col(StepDay.started))
        .join(ended, ended.c.day == col(StepDay.day))
        .where(*period)
        .group_by(col(StepDay.kind), spent, col(StepDay.late))
    )
    found = session.connection().execute(query).all()
    return [
        StepsUsed(kind, int(n), bool(late), int(steps)) for kind, n, late, steps in found if steps
    ]


def disputes_raised(session: Session, scope: Scope, start: datetime, end: datetime) -> int:
    """Level disputes raised in [start, end): ruling clocks started then."""
    if days := _summary_days(scope, start, end):
        return sum(n for (n,) in _summary_rows(session, CaseDay, days, "dispute"))
    query = (
        select(func.count())
        .select_from(CaseClock)
        .join(Case, CASE_CLOCK)
        .where(*scope.conditions(), col(CaseClock.key).like("disputed-%"))
        .where(*_between(CaseClock.started_at, start, end))
    )
    return int(session.exec(query).one())


# After informing (docs/oversight.md#the-figures): the follow-up answers (a Satisfaction value
# on the follow-up's clock) and the reviews' decisions (on the review's clock), each counted
# in the summary tables as an event of its own (store/summary.py; 16 characters at most).
FOLLOW_UP_EVENTS = {
    "satisfied": "fu_satisfied",  # 满意
    "basically_satisfied": "fu_basically",  # 基本满意
    "not_satisfied": "fu_not_satisfied",  # 不满意
    "not_reached": "fu_not_reached",  # 未联系上
}
REVIEW_ASKED = "review_asked"  # 申请复核: a review clock started
REVIEW_EVENTS = {"upheld": "review_upheld", "reopened": "review_reopened"}  # 维持, 重新办理
AFTERCARE = or_(col(CaseClock.key).like("follow_up-%"), col(CaseClock.key).like("review-%"))
_AFTERCARE_KIND = case((col(CaseClock.key).like("review-%"), "review"), else_="follow_up")


def aftercare_events(
    kind: str, result: str, started: date, finished: date | None
) -> list[tuple[str, date]]:
    """The events a follow-up's or a review's clock counts as, each on its day: a review
    asked on the day it started; a follow-up answer or a review's decision on the day its
    clock ended (a follow-up recorded after a review request stopped its clock: that day)."""
    found = [(REVIEW_ASKED, started)] if kind == "review" else []
    events = REVIEW_EVENTS if kind == "review" else FOLLOW_UP_EVENTS
    if result in events and finished is not None:
        found.append((events[result], finished))
    return found


@dataclass(frozen=True)
class Aftercare:
    """Follow-ups and reviews of a period (docs/oversight.md#the-figures)."""

    follow_ups: Counter[str]  # by answer (a Satisfaction value)
    reviews_asked: int
    upheld: int
    reopened: int


def aftercare(session: Session, scope: Scope, start: datetime, end: datetime) -> Aftercare:
    """Follow-up answers recorded and reviews decided in [start, end) (their clocks ended
    then), and reviews asked then (review clocks started)."""
    per: Counter[str] = Counter()
    if days := _summary_days(scope, start, end):
        wanted = (REVIEW_ASKED, *FOLLOW_UP_EVENTS.values(), *REVIEW_EVENTS.values())
        for event, n in _summary_rows(session, CaseDay, days, wanted, "event"):
            per[event] += int(n)
    else:
        ended_then = (
            select_columns(_AFTERCARE_KIND, col(CaseClock.result), func.count())
            .select_from(CaseClock)
            .join(Case, CASE_CLOCK)
            .where(*scope.conditions(), AFTERCARE, col(CaseClock.result) != "")
            .where(*_between(CaseClock.finished_at, start, end))
            .group_by(_AFTERCARE_KIND, col(CaseClock.result))
        )
        for kind, result, n in session.connection().execute(ended_then):
            events = REVIEW_EVENTS if kind == "review" else FOLLOW_UP_EVENTS
            if result in events:
                per[events[result]] += n
        asked = (
            select(func.count())
            .select_from(CaseClock)
            .join(Case, CASE_CLOCK)
            .where(*scope.conditions(), col(CaseClock.key).like("review-%"))
            .where(*_between(CaseClock.started_at, start, end))
        )
        per[REVIEW_ASKED] = int(session.exec(asked).one())
    return Aftercare(
        follow_ups=Counter({r: per[e] for r, e in FOLLOW_UP_EVENTS.items()}),
        reviews_asked=per[REVIEW_ASKED],
        upheld=per[REVIEW_EVENTS["upheld"]],
        reopened=per[REVIEW_EVENTS["reopened"]],
    )


def aftercare_query() -> Any:
    """Every follow-up's and review's clock by kind, answer, day started and ended, and its
    case's province: the recount of their summary rows (store/summary.py)."""
    started, finished = beijing_day(CaseClock.started_at), beijing_day(CaseClock.finished_at)
    return (
        select_columns(
            _AFTERCARE_KIND,
            col(CaseClock.result),
            started,
            finished,
            col(Case.province),
            func.count(),
        )
        .select_from(CaseClock)
        .join(Case, CASE_CLOCK)
        .where(AFTERCARE)
        .group_by(_AFTERCARE_KIND, col(CaseClock.result), started, finished, col(Case.province))
    )


def repeats_received(session: Session, scope: Scope, start: datetime, end: datetime) -> int:
    """Repeat complaints (重复件) joined in [start, end) to a case of the scope: not cases of
    their own, so never in `received` (docs/oversight.md#the-figures)."""
    query = (
        select(func.count())
        .select_from(CaseRepeat)
        .join(Case, col(Case.id) == col(CaseRepeat.case_id))
        .where(*scope.conditions(), *_between(CaseRepeat.received_at, start, end))
    )
    return int(session.exec(query).one())


@dataclass(frozen=True)
class OpenCases:
    handling_unit: str
    overdue: bool
    cases: int


_OPEN = col(Case.outcome) == ""


def open_by_unit(session: Session, scope: Scope) -> list[OpenCases]:
    """Cases open now, by handling unit and whether overdue now."""
    overdue = flag(col(Case.overdue).is_(True))
    query = (
        select(Case.handling_unit, overdue, func.count())
        .where(*scope.conditions(), _OPEN)
        .group_by(col(Case.handling_unit), overdue)
    )
    return [OpenCases(u, bool(o), n) for u, o, n in session.exec(query).all()]


def open_by_stage_and_day(session: Session, scope: Scope) -> list[tuple[str, date, int]]:
    """Cases open now, by step and Beijing day received."""
    day = beijing_day(Case.received_at)
    query = (
        select(Case.stage, day, func.count())
        .where(*scope.conditions(), _OPEN)
        .group_by(col(Case.stage), day)
    )
    return [(stage, as_date(received_on), n) for stage, received_on, n in session.exec(query).all()]


def overdue_by_level(session: Session, scope: Scope) -> list[tuple[int, int]]:
    """Cases open and overdue now, by escalation level (how far the alert has climbed)."""
    query = (
        select(Case.escalation_level, func.count())
        .where(*scope.conditions(), _OPEN, col(Case.overdue))
        .group_by(col(Case.escalation_level))
    )
    return [(level, n) for level, n in session.exec(query).all()]


def received_by_day(
    session: Session, scope: Scope, start: datetime, end: datetime
) -> list[tuple[date, int]]:
    if days := _summary_days(scope, start, end):
        found = _summary_rows(session, CaseDay, days, "received_all", "day", by_month=False)
        return [(as_date(d), n) for d, n in found]
    day = beijing_day(Case.received_at)
    query = (
        select(day, func.count())
        .where(*scope.conditions(), *_between(Case.received_at, start, end))
        .group_by(day)
    )
    return [(as_date(d), n) for d, n in session.exec(query).all()]


def closed_by_day(
    session: Session, scope: Scope, start: datetime, end: datetime
) -> list[tuple[date, int]]:
    if days := _summary_days(scope, start, end):
        found = _summary_rows(session, CaseDay, days, "closed_all", "day", by_month=False)
        return [(as_date(d), n) for d, n in found]
    day = beijing_day(Case.updated_at)
    query = (
        select(day, func.count())
        .where(*scope.conditions(), col(Case.outcome) == "closed")
        .where(*_between(Case.updated_at, start, end))
        .group_by(day)
    )
    return [(as_date(d), n) for d, n in session.exec(query).all()]


def steps_query() -> Any:
    """Every clock met, by kind, day started and finished, late, and its case's province: the
    recount of the steps' summary rows (store/summary.py)."""
    started, finished = beijing_day(CaseClock.started_at), beijing_day(CaseClock.finished_at)
    late = flag(LATE_CLOCK)
    return (
        select_columns(_STEP_KIND, started, finished, late, col(Case.province), func.count())
        .select_from(CaseClock)
        .join(Case, CASE_CLOCK)
        .where(col(CaseClock.status) == "met", col(CaseClock.finished_at).is_not(None))
        .group_by(_STEP_KIND, started, finished, late, col(Case.province))
    )


# ---------------------------------------------------------------- from the summary tables


@dataclass(frozen=True)
class _Days:
    scope: str  # COUNTRY or a province
    first: date
    following: date  # the day after the last


def _summary_days(scope: Scope, start: datetime, end: datetime) -> _Days | None:
    """The summary rows that answer for the scope and [start, end): the Ministry's and a
    province's, for whole Beijing days; None for a smaller subtree (its own cases are few
    and found by index) or a period that does not begin and end at midnight."""
    if scope.units is not None:
        return None
    begin, after = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    if begin.time() != time() or after.time() != time():
        return None
    return _Days(scope.province or COUNTRY, begin.date(), after.date())


def _summary_rows(
    session: Session,
    table: type[CaseDay] | type[StepDay],
    days: _Days,
    events: str | tuple[str, ...] | None,
    *columns: str,
    by_month: bool = True,
) -> list[tuple[Any, ...]]:
    """The sums of the scope's rows of the days (of `events`), by `columns`: the cases' whole
    months in the period from their monthly rows (unless `by_month` is off), the days around
    them from the daily ones."""
    parts: list[tuple[type[CaseCounts] | type[StepDay], date, date]] = [
        (table, days.first, days.following)
    ]
    if table is CaseDay and by_month:
        months = _whole_months(days.first, days.following)
        if months is not None:
            start, following = months
            parts = [
                (CaseDay, days.first, start),
                (CaseMonth, start, following),
                (CaseDay, following, days.following),
            ]
    if len(parts) == 1:  # one query's groups: nothing to add up
        query = _summed(table, days.scope, days.first, days.following, events, columns)
        return [tuple(row) for row in session.connection().execute(query).all() if row[-1]]
    total: Counter[tuple[Any, ...]] = Counter()
    for source, first, following in parts:
        if first < following:
            query = _summed(source, days.scope, first, following, events, columns)
            for *group, n in session.connection().execute(query):
                total[tuple(group)] += int(n or 0)
    return [(*group, n) for group, n in total.items() if n]


def _whole_months(first: date, following: date) -> tuple[date, date] | None:
    """The calendar months wholly within [first, following), as [start, following)."""
    start = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    end = following.replace(day=1)
    return (start, end) if start < end else None


def _summed(
    table: type[CaseCounts] | type[StepDay],
    scope: str,
    first: date,
    following: date,
    events: str | tuple[str, ...] | None,
    columns: Sequence[str],
) -> Any:
    """sum(count) of the scope's rows of [first, following) (of `events`), by `columns`."""
    count = col(StepDay.steps) if table is StepDay else col(table.cases)  # type: ignore[union-attr]
    grouped = [col(getattr(table, name)) for name in columns]
    query = (
        select_columns(*grouped, func.sum(count))
        .where(col(table.scope) == scope)
        .where(col(table.day) >= first, col(table.day) < following)
    )
    if grouped:
        query = query.group_by(*grouped)
    if events is not None:
        wanted = (events,) if isinstance(events, str) else events
        query = query.where(col(table.event).in_(wanted))  # type: ignore[union-attr]
    return query


def sum_cases(rows: Sequence[Any]) -> int:
    return sum(row.cases for row in rows)
