"""Benchmark: server time of the staff console's pages (工作台) with a full store, and the page
weight of the inbox.

    python bench/pages.py [--cases N] [--requests N] [--store sqlite|postgresql] [--seed N]

Starts its own dev server (in memory) and a temporary store (a SQLite file, or with
`--store postgresql` a fresh database on the server of XUEJI_BENCH_POSTGRES) with the demo tree
and a handler of 石家庄市教育局 (130100), then:

1. Fills the store with N synthetic cases (default 100,000): the rows the worker's
   `record_case` activity (`store.cases.apply_record`) writes (case row, sealed registration,
   clocks, slips, timeline, access rows, search index), built with the store's own functions
   and inserted 1,000 cases a transaction (`Rows`; checked first against apply_record), and
   prints how long that took; on PostgreSQL then VACUUM ANALYZE, as autovacuum would. They
   are spread over the demo tree: most handled by counties, some by cities and provinces,
   and 石家庄市 itself handles 3 % more (the busiest inbox: a few hundred open steps at
   100,000 cases); 90 % are closed, 10 % open with their running clocks, some overdue.
2. Starts the worker (its own process) and registers a few real complaints on the dev server,
   handled by 石家庄市 and left open: the case page asks their workflow for its live state.
3. Starts the API in uvicorn, signs the handler in to the console once, and then, one request
   at a time (server time per page, not throughput), after a few warm-up requests, times
   `--requests` GETs of each page: the inbox, a case page (the real cases in turn), the case
   search (the default list and one filtered by stage), and the case page's 10-second
   refresh (`/live`, the parts re-rendered, and the 304 while nothing changed).
4. The baseline of the case page: as many bare Temporal queries of the same workflows'
   `state` (the one query the case page makes), timed the same way; the ratio of the p95s
   and their difference (what the page adds).
5. The page weight of the inbox: its HTML and every stylesheet and script it references,
   bytes as sent and gzip-compressed.

Goals (the workbench issue): p95 < 150 ms for each page with 100,000 cases, on both stores;
the inbox with its assets < 300 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from intake import (
    PASSWORD,
    add_account,
    bench_system,
    complaint_input,
    free_port,
    prepare_store,
    recorded,
    start_api,
    start_dev_server,
    start_worker,
    stop,
    table,
    wait_for_api,
)
from sqlalchemy import delete, insert
from sqlmodel import Session, func, select
from temporalio.client import Client

from core.settings import Settings
from core.temporal import CONNECTED, end_process
from domain.ids import new_tracking_no
from domain.orgtree import is_school_code
from domain.process import Channel, SlipKind, Stage
from domain.records import (
    CaseRecord,
    CaseSnapshot,
    Clock,
    ClockStatus,
    Complainant,
    Outcome,
    Registration,
    SlipRecord,
    SlipState,
    SlipStatus,
    Student,
    TimelineEntry,
)
from domain.workdays import SHANGHAI
from store.cases import _seal_registration as seal_registration
from store.cases import apply_record
from store.db import engine_for, session_scope
from store.models import (
    Case,
    CaseAccess,
    CaseClock,
    CaseSchool,
    CaseSlip,
    CaseStudentName,
    CaseTextToken,
    School,
    TimelineRow,
    Unit,
)
from store.sealing import Sealer, binding
from store.search_index import student_name_hash, token_hashes
from workflows.complaint import ComplaintWorkflow

# The columns of the case row that sealing the registration writes (store.cases).
REGISTRATION_COLUMNS = ("sealed", "phone_masked", "complainant_phone_hash", "complainant_id_hash")

P95_GOAL_MS = 150.0
WEIGHT_GOAL_KB = 300.0
WARM_UP = 5  # requests of each page before the timed ones
BATCH = 1000  # cases a transaction while filling the store
REAL_CASES = 5
CITY = "130100"  # 石家庄市教育局: the handler's unit, the real cases' handling unit
CITY_SHARE = 0.03  # the cases 石家庄市 handles itself, on top of its share as a city
HANDLER = ("bench_handler", CITY)
OPEN_SHARE = 0.10
OPEN_STAGES = (  # an open case's stage, and whose clock runs: the handling unit's or a slip's
    (Stage.VERIFY_ISSUE, "下发核查单", "case"),
    (Stage.VERIFICATION, "核查单", "slip"),
    (Stage.OPINION, "研究办理意见", "case"),
    (Stage.EXECUTION, "督办单", "slip"),
    (Stage.CONFIRMATION, "确认处理结果", "case"),
    (Stage.INFORMING, "告知投诉人", "case"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "小雨明华婷浩然子涵欣怡梓轩一诺俊杰思远佳怡宇航"
SUMMARIES = (
    "孩子的学籍被两所学校同时登记，无法办理转学手续",
    "学校未按规定为孩子办理学籍转出，影响升学报名",
    "学籍信息中的出生日期与户口簿不一致，多次申请更正未果",
    "孩子休学期满后复学，学校称学籍已被注销",
    "学校要求缴纳费用后才办理学籍转入",
    "借读期间学籍挂在原校，新学校拒绝建立学籍",
)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# ---------------------------------------------------------------- the synthetic cases


@dataclass
class Tree:
    """The demo tree as the fill needs it: units by level, children, schools, provinces."""

    parent: dict[str, str | None]
    level: dict[str, str]
    children: dict[str, list[str]] = field(default_factory=dict)
    schools: dict[str, list[str]] = field(default_factory=dict)

    def province(self, code: str) -> str:
        while self.level[code] not in ("provincial", "national"):
            parent = self.parent[code]
            assert parent is not None
            code = parent
        return code

    def of_level(self, level: str) -> list[str]:
        return sorted(code for code, each in self.level.items() if each == level)


def load_tree(settings: Settings) -> Tree:
    engine = engine_for(settings)
    with session_scope(engine) as session:
        units = session.exec(select(Unit)).all()
        schools = session.exec(select(School)).all()
        tree = Tree({u.code: u.parent_code for u in units}, {u.code: u.level for u in units})
        for unit in units:
            if unit.parent_code:
                tree.children.setdefault(unit.parent_code, []).append(unit.code)
        for school in schools:
            tree.schools.setdefault(school.unit_code, []).append(school.code)
    engine.dispose()
    return tree


class Cases:
    """Synthetic case records of the shape the complaint workflow writes."""

    def __init__(self, tree: Tree, seed: int, now: datetime) -> None:
        self.tree, self.rng, self.now = tree, random.Random(seed), now
        self.counties = tree.of_level("county")
        self.cities = tree.of_level("prefectural")
        self.provinces = tree.of_level("provincial")

    def handling_unit(self) -> str:
        draw = self.rng.random()
        if draw < CITY_SHARE:
            return CITY
        if draw < CITY_SHARE + 0.75:
            return self.rng.choice(self.counties)
        if draw < CITY_SHARE + 0.95:
            return self.rng.choice(self.cities)
        return self.rng.choice(self.provinces)

    def addressee(self, unit: str) -> str:
        """Whom the handling unit sends its slips: a unit below it, else one of its schools."""
        below = self.tree.children.get(unit) or self.tree.schools.get(unit) or [unit]
        return self.rng.choice(below)

    def school_of(self, unit: str) -> str:
        for code in [unit, *self.tree.children.get(unit, [])]:
            if self.tree.schools.get(code):
                return self.rng.choice(self.tree.schools[code])
        return self.rng.choice(self.tree.schools[self.rng.choice(list(self.tree.schools))])

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=2))

    def record(self, number: int) -> CaseRecord:
        rng = self.rng
        unit = self.handling_unit()
        is_open = rng.random() < OPEN_SHARE
        age = timedelta(days=rng.uniform(0, 25) if is_open else rng.uniform(30, 730))
        received = self.now - age
        random_part = "".join(rng.choices(CROCKFORD, k=6))
        tracking_no = new_tracking_no(received.astimezone(SHANGHAI).date(), random_part)
        complaint_id = f"bench-{number:07d}-{random_part}"
        addressee = self.addressee(unit)
        stage, label, runs = rng.choice(OPEN_STAGES) if is_open else (Stage.CLOSED, "", "")
        clocks, slips, timeline = self.steps(unit, addressee, received, stage, label, runs)
        running = [c for c in [*clocks, *(s.slip.clock for s in slips)] if c and c.status == "open"]
        due = running[0].due if running else None
        assignee = HANDLER[0] if unit == CITY and rng.random() < 0.3 else ""
        return CaseRecord(
            complaint_id=complaint_id,
            case=CaseSnapshot(
                tracking_no=f"{tracking_no}",
                channel=rng.choice(list(Channel)),
                stage=stage,
                receiving_unit=unit,
                handling_unit=unit,
                province=self.tree.province(unit),
                received_at=received,
                updated_at=timeline[-1].at,
                due=due,
                overdue=bool(running and running[0].overdue),
                escalation_level=running[0].escalation_level if running else 0,
                outcome=Outcome.PENDING if is_open else Outcome.CLOSED,
                assignee=assignee,
            ),
            registration=Registration(
                complainant=Complainant(
                    name=self.name(), phone=f"13{rng.randrange(10**9):09d}", id_card=""
                ),
                content=rng.choice(SUMMARIES),
                school_codes=[self.school_of(unit)],
                unit_codes=[],
                students=[Student(name=self.name()) for _ in range(rng.choice((1, 1, 2)))],
            ),
            clocks=clocks,
            slips=slips,
            timeline=timeline,
        )

    def clock(self, key: str, label: str, unit: str, start: datetime, *, running: bool) -> Clock:
        days = self.rng.choice((5, 10, 15))
        due = start + timedelta(days=days * 7 / 5)
        overdue = running and due < self.now
        return Clock(
            key=key,
            label=label,
            unit=unit,
            started_at=start,
            due=due,
            remind_at=due - timedelta(days=2),
            estimated=False,
            status=ClockStatus.OPEN if running else ClockStatus.MET,
            reminded=running and due - timedelta(days=2) < self.now,
            overdue=overdue,
            escalation_level=1 if overdue else 0,
            next_escalation_at=due + timedelta(days=7) if overdue else None,
            finished_at=None if running else start + timedelta(days=self.rng.uniform(1, days)),
            working_days=days,
        )

    def steps(
        self, unit: str, addressee: str, received: datetime, stage: Stage, label: str, runs: str
    ) -> tuple[list[Clock], list[SlipRecord], list[TimelineEntry]]:
        """The clocks, slips and timeline of a case up to `stage` (closed: all of them)."""
        now, rng = self.now, self.rng
        order = [s for s, _, _ in OPEN_STAGES]
        reached = order.index(stage) if stage in order else len(order)
        span = (now - received) / (reached + 2)
        at = received
        timeline = [TimelineEntry(key="registered", at=at, kind="registered", text="登记投诉")]
        clocks: list[Clock] = []
        slips: list[SlipRecord] = []
        for index, (step, step_label, step_runs) in enumerate(OPEN_STAGES[: reached + 1]):
            running = index == reached
            if index == reached and not label:
                break
            at = received + span * (index + 0.5)
            if step_runs == "case":
                clocks.append(self.clock(f"{step.value}-1", step_label, unit, at, running=running))
            else:
                kind = SlipKind.VERIFICATION if step == Stage.VERIFICATION else SlipKind.SUPERVISION
                slip_id = "V1" if kind == SlipKind.VERIFICATION else "S1"
                slip_clock = self.clock(
                    f"slip-{slip_id}", f"{step_label} {slip_id}", addressee, at, running=running
                )
                slips.append(
                    SlipRecord(
                        slip=SlipState(
                            slip_id=slip_id,
                            kind=kind,
                            round=1,
                            issuer=unit,
                            addressee=addressee,
                            route=[unit, addressee],
                            sent_at=at,
                            status=SlipStatus.OPEN if running else SlipStatus.RETURNED,
                            clock=slip_clock,
                            returned_at=None if running else slip_clock.finished_at,
                        ),
                        instructions="请核实该生学籍情况并反馈",
                        response=None if running else "经核查，情况属实，已更正",
                    )
                )
                timeline.append(
                    TimelineEntry(
                        key=f"slip_sent-{slip_id}",
                        at=at,
                        kind="slip_sent",
                        text=f"发出{step_label} {slip_id}",
                        unit=unit,
                    )
                )
            if not running and rng.random() < 0.5:
                timeline.append(
                    TimelineEntry(
                        key=f"done-{step.value}",
                        at=at + span * 0.4,
                        kind="step_done",
                        text=f"完成：{step_label}",
                        unit=unit,
                        actor="",
                    )
                )
        if not label:
            timeline.append(
                TimelineEntry(
                    key="closed", at=received + span * (reached + 1), kind="closed", text="办结"
                )
            )
        return clocks, slips, timeline


TABLES = (
    Case,
    CaseSchool,
    CaseStudentName,
    CaseTextToken,
    CaseClock,
    CaseSlip,
    TimelineRow,
    CaseAccess,
)


class Rows:
    """The rows `store.cases.apply_record` writes for a new case's record, built with the same
    store functions (sealing, look-up hashes, search index tokens, access rule) and inserted
    1,000 cases at a time with one multi-row INSERT per table: apply_record takes 40–70 ms a
    case here (an upsert reads before it writes, one ORM round trip per table, and the access
    rule walks the tree a query per unit), which would make a 100,000-case store take hours.
    `same_as_apply_record` checks the two write the same rows."""

    def __init__(self, tree: Tree, sealer: Sealer, key: bytes) -> None:
        self.tree, self.sealer, self.key = tree, sealer, key
        self.rows: dict[type, list[dict[str, Any]]] = {table: [] for table in TABLES}

    def path(self, code: str) -> list[str]:
        """Root-to-unit codes, as store.cases.unit_path reads them from the stored tree."""
        found: list[str] = []
        current: str | None = code
        while current is not None and current not in found:
            found.insert(0, current)
            current = self.tree.parent.get(current)
        return found

    def add(self, record: CaseRecord) -> None:
        assert record.case is not None and record.registration is not None
        case_id, sealer, key = record.complaint_id, self.sealer, self.key
        snapshot = shallow(record.case)
        snapshot.pop("public_reply")  # empty: nothing sealed
        row = Case(id=case_id)  # a row for seal_registration to set its columns on
        seal_registration(row, record.registration, sealer, key)
        sealed = {name: getattr(row, name) for name in REGISTRATION_COLUMNS}
        case = {"id": case_id, **snapshot, **sealed, "sealed_public_reply": None}
        self.rows[Case].append(case)
        for code in dict.fromkeys(record.registration.school_codes):
            self.rows[CaseSchool].append({"case_id": case_id, "school_code": code})
        names = {student_name_hash(s.name, key) for s in record.registration.students}
        for name_hash in {h for h in names if h}:
            self.rows[CaseStudentName].append({"case_id": case_id, "name_hash": name_hash})
        for token in token_hashes(record.registration.content, key):
            self.rows[CaseTextToken].append({"case_id": case_id, "token_hash": token})
        slip_clocks = [e.slip.clock for e in record.slips if e.slip.clock is not None]
        for clock in {c.key: c for c in [*record.clocks, *slip_clocks]}.values():
            values = shallow(clock)
            values.pop("working_days")
            self.rows[CaseClock].append({"case_id": case_id, **values})
        for entry in record.slips:
            slip = entry.slip

            def on_slip(column: str, slip_id: str = slip.slip_id) -> bytes:
                return binding(CaseSlip.__tablename__, column, case_id, slip_id)

            self.rows[CaseSlip].append(
                {
                    "case_id": case_id,
                    "slip_id": slip.slip_id,
                    "kind": slip.kind.value,
                    "round": slip.round,
                    "issuer": slip.issuer,
                    "addressee": slip.addressee,
                    "route": json.dumps(slip.route),
                    "hops": json.dumps([]),
                    "status": slip.status,
                    "sent_at": slip.sent_at,
                    "returned_at": slip.returned_at,
                    "assignee": slip.assignee,
                    "returned_by": slip.returned_by,
                    "sealed_instructions": None
                    if entry.instructions is None
                    else sealer.seal(entry.instructions, bound_to=on_slip("sealed_instructions")),
                    "sealed_response": None
                    if entry.response is None
                    else sealer.seal(entry.response, bound_to=on_slip("sealed_response")),
                }
            )
        handling, receiving = case["handling_unit"], case["receiving_unit"]
        access = set(self.path(handling))
        if handling in self.path(receiving):
            access.add(receiving)
        for entry in record.slips:
            access.update(code for code in entry.slip.route if not is_school_code(code))
        for code in sorted(access):
            self.rows[CaseAccess].append(
                {"case_id": case_id, "unit_code": code, "received_at": case["received_at"]}
            )
        for item in {item.key: item for item in reversed(record.timeline)}.values():
            values = shallow(item)
            note = values.pop("note")
            place = binding(TimelineRow.__tablename__, "sealed_note", case_id, item.key)
            values["sealed_note"] = sealer.seal(note, bound_to=place) if note else None
            self.rows[TimelineRow].append({"case_id": case_id, **values})

    def write(self, session: Session) -> None:
        for model, rows in self.rows.items():
            if rows:
                session.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]
            rows.clear()


def shallow(record: Any) -> dict[str, Any]:
    """A flat dataclass's fields as `dataclasses.asdict` gives them, without its deep copies
    (which took two thirds of the fill's time)."""
    return {each.name: getattr(record, each.name) for each in fields(record)}


def fill(settings: Settings, count: int, seed: int) -> float:
    """Write `count` synthetic cases; the seconds it took."""
    tree = load_tree(settings)
    now = datetime.now(UTC)
    cases = Cases(tree, seed, now)
    rows = Rows(tree, Sealer(settings.store_keys), settings.lookup_key_bytes)
    engine = engine_for(settings)
    started = time.perf_counter()
    for first in range(0, count, BATCH):
        for number in range(first, min(first + BATCH, count)):
            rows.add(cases.record(number))
        with session_scope(engine) as session:
            rows.write(session)
        done = min(first + BATCH, count)
        if done % (10 * BATCH) == 0 or done == count:
            elapsed = time.perf_counter() - started
            print(f"  {done:,} cases written in {elapsed:.0f} s", flush=True)
    if engine.dialect.name == "postgresql":
        # What autovacuum does to a store that grew over months, and has not yet done to one
        # loaded in minutes: the planner's statistics and the visibility map (index-only
        # scans). Without them the case search counted through the heap (150 ms for 9,800).
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE"
            )
    engine.dispose()
    return time.perf_counter() - started


