"""What storm.py and retime.py share: a dev server as `make run` starts it (its SQLite file,
xueji.dev.temporal_command) on a temporary folder and store with the demo tree, the workers
as processes of their own, starting many workflows a few at a time, and polling the store and
visibility until a count is reached.

Not run itself.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text
from temporalio.client import Client

from core.settings import Settings
from core.temporal import connect_with_retry
from domain.ids import CROCKFORD, new_tracking_no
from domain.process import Channel
from domain.records import Complainant
from store.migrate import upgrade
from workflows.messages.complaint import ComplaintInput
from xueji.dev import Supervisor, child_env, load_demo_tree_if_empty, temporal_command

RATIO_GOAL = 0.5
HERE = Path(__file__).resolve().parent
WORKER = str(HERE / "storm_worker.py")  # the real worker; with --bare the baselines' worker
PROVINCE = "130000"  # received by the province about two schools of 石家庄: the city handles it
SCHOOLS = ["2130102001", "2130104001"]
POLL = 0.25  # seconds between two looks at the store and visibility
AT_ONCE = 20  # workflow starts (and the baselines' signals) in flight

Check = Callable[[], Awaitable[int]]


def free_port() -> int:
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


@dataclass
class DevSystem:
    """The dev server, the store and the supervisor of the bench's processes."""

    folder: Path
    settings: Settings
    supervisor: Supervisor
    client: Client

    def start_worker(
        self, name: str, settings: Settings, *args: str, env: dict[str, str] | None = None
    ) -> None:
        """A worker process (`python args...` with the settings' environment and `env`),
        logging to `name`.log; stopped by `stop(name)` or at the end."""
        command = [sys.executable, *args]
        environment = child_env(settings) | (env or {})
        self.supervisor.start(name, command, environment, log=self.folder / f"{name}.log")

    def stop(self, name: str) -> None:
        self.supervisor.stop(name)

    def bare_settings(self) -> Settings:
        """The baseline's own task queue and metrics port on the same server."""
        return self.settings.model_copy(
            update={
                "temporal_task_queue": f"bare-{uuid.uuid4().hex[:8]}",
                "worker_metrics_port": free_port(),
            }
        )


@asynccontextmanager
async def dev_system(name: str, keep: bool) -> AsyncIterator[DevSystem]:
    """A temporary folder with the store (demo tree) and the dev server started on it; every
    process started through the supervisor is stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix=f"xueji-{name}-"))
    settings = bench_settings(folder / "data", f"{name}-{uuid.uuid4().hex[:8]}")
    upgrade(settings.store_url)
    load_demo_tree_if_empty(settings)
    supervisor = Supervisor()
    try:
        command = temporal_command(settings)
        supervisor.start("temporal", command, child_env(settings), log=folder / "temporal.log")
        client = await connect_with_retry(settings)
        yield DevSystem(folder, settings, supervisor, client)
    finally:
        supervisor.stop_all()
        if keep:
            print(f"data, store and logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def complaint(prefix: str, number: int, received: datetime) -> ComplaintInput:
    """A complaint received by the province about two schools of 石家庄 (the city handles
    it): at 验证下发 after its first step, with one open clock, the city's."""
    random_part = "".join(secrets.choice(CROCKFORD) for _ in range(6))
    return ComplaintInput(
        complaint_id=f"{prefix}-{number:06d}-{uuid.uuid4().hex[:6]}",
        tracking_no=new_tracking_no(received.date(), random_part),
        received_at=received,
        receiving_unit=PROVINCE,
        channel=Channel.WEB,
        school_codes=SCHOOLS,
        complainant=Complainant(name="测试", phone="13800000000"),
        content="学籍被错误转出，请核实",
    )


async def in_parallel(count: int, start: Callable[[int], Awaitable[object]]) -> None:
    """start(0) ... start(count - 1), AT_ONCE at a time."""
    numbers = iter(range(count))

    async def lane() -> None:
        for number in numbers:
            await start(number)

    await asyncio.gather(*(lane() for _ in range(AT_ONCE)))


async def until(check: Check, wanted: int, timeout: float, what: str) -> None:
    """Wait until `check` counts `wanted`; stop the bench past `timeout` seconds."""
    ends = time.monotonic() + timeout
    while (found := await check()) < wanted:
        if time.monotonic() > ends:
            raise SystemExit(f"{what}: {found} of {wanted} after {timeout:.0f} s")
        await asyncio.sleep(0.5)


async def watch(
    instant: datetime, wanted: int, checks: dict[str, Check], patience: float
) -> dict[str, float | None]:
    """Wait for `instant`, then poll each check until it counts `wanted`: the seconds from
    the instant to each (None: not within `patience` seconds)."""
    await asyncio.sleep(max(0.0, (instant - datetime.now(UTC)).total_seconds()))
    done: dict[str, float | None] = dict.fromkeys(checks)
    while any(v is None for v in done.values()):
        for label, check in checks.items():
            if done[label] is None and await check() >= wanted:
                done[label] = (datetime.now(UTC) - instant).total_seconds()
        if (datetime.now(UTC) - instant).total_seconds() > patience:
            break
        await asyncio.sleep(POLL)
    return done


def slowest(seconds: dict[str, float | None]) -> float | None:
    """The time until every check counted N (None if one never did)."""
    values = list(seconds.values())
    return None if None in values else max(v for v in values if v is not None)


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


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def ratio(bare: float | None, xueji: float | None) -> str:
    """bare / xueji with the goal's verdict."""
    if bare is None or not xueji:
        return "—"
    value = bare / xueji
    verdict = "met" if value >= RATIO_GOAL else "NOT MET"
    return f"{value:.2f} (goal >= {RATIO_GOAL}: {verdict})"
