"""Summary tables of the oversight figures (督办统计, docs/oversight.md#summary-tables-汇总表):
daily and monthly counts for the Ministry's and the provinces' figures, so that a national
year reads twelve months of case rows and a year's step rows instead of every case and clock
of the year.

A case **contributes** rows to the summaries, derived from its state alone (the case row,
its clocks, whether it was sent back): received on its day, ended (closed or withdrawn) on
its day with its late and rework marks, a ruling asked per dispute, a review asked, a
follow-up's answer and a review's decision (events of their own), and a step done per clock
met. `store.cases.apply_record` takes the case's contribution before and after it writes and
adds the difference, in the same transaction: a record applied twice adds nothing, a ruling
that moves the case to another unit moves its rows. Each contribution counts twice, once in
the whole country's rows (scope "*") and once in its province's; each case row also counts in
its month's row, and a day's cases received and closed in that day's totals.

`recount` derives the same rows from the read model with grouped queries; `check` compares
the two and `rebuild` replaces the tables with the recount (the migration's backfill, and
after rows were written by other means than `apply_record`).
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Table, case, delete, func
from sqlalchemy import insert as plain_insert
from sqlalchemy import select as select_columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from domain.workdays import SHANGHAI
from store import stats
from store.models import Case, CaseClock, CaseDay, CaseMonth, CaseSlip, StepDay, Unit
from store.tree import TreeRows

COUNTRY = stats.COUNTRY
# The kinds of step (a clock's key names its stage or its slip), as store/stats.py counts them.
STEP_PREFIXES = (
    ("verify_issue", "verify_issue-"),  # 下发核查单
    ("verification", "slip-V"),  # 核查单反馈
    ("opinion", "opinion-"),  # 研究办理意见
    ("execution", "slip-S"),  # 督办落实
    ("confirmation", "confirmation-"),  # 确认处理结果
    ("informing", "informing-"),  # 告知投诉人
    ("ruling", "disputed-"),  # 层级争议裁定
    ("follow_up", "follow_up-"),  # 回访投诉人
    ("review", "review-"),  # 复核
)
AFTER_CLOSING = ("follow_up-", "review-")  # never make the closing late (store/stats.py)
DISPUTE_PREFIX = "disputed-"


class CaseKey(NamedTuple):
    scope: str
    event: str
    day: date
    branch: str
    level: str
    channel: str
    referred: bool
    late: bool
    reworked: bool


class MonthKey(NamedTuple):
    """A CaseKey's row of its month (`day` the first of it)."""

    scope: str
    event: str
    day: date
    branch: str
    level: str
    channel: str
    referred: bool
    late: bool
    reworked: bool


class StepKey(NamedTuple):
    scope: str
    day: date
    kind: str
    started: date
    late: bool


Key = CaseKey | MonthKey | StepKey
Rows = Counter[Key]


def beijing_date(moment: datetime) -> date:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(SHANGHAI).date()


def step_kind(key: str) -> str:
    for kind, prefix in STEP_PREFIXES:
        if key.startswith(prefix):
            return kind
    return ""


@dataclass(frozen=True)
class Units:
    """Each bureau's parent and level, read once (the stored tree)."""

    parent: Mapping[str, str | None]
    level: Mapping[str, str]

    @classmethod
    def read(cls, session: Session) -> "Units":
        found = session.exec(select(Unit.code, Unit.parent_code, Unit.level)).all()
        return cls({c: p for c, p, _ in found}, {c: lv for c, _, lv in found})

    def path(self, code: str) -> list[str]:
        path: list[str] = []
        current: str | None = code
        while current is not None and current in self.parent and current not in path:
            path.insert(0, current)
            current = self.parent[current]
        return path or [code]


def branches(path: Sequence[str], handling_unit: str, province: str) -> list[tuple[str, str]]:
    """(scope, branch) pairs a case handled by `handling_unit` counts in: the country's, by
    the unit one level down (its province), and its province's, by the unit below that."""
    return [
        (COUNTRY, path[1] if len(path) > 1 else handling_unit),
        (province, path[2] if len(path) > 2 else handling_unit),
    ]


def _late(clock: CaseClock) -> bool:
    finished = clock.finished_at
    return bool(clock.overdue) or (
        finished is not None and clock.due is not None and finished > clock.due
    )


def contribution(
    case: Case | None, clocks: Iterable[CaseClock], reworked: bool, path: Sequence[str], level: str
) -> Rows:
    """The summary rows one case adds (what `recount` counts of it): `path` is its handling
    unit's, root first, and `level` that unit's level ("" when the tree does not know it)."""
    rows: Rows = Counter()
    if case is None:
        return rows
    clocks = list(clocks)
    late = any(_late(clock) for clock in clocks if not clock.key.startswith(AFTER_CLOSING))
    referred = case.stage == "referred"
    for scope, branch in branches(path, case.handling_unit, case.province):
        came = beijing_date(case.received_at)
        rows[
            CaseKey(scope, "received", came, branch, level, case.channel, referred, False, False)
        ] += 1
        if case.outcome in ENDED:
            went = beijing_date(case.updated_at)
            rows[CaseKey(scope, case.outcome, went, branch, level, "", False, late, reworked)] += 1
        for clock in clocks:
            if clock.key.startswith(DISPUTE_PREFIX):
                rows[_dispute(scope, beijing_date(clock.started_at))] += 1
            if clock.key.startswith(AFTER_CLOSING):
                ended_at = clock.finished_at
                for event, day in stats.aftercare_events(
                    step_kind(clock.key),
                    clock.result,
                    beijing_date(clock.started_at),
                    beijing_date(ended_at) if ended_at is not None else None,
                ):
                    rows[_event(scope, event, day)] += 1
            kind = step_kind(clock.key)
            if kind and clock.status == "met" and clock.finished_at is not None:
                started, finished = beijing_date(clock.started_at), beijing_date(clock.finished_at)
                rows[StepKey(scope, finished, kind, started, _late(clock))] += 1
    return rows


