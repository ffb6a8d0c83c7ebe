"""Benchmark: re-timing every running case after a calendar year is loaded.

    python bench/retime.py [--cases N]

Starts the dev server as `make run` does (its SQLite file, xueji.dev.temporal_command) on a
temporary data folder and store with the demo tree, then:

1. the real worker as its own process (`python -m xueji.worker`) and N complaints received on
   Monday 3 March 2031 (a year the calendar only estimates), each waiting at 验证下发 with its
   first deadline on Thursday 6 March 23:59:59. Then the year 2031 is loaded with Tuesday 4
   March a holiday (store.calendar.save_calendar_year) and the re-timing started as the
   calendar API starts it (api.calendar_years.start_retiming: the durable RetimeWorkflow lists
   the running cases page by page and signals each `calendar_changed`). Measured from the
   start until every case's open clock in the store is due on Friday 7 March 23:59:59, every
   case's StageDue in visibility says so, and the RetimeWorkflow is done;
2. the baseline in the same run: N bare workflows (bare_workflows.BareRetime, run by their own
   worker process as xueji's are: storm_worker.py --bare) waiting on a timer, their due time
   shown as StageDue, signalled `calendar_changed` by the bench, 20 signals in flight as the
   re-timing's activity sends them; each runs one local activity, upserts its new due time
   and arms its timer again. Measured from the first signal until visibility counts N.

Prints both times and the ratio bare / xueji (goal >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bare_workflows import BareRetime
from sqlmodel import Session, func, select
from system import (
    AT_ONCE,
    WORKER,
    DevSystem,
    complaint,
    dev_system,
    in_parallel,
    ratio,
    seconds,
    slowest,
    until,
    visibility_count,
    watch,
)
from temporalio.client import WorkflowExecutionStatus

from api.calendar_years import retime_id, start_retiming
from core.settings import Settings
from domain.workdays import SHANGHAI
from domain.year_files import parse_year_document
from store.calendar import save_calendar_year
from store.db import engine_for, session_scope
from store.models.cases import CaseClock
from workflows.complaint import ComplaintWorkflow

RECEIVED = datetime(2031, 3, 3, 10, 0, tzinfo=SHANGHAI)  # Monday: three working days to Thursday
DUE = datetime(2031, 3, 6, 23, 59, 59, tzinfo=SHANGHAI)
MOVED = datetime(2031, 3, 7, 23, 59, 59, tzinfo=SHANGHAI)  # with Tuesday 4 March off
YEAR = {"year": 2031, "holidays": ["2031-03-04"], "workdays": []}


def open_clocks_due(settings: Settings, due: datetime) -> int:
    engine = engine_for(settings)
    try:
        with Session(engine) as session:
            query = select(func.count()).select_from(CaseClock)
            query = query.where(CaseClock.status == "open", CaseClock.due == due)
            return int(session.exec(query).one())
    finally:
        engine.dispose()


def stage_due(due: datetime) -> str:
    """The visibility filter of StageDue at `due` (to the second)."""

    def moment(at: datetime) -> str:
        return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return f'StageDue >= "{moment(due)}" AND StageDue < "{moment(due + timedelta(seconds=1))}"'


@dataclass
class Result:
    set_up: float
    seconds: dict[str, float | None]

    @property
    def total(self) -> float | None:
        return slowest(self.seconds)


async def xueji_retime(system: DevSystem, n: int) -> Result:
    settings, client = system.settings, system.client
    queue = settings.temporal_task_queue
    system.start_worker("worker", settings, "-m", "xueji.worker")
    try:
        began = datetime.now(UTC)

        async def start(number: int) -> None:
            case = complaint("retime", number, RECEIVED)
            await client.start_workflow(
                ComplaintWorkflow.run, case, id=case.complaint_id, task_queue=queue
            )

        await in_parallel(n, start)

        async def waiting() -> int:
            return open_clocks_due(settings, DUE)

        await until(waiting, n, 60 + 0.5 * n, "cases waiting at their first step")
        ours = f'WorkflowType = "ComplaintWorkflow" AND TaskQueue = "{queue}"'
        running = visibility_count(client, f"{ours} AND {stage_due(DUE)}")
        await until(running, n, 60, "cases listed in visibility")
        set_up = (datetime.now(UTC) - began).total_seconds()

        engine = engine_for(settings)
        with session_scope(engine) as session:
            save_calendar_year(
                session, parse_year_document(YEAR), loaded_by="bench", now=datetime.now(UTC)
            )
        engine.dispose()
        began = datetime.now(UTC)
        await start_retiming(client, queue, began)

        async def moved() -> int:
            return open_clocks_due(settings, MOVED)

        async def finished() -> int:  # described by the server: a busy worker answers no query
            described = await client.get_workflow_handle(retime_id(queue)).describe()
            return n if described.status == WorkflowExecutionStatus.COMPLETED else 0

        shown = visibility_count(client, f"{ours} AND {stage_due(MOVED)}")
        checks = {"store": moved, "visibility": shown, "RetimeWorkflow done": finished}
        done = await watch(began, n, checks, 120 + n)
    finally:
        system.stop("worker")
    return Result(set_up, done)


async def bare_retime(system: DevSystem, n: int) -> Result:
    settings, client = system.bare_settings(), system.client
    queue = settings.temporal_task_queue
    system.start_worker("bare", settings, WORKER, "--bare")
    try:
        began = datetime.now(UTC)
        ids = [f"bare-retime-{number:06d}" for number in range(n)]

        async def start(number: int) -> None:
            await client.start_workflow(BareRetime.run, DUE, id=ids[number], task_queue=queue)

        await in_parallel(n, start)
        ours = f'WorkflowType = "BareRetime" AND TaskQueue = "{queue}"'
        armed = visibility_count(client, f"{ours} AND {stage_due(DUE)}")
        await until(armed, n, 60 + 0.5 * n, "bare workflows with their timer armed")
        set_up = (datetime.now(UTC) - began).total_seconds()

        began = datetime.now(UTC)
        gate = asyncio.Semaphore(AT_ONCE)

        async def tell(workflow_id: str) -> None:
            async with gate:
                await client.get_workflow_handle(workflow_id).signal(BareRetime.calendar_changed)

        fan_out = asyncio.gather(*(tell(workflow_id) for workflow_id in ids))
        shown = visibility_count(client, f"{ours} AND {stage_due(MOVED)}")
        done = await watch(began, n, {"visibility": shown}, 120 + n)
        await fan_out
    finally:
        system.stop("bare")
    return Result(set_up, done)


async def bench(n: int, keep: bool) -> None:
    print(f"dev server with its SQLite file; {n} cases and {n} bare workflows, each its own worker")
    async with dev_system("retime", keep) as system:
        xueji = await xueji_retime(system, n)
        parts = ", ".join(f"{label} {seconds(value)}" for label, value in xueji.seconds.items())
        print(f"xueji (set-up {xueji.set_up:.1f} s, not measured): every deadline re-computed and")
        print(f"  re-armed after {seconds(xueji.total)} ({parts})", flush=True)
        bare = await bare_retime(system, n)
        print(f"bare (set-up {bare.set_up:.1f} s): signal fan-out, local activity, upsert, timer:")
        print(f"  {seconds(bare.total)}")
    print(f"ratio bare / xueji: {ratio(bare.total, xueji.total)}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Time re-timing every running case.")
    parser.add_argument("--cases", type=int, default=2000, help="cases (and bare workflows)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args()
    asyncio.run(bench(args.cases, args.keep))


if __name__ == "__main__":
    main()