def same_as_apply_record(settings: Settings, count: int = 50) -> None:
    """Write `count` records to the (empty) store with apply_record, read the rows back, and
    write the same records with `Rows` to a second SQLite store; raise unless every table
    holds the same rows (sealed values compared opened: each seal has its own nonce)."""
    tree = load_tree(settings)
    now = datetime.now(UTC)
    sealer, key = Sealer(settings.store_keys), settings.lookup_key_bytes
    synthetic = Cases(tree, seed=7, now=now)
    records = [synthetic.record(n) for n in range(count)]
    with tempfile.TemporaryDirectory(prefix="xueji-pages-check-") as tmp:
        other = settings.model_copy(update={"database_url": f"sqlite:///{tmp}/check.db"})
        prepare_store(other)
        engine = engine_for(other)
        with session_scope(engine) as session:
            for record in records:
                apply_record(session, record, sealer, now, lookup_key=key)
        with session_scope(engine) as session:
            expected = dump(session, sealer)
            for model in TABLES:
                session.execute(delete(model))
        rows = Rows(tree, sealer, key)
        for record in records:
            rows.add(record)
        with session_scope(engine) as session:
            rows.write(session)
        with session_scope(engine) as session:
            written = dump(session, sealer)
        engine.dispose()
    for model in TABLES:
        name = model.__tablename__
        if expected[name] != written[name]:
            missing = sorted(set(expected[name]) - set(written[name]), key=repr)[:3]
            extra = sorted(set(written[name]) - set(expected[name]), key=repr)[:3]
            raise RuntimeError(f"{name} differs from apply_record's: lacks {missing}, adds {extra}")