def _dispute(scope: str, day: date) -> CaseKey:
    return _event(scope, "dispute", day)


def _event(scope: str, event: str, day: date) -> CaseKey:
    """A row that counts an event of the scope's cases on a day (a dispute, a review ...)."""
    return CaseKey(scope, event, day, "", "", "", False, False, False)


ENDED = ("closed", "withdrawn")
CASE_DAY: Table = CaseDay.__table__  # type: ignore[attr-defined]
CASE_MONTH: Table = CaseMonth.__table__  # type: ignore[attr-defined]
STEP_DAY: Table = StepDay.__table__  # type: ignore[attr-defined]


# ---------------------------------------------------------------- kept by apply_record


def of_case(
    case: Case | None, clocks: Iterable[CaseClock], slips: Iterable[CaseSlip], tree: TreeRows
) -> Rows:
    """The contribution of a case with these clocks and slips (all of the case's, as the
    record's session holds them: read, or added by the record); `tree` gives the handling
    unit's path and level."""
    if case is None:
        return Counter()
    clocks = list(clocks)
    sent_back = any(slip.kind == "supervision" and slip.round > 1 for slip in slips)
    reopened = any(c.key.startswith("opinion-") and c.key != "opinion-1" for c in clocks)
    reworked = sent_back or reopened
    unit = tree.unit(case.handling_unit)
    path = tree.path(case.handling_unit)
    return contribution(case, clocks, reworked, path, unit.level if unit else "")


def with_months(rows: Mapping[Key, int]) -> Rows:
    """The rows, each day's totals of cases received and closed (the weekly chart's), and for
    each case row its month's row."""
    found: Rows = Counter(rows)
    for key, n in rows.items():
        if isinstance(key, CaseKey) and key.event in DAY_TOTALS:
            found[_day_total(key.scope, DAY_TOTALS[key.event], key.day)] += n
    for key, n in list(found.items()):
        if isinstance(key, CaseKey):
            found[MonthKey(*key._replace(day=key.day.replace(day=1)))] += n
    return found


# The events whose day totals the weekly chart reads, and the event of those totals.
DAY_TOTALS = {"received": "received_all", "closed": "closed_all"}


def _day_total(scope: str, event: str, day: date) -> CaseKey:
    return CaseKey(scope, event, day, "", "", "", False, False, False)


def difference(after: Rows, before: Rows) -> dict[Key, int]:
    """after − before, keeping the negative counts (Counter's own subtraction drops them)."""
    changed = {key: after[key] - before[key] for key in set(after) | set(before)}
    return {key: n for key, n in changed.items() if n}


def add(session: Session, changes: Mapping[Key, int]) -> None:
    """Add the counts to the summary rows (and their months' and days' totals), creating them
    as needed: one upsert statement a table, its rows in key order (two cases' records may
    meet on the same rows on PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    every = with_months(changes)
    batches: dict[Table, list[dict[str, object]]] = {}
    for key in sorted(every, key=lambda k: tuple(map(str, k))):
        if every[key]:
            table, count = _table_of(key)
            batches.setdefault(table, []).append({**key._asdict(), count: every[key]})
    for table, rows in batches.items():
        count = "steps" if table is STEP_DAY else "cases"
        statement = insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=[column.name for column in table.primary_key.columns],
            set_={count: table.c[count] + statement.excluded[count]},
        )
        session.connection().execute(statement, rows)


def _table_of(key: Key) -> tuple[Table, str]:
    if isinstance(key, CaseKey):
        return CASE_DAY, "cases"
    if isinstance(key, MonthKey):
        return CASE_MONTH, "cases"
    return STEP_DAY, "steps"


# ---------------------------------------------------------------- recount, check, rebuild


def held(session: Session) -> Rows:
    """The summary tables' rows (those with a count)."""
    rows: Rows = Counter()
    for day in session.exec(select(CaseDay).where(col(CaseDay.cases) != 0)):
        rows[CaseKey(**{name: getattr(day, name) for name in CaseKey._fields})] = day.cases
    for month in session.exec(select(CaseMonth).where(col(CaseMonth.cases) != 0)):
        rows[MonthKey(**{name: getattr(month, name) for name in MonthKey._fields})] = month.cases
    for step in session.exec(select(StepDay).where(col(StepDay.steps) != 0)):
        rows[StepKey(**{name: getattr(step, name) for name in StepKey._fields})] = step.steps
    return rows


