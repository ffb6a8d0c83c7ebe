"""Benchmark: the oversight figures (督办统计) at national scale on PostgreSQL.

    python bench/oversight.py [--cases N] [--requests N] [--seed N] [--keep] [--no-vacuum]
    python bench/oversight.py --reuse DATABASE [--requests N]   (measure a kept one again)

Makes a fresh database on the server of XUEJI_BENCH_POSTGRES (default the local one),
migrates it, loads a synthetic national tree (bench/synthetic.py: the Ministry, 32 provinces,
330 prefectures, 3,000 counties; no schools, which no figure reads), then:

1. Bulk-loads N generated cases (default 1,000,000) with COPY: the case rows, their clocks
   (case_step: each step's start, due time, end, overdue mark), the access rows the case list
   reads, and the supervision slips of reworked cases (what the rework rate reads). Received
   evenly over the two years before "now" (Tuesday 1 December 2026, 10:00 Beijing time);
   handled 85 % by counties, 10 % by prefectures, 4 % by provinces, 1 % by the Ministry; each
   step takes a random number of days around its allowance (about one in eight late), 5 %
   reworked once, 4 % withdrawn during a step, 3 % referred at once; a case whose steps
   reach past "now" is open at the step it is in (overdue, with its escalation level, when
   that step's due time has passed). Then VACUUM ANALYZE, as autovacuum would (not with
   --no-vacuum: the store as autovacuum left it), and the
   oversight summary tables filled from those rows (store.summary.rebuild, the migration's
   backfill: the rows go in by COPY, not through the worker's records that keep them).
2. Times, one call at a time after two warm-up calls, `--requests` calls (default 20) of the
   service functions the JSON routes and the console page call: the Ministry's report for
   the year before "now", the busiest province's report for November 2026, the busiest
   county's backlog, the case list's first page (store.queries.visible_cases, 50 newest, with
   its count) of the busiest prefecture and its search page with a typical filter
   (stage=verify_issue), and the Ministry's list (the count stops at 10,000); and as the
   baseline, a full sequential scan of the cases table
   (count(*) with index scans switched off) in the same run. Prints p50 and p95 of each and
   each p95 as a multiple of the scan's median.

Goals (the oversight issue): p95 < 500 ms for the national yearly figures, < 100 ms for a
county's backlog and for a list or search page, with 1,000,000 cases.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import Copy
from sqlalchemy import text
from sqlmodel import Session, col, func, select
from synthetic import write_national_tree

from api import stats
from domain.orgtree import Level, OrgTree
from domain.workdays import SHANGHAI, WorkdayCalendar
from store import summary
from store.db import make_engine, session_scope
from store.migrate import upgrade
from store.models import Case
from store.org import replace_tree
from store.queries import CaseFilter, visible_cases

ADMIN_URL = os.environ.get("XUEJI_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
SPAN_DAYS = 730
GOALS_MS = {
    "national year": 500.0,
    "county backlog": 100.0,
    "list page": 100.0,
    "search page": 100.0,
}
# The search page's typical filter: the cases waiting for their verification slips (as
# bench/pages.py's `?stage=verify_issue`).
SEARCH = CaseFilter(stage="verify_issue")
LEVEL_MIX = (("county", 0.85), ("prefectural", 0.10), ("provincial", 0.04), ("national", 0.01))
CHANNELS = ("phone", "web", "email", "letter", "visit")
# (clock key, label, allowance in working days, slip clock?)
STEPS = (
    ("verify_issue-1", "下发核查单", 3),
    ("slip-V1", "核查单 V1", 5),
    ("opinion-1", "研究办理意见", 5),
    ("slip-S1", "督办单 S1", 5),
    ("confirmation-1", "确认处理结果", 3),
)
REWORK = (("slip-S2", "督办单 S2", 5), ("confirmation-2", "确认处理结果", 3))
INFORM = (("informing-1", "告知投诉人", 2),)
STAGE_OF = {
    "verify_issue": "verify_issue",
    "slip-V": "verification",
    "opinion": "opinion",
    "slip-S": "execution",
    "confirmation": "confirmation",
    "informing": "informing",
}
CASE_COLUMNS = (
    "id",
    "tracking_no",
    "channel",
    "stage",
    "receiving_unit",
    "handling_unit",
    "province",
    "received_at",
    "updated_at",
    "due",
    "overdue",
    "escalation_level",
    "outcome",
    "phone_masked",
    "assignee",
)
STEP_COLUMNS = (
    "case_id",
    "key",
    "label",
    "unit",
    "started_at",
    "due",
    "remind_at",
    "estimated",
    "status",
    "reminded",
    "overdue",
    "escalation_level",
    "finished_at",
)
SLIP_COLUMNS = (
    "case_id",
    "slip_id",
    "kind",
    "round",
    "issuer",
    "addressee",
    "route",
    "hops",
    "status",
    "sent_at",
    "assignee",
    "returned_by",
)


def psycopg_url(database: str) -> str:
    return f"{ADMIN_URL.rsplit('/', 1)[0]}/{database}"


def sqlalchemy_url(database: str) -> str:
    return psycopg_url(database).replace("postgresql://", "postgresql+psycopg://", 1)


def admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]  # names made here, never input


@dataclass
class Generated:
    cases: int = 0
    steps: int = 0
    access: int = 0
    slips: int = 0


class Cases:
    """The generated cases over the tree, deterministic for a seed."""

    def __init__(self, tree: OrgTree, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tree = tree
        by_level: dict[str, list[str]] = {level.value: [] for level in Level}
        for unit in tree.units():
            by_level[unit.level.value].append(unit.code)
        self.by_level = by_level
        self.paths = {unit.code: tree.path(unit.code) for unit in tree.units()}

    def handling_unit(self) -> str:
        draw, total = self.rng.random(), 0.0
        for level, share in LEVEL_MIX:
            total += share
            if draw < total:
                return self.rng.choice(self.by_level[level])
        return self.by_level["county"][0]

    def rows(self, number: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[str], bool]:
        """One case: its row, its clocks, the units that see it, whether it was reworked."""
        rng = self.rng
        unit = self.handling_unit()
        path = self.paths[unit]
        province = path[1] if len(path) > 1 else path[0]
        received = NOW - timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400))
        case_id = f"c{number:08d}"
        plan = list(STEPS)
        reworked = rng.random() < 0.05
        if reworked:
            plan += list(REWORK)
        plan += list(INFORM)
        draw = rng.random()
        stop_at = rng.randrange(len(plan)) if draw < 0.04 else None  # withdrawn in this step
        if draw > 0.97:  # referred to the hotline at once: no step
            row = (
                case_id,
                f"TN{number:010d}",
                "phone",
                "referred",
                unit,
                unit,
                province,
                received,
                received,
                None,
                False,
                0,
                "referred",
                "",
                "",
            )
            return row, [], list(path), False
        steps: list[tuple[Any, ...]] = []
        start = received
        stage, outcome, ended = "", "closed", received
        due_now, overdue_now, level_now = None, False, 0
        for index, (key, label, allowance) in enumerate(plan):
            due = start + timedelta(days=allowance * 1.4)
            took = timedelta(days=rng.expovariate(1 / (allowance * 0.7)), hours=rng.uniform(0, 8))
            finish = start + took
            if finish > NOW:  # open at this step
                late = due < NOW
                level = min(4, int((NOW - due).days // 7) + 1) if late else 0
                steps.append(
                    (
                        case_id,
                        key,
                        label,
                        unit,
                        start,
                        due,
                        due - timedelta(days=1),
                        False,
                        "open",
                        late,
                        late,
                        level,
                        None,
                    )
                )
                stage = next(s for prefix, s in STAGE_OF.items() if key.startswith(prefix))
                outcome, ended = "", NOW
                due_now, overdue_now, level_now = due, late, level
                break
            if stop_at == index:
                steps.append(
                    (
                        case_id,
                        key,
                        label,
                        unit,
                        start,
                        due,
                        due - timedelta(days=1),
                        False,
                        "stopped",
                        finish > due,
                        finish > due,
                        1 if finish > due else 0,
                        finish,
                    )
                )
                stage, outcome, ended = "withdrawn", "withdrawn", finish
                break
            late = finish > due
            steps.append(
                (
                    case_id,
                    key,
                    label,
                    unit,
                    start,
                    due,
                    due - timedelta(days=1),
                    False,
                    "met",
                    late,
                    late,
                    1 if late else 0,
                    finish,
                )
            )
            start = finish
        else:
            stage, outcome, ended = "closed", "closed", start
        row = (
            case_id,
            f"TN{number:010d}",
            rng.choice(CHANNELS),
            stage,
            unit,
            unit,
            province,
            received,
            ended if outcome else NOW,
            due_now,
            overdue_now,
            level_now,
            outcome,
            "",
            "",
        )
        return row, steps, list(path), reworked and any(s[1] == "slip-S2" for s in steps)


def load(database: str, tree: OrgTree, count: int, seed: int, vacuum: bool) -> Generated:
    """COPY the generated cases in, a connection a table so that every row streams (nothing
    held in memory); indexes are built as the rows go in, as in production."""
    made = Generated()
    cases = Cases(tree, seed)
    tables = {
        "complaint_case": CASE_COLUMNS,
        "case_step": STEP_COLUMNS,
        "case_access": ("case_id", "unit_code", "received_at"),
        "case_slip": SLIP_COLUMNS,
    }
    with ExitStack() as stack:
        copies: dict[str, Copy] = {}
        connections = []
        for table, columns in tables.items():
            connection = stack.enter_context(psycopg.connect(psycopg_url(database)))
            connections.append(connection)
            cursor = stack.enter_context(connection.cursor())
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            copies[table] = stack.enter_context(cursor.copy(statement))  # type: ignore[arg-type]
        for number in range(count):
            row, steps, path, reworked = cases.rows(number)
            copies["complaint_case"].write_row(row)
            for step in steps:
                copies["case_step"].write_row(step)
            for code in path:
                copies["case_access"].write_row((row[0], code, row[7]))
            if reworked:
                sent = next(step[4] for step in steps if step[1] == "slip-S2")
                unit = row[5]
                copies["case_slip"].write_row(
                    (
                        row[0],
                        "S2",
                        "supervision",
                        2,
                        unit,
                        unit,
                        f'["{unit}"]',
                        "[]",
                        "returned",
                        sent,
                        "",
                        "",
                    )
                )
                made.slips += 1
            made.cases += 1
            made.steps += len(steps)
            made.access += len(path)
        stack.close()  # ends each COPY, then each connection commits
    if vacuum:
        with psycopg.connect(psycopg_url(database), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    return made


def fill_summaries(database: str, vacuum: bool) -> int:
    """The oversight summaries of the loaded cases, as the migration fills them in a store
    with cases already (the worker's records keep them after that); then ANALYZE them."""
    engine = make_engine(sqlalchemy_url(database))
    with session_scope(engine) as session:
        rows = summary.rebuild(session)
    engine.dispose()
    if vacuum:
        with psycopg.connect(psycopg_url(database), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE stats_case_day")
            connection.execute("VACUUM ANALYZE stats_step_day")
    return rows


@dataclass(frozen=True)
class Timing:
    name: str
    p50_ms: float
    p95_ms: float


def nearest(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def timed(name: str, requests: int, call: Callable[[], object]) -> Timing:
    for _ in range(2):
        call()
    spent = []
    for _ in range(requests):
        begin = time.perf_counter()
        call()
        spent.append((time.perf_counter() - begin) * 1000)
    return Timing(name, nearest(spent, 0.5), nearest(spent, 0.95))


def busiest(session: Session, column: Any, codes: list[str]) -> str:
    query = (
        select(column, func.count())
        .where(col(column).in_(codes))
        .group_by(column)
        .order_by(func.count().desc())
        .limit(1)
    )
    return str(session.exec(query).first()[0])  # type: ignore[index]


def measure(database: str, tree: OrgTree, requests: int) -> tuple[list[Timing], dict[str, str]]:
    engine = make_engine(sqlalchemy_url(database))
    calendar = WorkdayCalendar()
    levels: dict[str, list[str]] = {level.value: [] for level in Level}
    for unit in tree.units():
        levels[unit.level.value].append(unit.code)
    year = stats.Period(date(2025, 12, 1), date(2026, 11, 30))
    month = stats.Period(date(2026, 11, 1), date(2026, 11, 30))
    with Session(engine) as session:
        province = busiest(session, Case.province, levels["provincial"])
        county = busiest(session, Case.handling_unit, levels["county"])
        prefecture = busiest(session, Case.handling_unit, levels["prefectural"])

        def report(unit: str, period: stats.Period) -> Callable[[], object]:
            return lambda: stats.report(
                session=session,
                tree=tree,
                calendar=calendar,
                caller_unit=unit,
                unit=None,
                period=period,
                now=NOW,
            )

        def page(unit: str, filters: CaseFilter) -> Callable[[], object]:
            return lambda: visible_cases(session=session, unit_code=unit, filters=filters, limit=50)

        def scan() -> object:
            connection = session.connection()
            for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
                connection.execute(text(f"SET LOCAL {setting} = off"))
            found = connection.execute(text("SELECT count(*) FROM complaint_case")).scalar()
            session.rollback()
            return found

        timings = [
            timed("sequential scan", requests, scan),
            timed("national year", requests, report("000000", year)),
            timed("province month", requests, report(province, month)),
            timed(
                "county backlog",
                requests,
                lambda: stats.backlog(
                    session=session, tree=tree, calendar=calendar, unit=county, now=NOW
                ),
            ),
            timed("list page", requests, page(prefecture, CaseFilter())),
            timed("search page", requests, page(prefecture, SEARCH)),
            timed("national list page", requests, page("000000", CaseFilter())),
        ]
    engine.dispose()
    return timings, {"province": province, "county": county, "prefecture": prefecture}


def national_tree() -> OrgTree:
    with tempfile.TemporaryDirectory() as folder:
        units, schools = write_national_tree(Path(folder), counties=3000, schools=0)
        return OrgTree.load(units, schools)


def fill(database: str, tree: OrgTree, cases: int, seed: int, vacuum: bool) -> int:
    """A fresh store: migrated, the tree, the cases, the summary tables; their number."""
    upgrade(sqlalchemy_url(database))
    engine = make_engine(sqlalchemy_url(database))
    with session_scope(engine) as session:
        replace_tree(session=session, tree=tree)
    engine.dispose()
    begin = time.perf_counter()
    made = load(database, tree, cases, seed, vacuum)
    print(
        f"loaded {made.cases:,} cases, {made.steps:,} clocks, {made.access:,} access rows, "
        f"{made.slips:,} slips in {time.perf_counter() - begin:.0f} s "
        f"(COPY{', then VACUUM ANALYZE' if vacuum else '; no VACUUM ANALYZE: autovacuum only'})",
        flush=True,
    )
    begin = time.perf_counter()
    rows = fill_summaries(database, vacuum)
    print(
        f"summary tables filled from the cases (the migration's backfill, "
        f"store.summary.rebuild): {rows:,} rows in {time.perf_counter() - begin:.0f} s",
        flush=True,
    )
    return made.cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="no VACUUM ANALYZE after the load: measure with what autovacuum has done",
    )
    parser.add_argument(
        "--reuse", metavar="DATABASE", help="measure again a database kept by --keep, no fill"
    )
    args = parser.parse_args()
    tree = national_tree()
    if args.reuse:
        engine = make_engine(sqlalchemy_url(args.reuse))
        with Session(engine) as session:
            cases = session.exec(select(func.count()).select_from(Case)).one()
        engine.dispose()
        timings, units_of = measure(args.reuse, tree, args.requests)
        print_report(timings, units_of, args.requests, cases)
        return
    database = f"xueji_bench_oversight_{uuid.uuid4().hex[:8]}"
    admin(f'CREATE DATABASE "{database}"')
    try:
        cases = fill(database, tree, args.cases, args.seed, vacuum=not args.no_vacuum)
        timings, units_of = measure(database, tree, args.requests)
        print_report(timings, units_of, args.requests, cases)
    finally:
        if args.keep:
            print(f"kept the database {database} (--reuse {database} measures it again)")
        else:
            admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def print_report(
    timings: list[Timing], units_of: dict[str, str], requests: int, cases: int
) -> None:
    scan = timings[0].p50_ms
    print(
        f"\n{cases:,} cases on PostgreSQL, {requests} calls each, one at a time "
        f"(province {units_of['province']}, county {units_of['county']}, "
        f"list of prefecture {units_of['prefecture']})\n"
    )
    print("| what | p50 ms | p95 ms | goal (p95) | p95 ÷ sequential scan |")
    print("| --- | ---: | ---: | --- | ---: |")
    for timing in timings:
        goal = GOALS_MS.get(timing.name)
        print(
            f"| {timing.name} | {timing.p50_ms:.1f} | {timing.p95_ms:.1f} | "
            f"{f'< {goal:.0f} ms' if goal else '—'} | {timing.p95_ms / scan:.2f} |"
        )


if __name__ == "__main__":
    main()
