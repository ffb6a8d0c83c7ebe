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
2. the baseline in the same run: N bare workflows (bare_workflows.BareRetime, a worker in the
   bench's own process) waiting on a timer, signalled `calendar_changed` by the bench, 20
   signals in flight as the re-timing's activity sends them; each runs one local activity,
   upserts its new due time and arms its timer again. Measured from the first signal until
   visibility counts N.

Prints both times and the ratio bare / xueji (goal >= 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bare_workflows import BareRetime, bare_alarm
from sqlmodel import Session, func, select
from storm import (
    AT_ONCE,
    POLL,
    SCHOOLS,
    bench_settings,
    free_port,
    in_parallel,
    until,
    visibility_count,
)
from temporalio.client import Client
from temporalio.worker import Worker

from api.calendar_years import retiming_status, start_retiming
from core.settings import Settings
from core.temporal import connect_with_retry
from domain.ids import CROCKFORD, new_tracking_no
from domain.process import Channel
from domain.records import Complainant
from domain.workdays import SHANGHAI
from domain.year_files import parse_year_document
from store.calendar import save_calendar_year
from store.db import engine_for, session_scope
from store.migrate import upgrade
from store.models.cases import CaseClock
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import ComplaintInput
from xueji.dev import Supervisor, child_env, load_demo_tree_if_empty, temporal_command

RATIO_GOAL = 0.5
PROVINCE = "130000"
RECEIVED = datetime(2031, 3, 3, 10, 0, tzinfo=SHANGHAI)  # Monday: three working days to Thursday
DUE = datetime(2031, 3, 6, 23, 59, 59, tzinfo=SHANGHAI)
MOVED = datetime(2031, 3, 7, 23, 59, 59, tzinfo=SHANGHAI)  # with Tuesday 4 March off
YEAR = {"year": 2031, "holidays": ["2031-03-04"], "workdays": []}


def complaint(number: int) -> ComplaintInput:
    random_part = "".join(secrets.choice(CROCKFORD) for _ in range(6))
    return ComplaintInput(
        complaint_id=f"retime-{number:06d}-{uuid.uuid4().hex[:6]}",
        tracking_no=new_tracking_no(RECEIVED.date(), random_part),
        received_at=RECEIVED,
        receiving_unit=PROVINCE,
        channel=Channel.WEB,
        school_codes=SCHOOLS,
        complainant=Complainant(name="测试", phone="13800000000"),
        content="学籍被错误转出，请核实",
    )


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
        values = list(self.seconds.values())
        return None if None in values else max(v for v in values if v is not None)


async def watch(began: float, wanted: int, checks: dict, patience: float) -> dict:
    done: dict[str, float | None] = dict.fromkeys(checks)
    while any(v is None for v in done.values()) and time.monotonic() - began < patience:
        for label, check in checks.items():
            if done[label] is None and await check() >= wanted:
                done[label] = time.monotonic() - began
        await asyncio.sleep(POLL)
    return done


async def xueji_retime(
    supervisor: Supervisor, client: Client, settings: Settings, folder: Path, n: int
) -> Result:
    queue = settings.temporal_task_queue
    worker = [sys.executable, "-m", "xueji.worker"]
    supervisor.start("worker", worker, child_env(settings), log=folder / "worker.log")
    try:
        began = time.monotonic()

        async def start(number: int) -> None:
            case = complaint(number)
            await client.start_workflow(
                ComplaintWorkflow.run, case, id=case.complaint_id, task_queue=queue
            )

        await in_parallel(n, start)

        async def waiting() -> int:
            return open_clocks_due(settings, DUE)

        await until(waiting, n, 60 + 0.5 * n, "cases waiting at their first step")
        running = visibility_count(
            client,
            f'WorkflowType = "ComplaintWorkflow" AND TaskQueue = "{queue}" AND {stage_due(DUE)}',
        )
        await until(running, n, 60, "cases listed in visibility")
        set_up = time.monotonic() - began

        engine = engine_for(settings)
        with session_scope(engine) as session:
            save_calendar_year(
                session, parse_year_document(YEAR), loaded_by="bench", now=datetime.now(UTC)
            )
        engine.dispose()
        began = time.monotonic()
        await start_retiming(client, queue, datetime.now(UTC))

        async def moved() -> int:
            return open_clocks_due(settings, MOVED)

        shown = visibility_count(
            client,
            f'WorkflowType = "ComplaintWorkflow" AND TaskQueue = "{queue}" AND {stage_due(MOVED)}',
        )

        async def finished() -> int:
            status = await retiming_status(client, queue)
            return n if status is not None and status.state == "done" else 0

        checks = {"store": moved, "visibility": shown, "RetimeWorkflow done": finished}
        seconds = await watch(began, n, checks, 120 + n)
    finally:
        supervisor.stop("worker")
    return Result(set_up, seconds)


async def bare_retime(
    supervisor: Supervisor, client: Client, settings: Settings, folder: Path, n: int
) -> Result:
    queue = settings.temporal_task_queue
    # In this process: the same worker as a process of its own (storm_worker.py --bare) was
    # never told the signals here, which is not understood yet.
    async with Worker(client, task_queue=queue, workflows=[BareRetime], activities=[bare_alarm]):
        began = time.monotonic()
        ids = [f"bare-retime-{number:06d}" for number in range(n)]

        async def start(number: int) -> None:
            await client.start_workflow(BareRetime.run, DUE, id=ids[number], task_queue=queue)

        await in_parallel(n, start)
        ours = f'WorkflowType = "BareRetime" AND TaskQueue = "{queue}"'
        listed = visibility_count(client, f'{ours} AND ExecutionStatus = "Running"')
        await until(listed, n, 60 + 0.5 * n, "bare workflows running")
        set_up = time.monotonic() - began

        began = time.monotonic()
        gate = asyncio.Semaphore(AT_ONCE)

        async def tell(workflow_id: str) -> None:
            async with gate:
                await client.get_workflow_handle(workflow_id).signal("calendar_changed")

        fan_out = asyncio.gather(*(tell(workflow_id) for workflow_id in ids))
        shown = visibility_count(client, f"{ours} AND {stage_due(MOVED)}")
        seconds = await watch(began, n, {"visibility": shown}, 120 + n)
        await fan_out
    return Result(set_up, seconds)


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


async def bench(n: int, keep: bool) -> None:
    folder = Path(tempfile.mkdtemp(prefix="xueji-retime-"))
    settings = bench_settings(folder / "data", f"retime-{uuid.uuid4().hex[:8]}")
    upgrade(settings.store_url)
    load_demo_tree_if_empty(settings)
    supervisor = Supervisor()
    try:
        command = temporal_command(settings)
        supervisor.start("temporal", command, child_env(settings), log=folder / "temporal.log")
        client = await connect_with_retry(settings)
        xueji = await xueji_retime(supervisor, client, settings, folder, n)
        bare_settings = settings.model_copy(
            update={
                "temporal_task_queue": f"bare-{uuid.uuid4().hex[:8]}",
                "worker_metrics_port": free_port(),
            }
        )
        bare = await bare_retime(supervisor, client, bare_settings, folder, n)
    finally:
        supervisor.stop_all()
        if keep:
            print(f"data, store and logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"dev server with its SQLite file; {n} cases and {n} bare workflows, own worker each")
    print(f"set-up: xueji {xueji.set_up:.1f} s, bare {bare.set_up:.1f} s (not measured below)")
    parts = ", ".join(f"{label} {seconds(value)}" for label, value in xueji.seconds.items())
    print(f"xueji: every deadline re-computed and re-armed after {seconds(xueji.total)} ({parts})")
    print(f"bare signal fan-out: {seconds(bare.total)} (signal, local activity, upsert, timer)")
    if xueji.total and bare.total is not None:
        ratio = bare.total / xueji.total
        verdict = "met" if ratio >= RATIO_GOAL else "NOT MET"
        print(f"ratio bare / xueji: {ratio:.2f} (goal >= {RATIO_GOAL}: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description="Time re-timing every running case.")
    parser.add_argument("--cases", type=int, default=2000, help="cases (and bare workflows)")
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    args = parser.parse_args()
    asyncio.run(bench(args.cases, args.keep))


if __name__ == "__main__":
    main()