def dump(session: Session, sealer: Sealer) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the case tables, sorted, sealed columns opened."""
    tables = {}
    for model in TABLES:
        found = []
        for row in session.exec(select(model)):
            values = row.model_dump()
            for name, value in values.items():
                if name.startswith("sealed") and value is not None:
                    values[name] = repr(sealer.open_column(row, name))
            found.append(tuple(sorted((k, repr(v)) for k, v in values.items())))
        tables[model.__tablename__] = sorted(found)
    return tables


def sizes(settings: Settings) -> str:
    """What the pages of 石家庄市's handler meet: its open steps and the cases it may see."""
    engine = engine_for(settings)
    with session_scope(engine) as session:
        steps = session.exec(
            select(func.count())
            .select_from(CaseClock)
            .where(CaseClock.unit == CITY, CaseClock.status == "open")
        ).one()
        seen = session.exec(
            select(func.count()).select_from(CaseAccess).where(CaseAccess.unit_code == CITY)
        ).one()
        rows = session.exec(select(func.count()).select_from(CaseClock)).one()
    engine.dispose()
    return f"石家庄市: {steps} open steps in its inbox, {seen:,} cases it may see; {rows:,} clocks"


# ---------------------------------------------------------------- measuring


@dataclass
class Timed:
    latencies: list[float]

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def timed(count: int, one: Callable[[int], Awaitable[object]]) -> Timed:
    """`count` calls of `one`, one after the other, each timed, after WARM_UP untimed."""
    for number in range(WARM_UP):
        await one(number)
    latencies = []
    for number in range(count):
        started = time.perf_counter()
        await one(number)
        latencies.append(time.perf_counter() - started)
    return Timed(latencies)


