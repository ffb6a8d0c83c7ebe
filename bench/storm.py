"""Benchmark: the 23:59:59 deadline storm. N running cases whose open clocks all fall due at
the same instant, and their reminders all at the same instant before it.

    python bench/storm.py [--cases N] [--lead S] [--gap S]

Starts the dev server as `make run` does (`temporal server start-dev` with its SQLite file,
xueji.dev.temporal_command) on a temporary data folder and store with the demo tree, then:

1. the worker as its own process (bench/storm_worker.py: the real worker with plan_deadline
   replaced so that the clocks fall due at a chosen instant, see there), and N complaints
   registered now (each ends at 验证下发 with one open clock, the handling unit's). Once every
   case is there, two storms: at `remind_at` every clock's reminder (临期提醒, the storm one
   working day before), at `due` (`--gap` seconds later) every clock's overdue alert (超期督办).
   Measured from each instant until every case is marked in the store (the clock reminded /
   overdue), for the due time in the search attributes (`Overdue = true` counts N in
   visibility), and every alert is in the outbox (a reminder, an overdue notice per case);
2. the baseline in the same run: N bare workflows (bare_workflows.BareDeadline) with the same
   two timers, each followed by one local activity and one search-attribute upsert, run by
   their own worker process; measured from each instant until visibility counts N.

Prints both storms' times, the ratio bare / xueji (goal >= 0.5: xueji's work per fired
deadline at most twice bare Temporal's), and the activity attempts that failed (and so were
retried) by the worker's own metrics: none is injected, so any is a finding.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bare_workflows import BareClock, BareDeadline
from sqlalchemy import Engine, text
from temporalio.client import Client

from core.settings import Settings
from core.temporal import connect_with_retry
from domain.ids import CROCKFORD, new_tracking_no
from domain.process import Channel
from domain.records import Complainant
from domain.workdays import SHANGHAI
from store.db import engine_for
from store.migrate import upgrade
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import ComplaintInput
from xueji.dev import Supervisor, child_env, load_demo_tree_if_empty, temporal_command

RATIO_GOAL = 0.5
HERE = Path(__file__).resolve().parent
WORKER = str(HERE / "storm_worker.py")
PROVINCE = "130000"  # received by the province about two schools of 石家庄: the city handles it
SCHOOLS = ["2130102001", "2130104001"]
POLL = 0.25  # seconds between two looks at the store and visibility
AT_ONCE = 20  # workflow starts in flight


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_settings(folder: Path, queue: str) -> Settings:
    return Settings(
        data_dir=folder,
        database_url="",  # the temporary SQLite store, whatever DATABASE_URL says
        temporal_address=f"127.0.0.1:{free_port()}",
        temporal_ui_port=free_port(),
        temporal_ui_inner_port=free_port(),
        api_port=free_port(),
        worker_metrics_port=free_port(),
        api_metrics_port=free_port(),
        temporal_task_queue=queue,
    )


Check = Callable[[], Awaitable[int]]


@dataclass
class Storm:
    """Seconds from the instant until each check counted N (None: it never did)."""

    name: str
    seconds: dict[str, float | None]

    @property
    def total(self) -> float | None:
        values = list(self.seconds.values())
        return None if None in values else max(v for v in values if v is not None)


async def watch(name: str, instant: datetime, wanted: int, checks: dict[str, Check]) -> Storm:
    """Wait for `instant`, then poll each check until it counts `wanted`."""
    await asyncio.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))
    done: dict[str, float | None] = dict.fromkeys(checks)
    patience = 120 + wanted * 0.5
    while any(v is None for v in done.values()):
        for label, check in checks.items():
            if done[label] is None and await check() >= wanted:
                done[label] = (datetime.now(UTC) - instant).total_seconds()
        elapsed = (datetime.now(UTC) - instant).total_seconds()
        if elapsed > patience:
            break
        await asyncio.sleep(POLL)
    return Storm(name, done)


async def in_parallel(count: int, start: Callable[[int], Awaitable[object]]) -> None:
    numbers = iter(range(count))

    async def lane() -> None:
        for number in numbers:
            await start(number)

    await asyncio.gather(*(lane() for _ in range(AT_ONCE)))


async def until(check: Check, wanted: int, timeout: float, what: str) -> None:
    ends = time.monotonic() + timeout
    while (found := await check()) < wanted:
        if time.monotonic() > ends:
            raise SystemExit(f"{what}: {found} of {wanted} after {timeout:.0f} s")
        await asyncio.sleep(0.5)


def store_count(engine: Engine, sql: str) -> Check:
    async def count() -> int:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())

    return count


def visibility_count(client: Client, query: str) -> Check:
    async def count() -> int:
        return (await client.count_workflows(query)).count

    return count


def failed_attempts(settings: Settings) -> dict[str, float]:
    """Failed task and activity attempts by the worker's Prometheus metrics (each failed
    activity attempt is retried)."""
    url = f"http://127.0.0.1:{settings.worker_metrics_port}/metrics"
    body = urllib.request.urlopen(url, timeout=10).read().decode()
    wanted = (
        "temporal_activity_execution_failed",
        "temporal_local_activity_execution_failed",
        "temporal_workflow_task_execution_failed",
        "temporal_local_activity_total",
    )
    found = dict.fromkeys(wanted, 0.0)
    for line in body.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        for candidate in (name, name.removesuffix("_total")):
            if candidate in found:
                found[candidate] += float(line.rsplit(" ", 1)[1])
                break
    return found


def write_instants(path: Path, remind_at: datetime, due: datetime) -> None:
    path.write_text(json.dumps({"remind_at": remind_at.isoformat(), "due": due.isoformat()}))


def complaint(number: int) -> ComplaintInput:
    received = datetime.now(SHANGHAI)
    random_part = "".join(secrets.choice(CROCKFORD) for _ in range(6))
    return ComplaintInput(
        complaint_id=f"storm-{number:06d}-{uuid.uuid4().hex[:6]}",
        tracking_no=new_tracking_no(received.date(), random_part),
        received_at=received,
        receiving_unit=PROVINCE,
        channel=Channel.WEB,
        school_codes=SCHOOLS,
        complainant=Complainant(name="测试", phone="13800000000"),
        content="学籍被错误转出，请核实",
    )


@dataclass
class Phase:
    set_up: float  # seconds to start the N and see them all waiting
    reminder: Storm
    overdue: Storm
    failures: dict[str, float]


async def xueji_storm(
    supervisor: Supervisor, client: Client, settings: Settings, folder: Path, args: Args
) -> Phase:
    n, queue = args.cases, settings.temporal_task_queue
    storm_file = folder / "storm.json"
    env = child_env(settings) | {"XUEJI_BENCH_STORM_FILE": str(storm_file)}
    supervisor.start("worker", [sys.executable, WORKER], env, log=folder / "worker.log")
    engine = engine_for(settings)
    try:
        began = datetime.now(UTC)
        remind_at = began + timedelta(seconds=args.lead)
        due = remind_at + timedelta(seconds=args.gap)
        write_instants(storm_file, remind_at, due)

        async def start(number: int) -> None:
            case = complaint(number)
            await client.start_workflow(
                ComplaintWorkflow.run, case, id=case.complaint_id, task_queue=queue
            )

        await in_parallel(n, start)
        open_clocks = store_count(engine, "SELECT count(*) FROM case_step WHERE status = 'open'")
        await until(open_clocks, n, args.lead, "cases waiting at their first step")
        set_up = (datetime.now(UTC) - began).total_seconds()
        if datetime.now(UTC) > remind_at - timedelta(seconds=1):
            raise SystemExit(f"set-up took {set_up:.0f} s, past the reminder: raise --lead")
        reminded = store_count(
            engine, "SELECT count(*) FROM case_step WHERE status = 'open' AND reminded"
        )
        reminder_notices = store_count(
            engine,
            "SELECT count(DISTINCT case_id) FROM notification_outbox WHERE kind = 'reminder'",
        )
        reminder = await watch(
            "reminder", remind_at, n, {"store": reminded, "outbox": reminder_notices}
        )
        overdue_clocks = store_count(
            engine, "SELECT count(*) FROM case_step WHERE status = 'open' AND overdue"
        )
        overdue_notices = store_count(
            engine, "SELECT count(DISTINCT case_id) FROM notification_outbox WHERE kind = 'overdue'"
        )
        shown = visibility_count(
            client,
            f'WorkflowType = "ComplaintWorkflow" AND TaskQueue = "{queue}" AND Overdue = true',
        )
        overdue = await watch(
            "overdue",
            due,
            n,
            {"store": overdue_clocks, "visibility": shown, "outbox": overdue_notices},
        )
        failures = failed_attempts(settings)
    finally:
        engine.dispose()
        supervisor.stop("worker")
    return Phase(set_up, reminder, overdue, failures)


async def bare_storm(
    supervisor: Supervisor, client: Client, settings: Settings, folder: Path, args: Args
) -> Phase:
    n, queue = args.cases, settings.temporal_task_queue
    supervisor.start(
        "bare", [sys.executable, WORKER, "--bare"], child_env(settings), log=folder / "bare.log"
    )
    try:
        began = datetime.now(UTC)
        remind_at = began + timedelta(seconds=args.lead)
        due = remind_at + timedelta(seconds=args.gap)
        clock = BareClock(remind_at=remind_at, due=due)

        async def start(number: int) -> None:
            await client.start_workflow(
                BareDeadline.run, clock, id=f"bare-{number:06d}", task_queue=queue
            )

        await in_parallel(n, start)
        ours = f'WorkflowType = "BareDeadline" AND TaskQueue = "{queue}"'
        waiting = visibility_count(client, f'{ours} AND ComplaintStage = "waiting"')
        await until(waiting, n, args.lead, "bare workflows waiting for their timers")
        set_up = (datetime.now(UTC) - began).total_seconds()
        reminded = visibility_count(client, f'{ours} AND ComplaintStage = "reminded"')
        reminder = await watch("reminder", remind_at, n, {"visibility": reminded})
        overdue_shown = visibility_count(client, f"{ours} AND Overdue = true")
        overdue = await watch("overdue", due, n, {"visibility": overdue_shown})
        failures = failed_attempts(settings)
    finally:
        supervisor.stop("bare")
    return Phase(set_up, reminder, overdue, failures)


@dataclass
class Args:
    cases: int
    lead: float
    gap: float
    keep: bool = False


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def ratio(bare: Storm, xueji: Storm) -> str:
    if bare.total is None or xueji.total is None or xueji.total == 0:
        return "—"
    value = bare.total / xueji.total
    verdict = "met" if value >= RATIO_GOAL else "NOT MET"
    return f"{value:.2f} (goal >= {RATIO_GOAL}: {verdict})"


def report(args: Args, xueji: Phase, bare: Phase) -> None:
    n = args.cases
    print(
        f"dev server with its SQLite file; {n} cases and {n} bare workflows, each its own worker "
        f"process; reminders {args.gap:.0f} s before the due time"
    )
    print(f"set-up: xueji {xueji.set_up:.1f} s, bare {bare.set_up:.1f} s (not part of the storms)")
    for name in ("reminder", "overdue"):
        ours: Storm = getattr(xueji, name)
        theirs: Storm = getattr(bare, name)
        parts = ", ".join(f"{label} {seconds(value)}" for label, value in ours.seconds.items())
        print(f"{name} storm:")
        print(f"  xueji: every case marked after {seconds(ours.total)} ({parts})")
        print(f"  bare Temporal: {seconds(theirs.total)} (timer, local activity, upsert)")
        print(f"  ratio bare / xueji: {ratio(theirs, ours)}")
    for label, phase in (("xueji", xueji), ("bare", bare)):
        failed = phase.failures
        retried = failed["temporal_activity_execution_failed"]
        retried += failed["temporal_local_activity_execution_failed"]
        print(
            f"{label} worker: {retried:.0f} failed activity attempts (retried), "
            f"{failed['temporal_workflow_task_execution_failed']:.0f} failed workflow tasks, "
            f"{failed['temporal_local_activity_total']:.0f} local activities in all "
            f"(no fault injected: {'none retried' if retried == 0 else 'RETRIES FOUND'})"
        )


async def bench(args: Args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="xueji-storm-"))
    settings = bench_settings(folder / "data", f"storm-{uuid.uuid4().hex[:8]}")
    upgrade(settings.store_url)
    load_demo_tree_if_empty(settings)
    supervisor = Supervisor()
    try:
        command = temporal_command(settings)
        supervisor.start("temporal", command, child_env(settings), log=folder / "temporal.log")
        client = await connect_with_retry(settings)
        xueji = await xueji_storm(supervisor, client, settings, folder, args)
        bare_settings = settings.model_copy(
            update={
                "temporal_task_queue": f"bare-{uuid.uuid4().hex[:8]}",
                "worker_metrics_port": free_port(),
            }
        )
        bare = await bare_storm(supervisor, client, bare_settings, folder, args)
    finally:
        supervisor.stop_all()
        if args.keep:
            print(f"data, store and logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    report(args, xueji, bare)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the 23:59:59 deadline storm.")
    parser.add_argument("--cases", type=int, default=2000, help="cases (and bare workflows)")
    parser.add_argument(
        "--lead",
        type=float,
        default=None,
        help="seconds from the first start to the reminder storm (default: 30 + 0.15 s a case)",
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=None,
        help="seconds from the reminder storm to the due time (default: 30 + 0.06 s a case)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    parsed = parser.parse_args()
    n = parsed.cases
    lead = parsed.lead if parsed.lead is not None else 30 + 0.15 * n
    gap = parsed.gap if parsed.gap is not None else 30 + 0.06 * n
    asyncio.run(bench(Args(n, lead, gap, parsed.keep)))


if __name__ == "__main__":
    main()
