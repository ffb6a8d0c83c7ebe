"""Benchmark: the 23:59:59 deadline storm. N running cases whose open clocks all fall due at
the same instant, and their reminders all at the same instant before it.

    python bench/storm.py [--cases N] [--lead S] [--gap S]

Starts the dev server as `make run` does (`temporal server start-dev` with its SQLite file,
xueji.dev.temporal_command) on a temporary data folder and store with the demo tree, then:

1. the worker as its own process (bench/storm_worker.py: the real worker with the calendar's
   activities replaced so that the clocks fall due at a chosen instant, see there), and N complaints
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bare_workflows import BareClock, BareDeadline
from system import (
    WORKER,
    Check,
    DevSystem,
    complaint,
    dev_system,
    failed_attempts,
    in_parallel,
    ratio,
    seconds,
    slowest,
    store_count,
    until,
    visibility_count,
    watch,
)

from domain.workdays import SHANGHAI
from store.db import engine_for
from workflows.complaint import ComplaintWorkflow


@dataclass
class Storm:
    """Seconds from the instant until each check counted N (None: it never did)."""

    name: str
    seconds: dict[str, float | None]

    @property
    def total(self) -> float | None:
        return slowest(self.seconds)


async def storm(name: str, instant: datetime, wanted: int, checks: dict[str, Check]) -> Storm:
    return Storm(name, await watch(instant, wanted, checks, 120 + wanted * 0.5))


def write_instants(path: Path, remind_at: datetime, due: datetime) -> None:
    path.write_text(json.dumps({"remind_at": remind_at.isoformat(), "due": due.isoformat()}))


@dataclass
class Phase:
    set_up: float  # seconds to start the N and see them all waiting
    reminder: Storm
    overdue: Storm
    failures: dict[str, float]


async def xueji_storm(system: DevSystem, args: Args) -> Phase:
    n, settings, client = args.cases, system.settings, system.client
    queue = settings.temporal_task_queue
    storm_file = system.folder / "storm.json"
    system.start_worker("worker", settings, WORKER, env={"XUEJI_BENCH_STORM_FILE": str(storm_file)})
    engine = engine_for(settings)
    try:
        began = datetime.now(UTC)
        remind_at = began + timedelta(seconds=args.lead)
        due = remind_at + timedelta(seconds=args.gap)
        write_instants(storm_file, remind_at, due)

        async def start(number: int) -> None:
            case = complaint("storm", number, datetime.now(SHANGHAI))
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
        reminder = await storm(
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
        overdue = await storm(
            "overdue",
            due,
            n,
            {"store": overdue_clocks, "visibility": shown, "outbox": overdue_notices},
        )
        failures = failed_attempts(settings)
    finally:
        engine.dispose()
        system.stop("worker")
    return Phase(set_up, reminder, overdue, failures)


async def bare_storm(system: DevSystem, args: Args) -> Phase:
    settings, client = system.bare_settings(), system.client
    n, queue = args.cases, settings.temporal_task_queue
    system.start_worker("bare", settings, WORKER, "--bare")
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
        reminder = await storm("reminder", remind_at, n, {"visibility": reminded})
        overdue_shown = visibility_count(client, f"{ours} AND Overdue = true")
        overdue = await storm("overdue", due, n, {"visibility": overdue_shown})
        failures = failed_attempts(settings)
    finally:
        system.stop("bare")
    return Phase(set_up, reminder, overdue, failures)


@dataclass
class Args:
    cases: int
    lead: float
    gap: float
    keep: bool = False


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
        print(f"  ratio bare / xueji: {ratio(theirs.total, ours.total)}")
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
    async with dev_system("storm", args.keep) as system:
        xueji = await xueji_storm(system, args)
        bare = await bare_storm(system, args)
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