async def sign_in(http: aiohttp.ClientSession) -> None:
    form = {"username": HANDLER[0], "password": PASSWORD, "next": "/console"}
    async with http.post("/console/login", data=form, allow_redirects=False) as answer:
        if answer.status != 303 or "xueji_console" not in answer.cookies:
            raise RuntimeError(f"console sign-in: {answer.status} {await answer.text()}")


async def get(http: aiohttp.ClientSession, path: str, headers: dict[str, str] | None = None) -> str:
    async with http.get(path, headers=headers, allow_redirects=False) as answer:
        body = await answer.read()
        if answer.status not in (200, 304):
            raise RuntimeError(f"GET {path}: {answer.status} {body[:300]!r}")
        return body.decode()


async def page_weight(http: aiohttp.ClientSession) -> list[tuple[str, int, int]]:
    """(address, bytes, gzip bytes) of the inbox's HTML and each asset it references."""
    html = await get(http, "/console")
    found = [("/console", html.encode())]
    assets = re.findall(r"<(?:link|script)\b[^>]*?(?:href|src)=\"(/static/[^\"]+)\"", html)
    for address in dict.fromkeys(assets):
        async with http.get(address) as answer:
            answer.raise_for_status()
            found.append((address, await answer.read()))
    return [(address, len(body), len(gzip.compress(body))) for address, body in found]