def recount(session: Session) -> Rows:
    """The summary rows counted afresh from the read model, with grouped queries (the
    definitions of store/stats.py), the tree mapping each handling unit to its rows."""
    units = Units.read(session)
    rows: Rows = Counter()
    connection = session.connection()
    referred = case((col(Case.stage) == "referred", 1), else_=0)
    came_on = stats.beijing_day(Case.received_at)
    received = select_columns(
        col(Case.handling_unit),
        col(Case.province),
        col(Case.channel),
        referred,
        came_on,
        func.count(),
    ).group_by(col(Case.handling_unit), col(Case.province), col(Case.channel), referred, came_on)
    for unit, province, channel, was_referred, day, n in connection.execute(received):
        for scope, branch in branches(units.path(unit), unit, province):
            key = CaseKey(
                scope,
                "received",
                stats.as_date(day),
                branch,
                units.level.get(unit, ""),
                channel,
                bool(was_referred),
                False,
                False,
            )
            rows[key] += n
    late = (
        select_columns(
            col(CaseClock.case_id), func.max(stats.flag(stats.CLOSING_LATE)).label("late")
        )
        .group_by(col(CaseClock.case_id))
        .subquery()
    )
    sent_back = (
        select_columns(col(CaseSlip.case_id))
        .where(col(CaseSlip.kind) == "supervision", col(CaseSlip.round) > 1)
        .union(select_columns(col(CaseClock.case_id)).where(stats.REOPENED))
        .subquery()
    )
    went_on = stats.beijing_day(Case.updated_at)
    was_late = func.coalesce(late.c.late, 0)
    was_reworked = case((sent_back.c.case_id.is_not(None), 1), else_=0)
    ended = (
        select_columns(
            col(Case.handling_unit),
            col(Case.province),
            col(Case.outcome),
            went_on,
            was_late,
            was_reworked,
            func.count(),
        )
        .select_from(Case)
        .outerjoin(late, late.c.case_id == col(Case.id))
        .outerjoin(sent_back, sent_back.c.case_id == col(Case.id))
        .where(col(Case.outcome).in_(ENDED))
        .group_by(
            col(Case.handling_unit),
            col(Case.province),
            col(Case.outcome),
            went_on,
            was_late,
            was_reworked,
        )
    )
    for unit, province, outcome, day, was, again, n in connection.execute(ended):
        for scope, branch in branches(units.path(unit), unit, province):
            key = CaseKey(
                scope,
                outcome,
                stats.as_date(day),
                branch,
                units.level.get(unit, ""),
                "",
                False,
                bool(was),
                bool(again),
            )
            rows[key] += n
    asked_on = stats.beijing_day(CaseClock.started_at)
    disputes = (
        select_columns(col(Case.province), asked_on, func.count())
        .select_from(CaseClock)
        .join(Case, stats.CASE_CLOCK)
        .where(col(CaseClock.key).like(DISPUTE_PREFIX + "%"))
        .group_by(col(Case.province), asked_on)
    )
    for province, day, n in connection.execute(disputes):
        for scope in (COUNTRY, province):
            rows[_dispute(scope, stats.as_date(day))] += n
    for kind, result, began, ended_on, province, n in connection.execute(stats.aftercare_query()):
        finished_on = stats.as_date(ended_on) if ended_on is not None else None
        for event, day in stats.aftercare_events(kind, result, stats.as_date(began), finished_on):
            for scope in (COUNTRY, province):
                rows[_event(scope, event, day)] += n
    for kind, started, finished, was, province, n in connection.execute(stats.steps_query()):
        if kind:
            for scope in (COUNTRY, province):
                done = StepKey(
                    scope, stats.as_date(finished), kind, stats.as_date(started), bool(was)
                )
                rows[done] += n
    return with_months(rows)


@dataclass(frozen=True)
class Mismatch:
    key: Key
    held: int
    counted: int


def check(session: Session) -> list[Mismatch]:
    """Where the summary tables differ from a recount; empty when they agree."""
    have, counted = held(session), recount(session)
    return [
        Mismatch(key, have[key], counted[key])
        for key in sorted(set(have) | set(counted), key=lambda k: tuple(map(str, k)))
        if have[key] != counted[key]
    ]


def rebuild(session: Session) -> int:
    """Replace the summary tables' rows by a recount; how many rows they hold now. The rows
    go in in key order, so that a scope's days lie together as if written day by day."""
    counted = recount(session)
    for table in (CASE_DAY, CASE_MONTH, STEP_DAY):
        session.connection().execute(delete(table))
    batches: dict[Table, list[dict[str, object]]] = {CASE_DAY: [], CASE_MONTH: [], STEP_DAY: []}
    for key in sorted(counted, key=lambda k: (k.scope, k.day, tuple(map(str, k)))):
        table, count = _table_of(key)
        batches[table].append({**key._asdict(), count: counted[key]})
    for table, batch in batches.items():
        for first in range(0, len(batch), 5000):
            session.connection().execute(plain_insert(table), batch[first : first + 5000])
    return len(counted)
