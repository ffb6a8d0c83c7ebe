"""The counts behind the oversight figures (督办统计, docs/oversight.md), read from the read
model: cases (complaint_case) and their clocks (case_step).

Each function is one aggregate query grouped by what the figure needs (the handling unit, a
day in Beijing, a kind of step); api/stats.py rolls the groups up to the units and figures a
leader sees. Days are Beijing days, computed by the database (`beijing_day`), so a national
year is a few thousand groups, never a million rows in Python.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, case, exists, func, or_
from sqlalchemy import select as select_columns  # sqlmodel's select types four columns at most
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from domain.workdays import SHANGHAI
from store.models import Case, CaseClock, CaseDay, CaseSlip, StepDay

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
)
_STEP_KIND = case(
    *[(col(CaseClock.key).like(pattern), kind) for kind, pattern in STEP_KINDS], else_=""
)
# A clock was late when its alert rang (overdue) or it ended after the due time in force then.
LATE_CLOCK = or_(col(CaseClock.overdue), col(CaseClock.finished_at) > col(CaseClock.due))
CASE_CLOCK = col(CaseClock.case_id) == col(Case.id)


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
        query = _summed(CaseDay, days, "received", "branch", "level", "channel", "referred")
        found = session.connection().execute(query).all()
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
    reworked: bool  # sent back at least once (a supervision slip of round 2 or later)
    cases: int
    level: str | None = None  # from the summary tables (whose handling_unit is the branch)


_ENDED = and_(col(Case.outcome).in_(("closed", "withdrawn")))


def ended(session: Session, scope: Scope, start: datetime, end: datetime) -> list[Ended]:
    """Cases closed or withdrawn in [start, end) (the case row's last change is its end), by
    handling unit, outcome, whether a clock was late and whether it was reworked."""
    if days := _summary_days(scope, start, end):
        query = _summed(CaseDay, days, ("closed", "withdrawn"), "branch", "level", "event")
        query = query.add_columns(col(CaseDay.late), col(CaseDay.reworked))
        query = query.group_by(col(CaseDay.late), col(CaseDay.reworked))
        found = session.connection().execute(query).all()
        return [Ended(b, o, bool(la), bool(r), n, level=lv) for b, lv, o, n, la, r in found]
    late = flag(exists().where(CASE_CLOCK, LATE_CLOCK))
    reworked = flag(
        exists().where(
            col(CaseSlip.case_id) == col(Case.id),
            col(CaseSlip.kind) == "supervision",
            col(CaseSlip.round) > 1,
        )
    )
    query = (
        select_columns(col(Case.handling_unit), col(Case.outcome), late, reworked, func.count())
        .where(*scope.conditions(), _ENDED, *_between(Case.updated_at, start, end))
        .group_by(col(Case.handling_unit), col(Case.outcome), late, reworked)
    )
    found = session.connection().execute(query).all()
    return [Ended(u, o, bool(la), bool(r), n) for u, o, la, r, n in found]


@dataclass(frozen=True)
class StepsDone:
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
        query = _summed(StepDay, days, None, "kind", "started", "day", "late")
        found = session.connection().execute(query).all()
        return [StepsDone(k, as_date(s), as_date(f), bool(la), n) for k, s, f, la, n in found]
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


def disputes_raised(session: Session, scope: Scope, start: datetime, end: datetime) -> int:
    """Level disputes raised in [start, end): ruling clocks started then."""
    if days := _summary_days(scope, start, end):
        found = session.connection().execute(_summed(CaseDay, days, "dispute")).all()
        return sum(int(n or 0) for (n,) in found)
    query = (
        select(func.count())
        .select_from(CaseClock)
        .join(Case, CASE_CLOCK)
        .where(*scope.conditions(), col(CaseClock.key).like("disputed-%"))
        .where(*_between(CaseClock.started_at, start, end))
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
        found = session.connection().execute(_summed(CaseDay, days, "received", "day")).all()
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
        found = session.connection().execute(_summed(CaseDay, days, "closed", "day")).all()
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


def _summed(
    table: type[CaseDay] | type[StepDay],
    days: _Days,
    events: str | tuple[str, ...] | None,
    *columns: str,
) -> Any:
    """sum(count) of the scope's rows of the days (of `events`), grouped by `columns`."""
    count = col(CaseDay.cases) if table is CaseDay else col(StepDay.steps)
    grouped = [col(getattr(table, name)) for name in columns]
    query = (
        select_columns(*grouped, func.sum(count))
        .where(col(table.scope) == days.scope)
        .where(col(table.day) >= days.first, col(table.day) < days.following)
    )
    if grouped:
        query = query.group_by(*grouped).having(func.sum(count) != 0)
    if events is not None:
        wanted = (events,) if isinstance(events, str) else events
        query = query.where(col(CaseDay.event).in_(wanted))
    return query


def sum_cases(rows: Sequence[Any]) -> int:
    return sum(row.cases for row in rows)