async def measure(
    base_url: str, client: Client, case_ids: list[str], requests: int
) -> tuple[dict[str, Timed], list[tuple[str, int, int]]]:
    timeout = aiohttp.ClientTimeout(total=60)
    jar = aiohttp.CookieJar(unsafe=True)  # keep the cookie of 127.0.0.1 (an IP address)
    async with aiohttp.ClientSession(base_url, timeout=timeout, cookie_jar=jar) as http:
        await sign_in(http)

        def case(number: int) -> str:
            return case_ids[number % len(case_ids)]

        versions = {}
        for complaint_id in case_ids:
            live = f"/console/cases/{complaint_id}/live"
            async with http.get(live, allow_redirects=False) as answer:
                if answer.status != 200:
                    raise RuntimeError(f"GET {live}: {answer.status} {await answer.text()}")
                versions[complaint_id] = answer.headers["ETag"]
        pages: dict[str, Callable[[int], Awaitable[object]]] = {
            "inbox /console": lambda n: get(http, "/console"),
            "case page /console/cases/{id}": lambda n: get(http, f"/console/cases/{case(n)}"),
            "search /console/cases": lambda n: get(http, "/console/cases"),
            "search ?stage=verify_issue": lambda n: get(http, "/console/cases?stage=verify_issue"),
            "refresh /console/cases/{id}/live": lambda n: get(
                http, f"/console/cases/{case(n)}/live"
            ),
            "refresh /live, unchanged (304)": lambda n: get(
                http,
                f"/console/cases/{case(n)}/live",
                {"If-None-Match": versions[case(n)]},
            ),
        }
        results = {}
        for name, one in pages.items():
            results[name] = await timed(requests, one)
            print(f"  {name}: p95 {results[name].percentile_ms(95):.1f} ms", flush=True)
        handles = [client.get_workflow_handle(complaint_id) for complaint_id in case_ids]
        results["bare query ComplaintWorkflow.state"] = await timed(
            requests, lambda n: handles[n % len(handles)].query(ComplaintWorkflow.state)
        )
        weight = await page_weight(http)
    return results, weight


async def bench(cases: int, requests: int, store: str, seed: int) -> None:
    env = await start_dev_server()
    client = env.client
    try:
        with bench_system(store, "xueji-pages-", client) as (tmp, settings):
            add_account(settings, *HANDLER, "handler", "石家庄承办人")
            same_as_apply_record(settings)
            print(f"filling the {store} store with {cases:,} cases", flush=True)
            fill_seconds = fill(settings, cases, seed)
            worker = start_worker(settings, tmp / "worker.log")
            port = free_port()
            api = start_api(settings, port, tmp / "api.log")
            try:
                case_ids = []
                for _ in range(REAL_CASES):
                    workflow_input = complaint_input()  # two schools of 石家庄: the city's case
                    await client.start_workflow(
                        ComplaintWorkflow.run,
                        workflow_input,
                        id=workflow_input.complaint_id,
                        task_queue=settings.temporal_task_queue,
                    )
                    case_ids.append(workflow_input.complaint_id)
                await recorded(settings, cases + REAL_CASES)
                print(sizes(settings), flush=True)
                base_url = f"http://127.0.0.1:{port}"
                await wait_for_api(base_url, api)
                results, weight = await measure(base_url, client, case_ids, requests)
            finally:
                stop(api)
                stop(worker)
    finally:
        await env.shutdown()
    report(store, cases, requests, fill_seconds, results, weight)


def report(
    store: str,
    cases: int,
    requests: int,
    fill_seconds: float,
    results: dict[str, Timed],
    weight: list[tuple[str, int, int]],
) -> None:
    print()
    print(
        f"store {store} with {cases:,} cases (filled in {fill_seconds:.0f} s,"
        f" {cases / fill_seconds:.0f} cases/s); the API in uvicorn, one request at a time,"
        f" {requests} of each after {WARM_UP} warm-up; times in ms"
    )
    rows: list[tuple[str, ...]] = [("page", "p50", "p95", "p99", "note")]
    for name, run in results.items():
        p95 = run.percentile_ms(95)
        baseline = name.startswith("bare")
        note = "the baseline" if baseline else ("met" if p95 < P95_GOAL_MS else "NOT MET")
        figures = (f"{run.percentile_ms(p):.1f}" for p in (50, 95, 99))
        rows.append((name, *figures, note if baseline else f"goal p95 < {P95_GOAL_MS:.0f}: {note}"))
    print(table(rows))
    page = results["case page /console/cases/{id}"].percentile_ms(95)
    bare = results["bare query ComplaintWorkflow.state"].percentile_ms(95)
    print(
        f"case page p95 / bare query p95: {page / bare:.1f}"
        f" (the page adds {page - bare:.1f} ms to its one query of the workflow)"
    )
    print()
    weight_rows: list[tuple[str, ...]] = [("inbox and its assets", "bytes", "gzip", "")]
    for address, size, packed in weight:
        weight_rows.append((address, f"{size:,}", f"{packed:,}", ""))
    total, packed_total = sum(w[1] for w in weight), sum(w[2] for w in weight)
    verdict = "met" if total / 1024 < WEIGHT_GOAL_KB else "NOT MET"
    weight_rows.append(
        ("total", f"{total:,}", f"{packed_total:,}", f"goal < {WEIGHT_GOAL_KB:.0f} KB: {verdict}")
    )
    print(table(weight_rows))


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the console's pages with a full store.")
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the store")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic cases")
    args = parser.parse_args()
    asyncio.run(bench(args.cases, args.requests, args.store, args.seed))
    CONNECTED.set()  # as bench/intake.py: no interpreter teardown after the SDK's threads
    end_process(0)


if __name__ == "__main__":
    main()
