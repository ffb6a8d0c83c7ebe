"""A staff action on the step the store shows is never refused because the workflow's history
has not caught up with the store: a worker killed between the store's record and the end of
its workflow task leaves the store a step ahead until another worker replays the task. The
API waits for that replay within a bound and then acts, or answers 503 with Retry-After.

The store matters little here (the lag is between the worker and the history), so one store
kind: SQLite."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.store import StoreActivities
from api import workflow_calls
from api.main import wall_clock
from core.temporal import connect
from domain.process import SlipKind, Stage
from domain.records import CaseRecord, SlipRecord, SlipState
from store.db import engine_for
from store.sealing import Sealer
from tests.support.demo import CHANG_AN, CITY, QIAO_XI
from tests.support.http_support import System, register, running_system, visible
from tests.support.local import WHOLE_SYSTEM
from tests.support.stores import DEMO_TREE, FreshStore
from tests.support.waiting import eventually
from xueji.worker import build_worker

pytestmark = WHOLE_SYSTEM
ROOT = Path(__file__).resolve().parents[2]
SLIPS = {"addressees": [CHANG_AN, QIAO_XI], "instructions": "请核查两校登记情况"}


@pytest.fixture
def store_url(tmp_path: Path) -> Iterator[str]:
    store = FreshStore("sqlite", tmp_path)
    try:
        yield store.make(DEMO_TREE)
    finally:
        store.drop()


def dying_worker(
    system: System, log: Path, die_at: Stage = Stage.VERIFY_ISSUE
) -> subprocess.Popen[bytes]:
    """The real worker, killed by itself right after recording a case at `die_at`."""
    settings = system.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env.update(
        XUEJI_TEMPORAL_ADDRESS=settings.temporal_address,
        XUEJI_TEMPORAL_TASK_QUEUE=settings.temporal_task_queue,
        XUEJI_DATA_DIR=str(settings.data_dir),
        XUEJI_TEST_DIE_AT=die_at.value,
        DATABASE_URL=settings.store_url,
    )
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.dying_worker"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def test_an_action_on_the_step_shown_waits_for_the_replay_then_acts(
    store_url: str,
    tmp_path: Path,
    dev_server: WorkflowEnvironment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with running_system(
        store_url, tmp_path, dev_server, wall_clock, with_worker=False
    ) as system:
        log = tmp_path / "worker.log"
        worker = dying_worker(system, log)
        case_id = (await register(system))["id"]

        async def died() -> bool:
            return worker.poll() is not None

        await eventually(died, timeout=30, failure=lambda: log.read_text())
        assert worker.returncode == -9
        # The store shows the step the history does not hold yet.
        assert (await visible(system, "sjz_handler", case_id))["stage"] == "verify_issue"
        path = f"/api/complaints/{case_id}/verification"

        # Until the lost task times out (10 s), a new worker answers from the history alone:
        # the action waits, and past its bound is answered 503 with Retry-After.
        async with build_worker(await connect(system.settings), system.settings):
            monkeypatch.setattr(workflow_calls, "CATCH_UP_SECONDS", 1.0)
            answer = await system.post("sjz_handler", path, SLIPS)
            assert answer.status_code == 503, answer.text
            assert answer.json()["detail"] == workflow_calls.CATCHING_UP
            assert answer.headers["Retry-After"] == "10"
            monkeypatch.undo()

            # Within the bound: done once the replay has caught up, not refused for the step
            # before (受理) or for the unit that held the case before routing.
            answer = await system.post("sjz_handler", path, SLIPS)
            assert answer.status_code == 200, answer.text
            assert answer.json()["stage"] == "verification"
            assert [slip["addressee"] for slip in answer.json()["slips"]] == [CHANG_AN, QIAO_XI]


def record_as_the_worker_would(system: System, record: CaseRecord) -> None:
    settings = system.settings
    engine = engine_for(settings)
    try:
        store = StoreActivities(engine, Sealer(settings.store_keys), settings.lookup_key_bytes)
        asyncio.run(ActivityEnvironment().run(store.record_case, record))
    finally:
        engine.dispose()


async def test_slips_recorded_before_the_worker_died_are_returned_after_the_replay(
    store_url: str,
    tmp_path: Path,
    dev_server: WorkflowEnvironment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker dies right after the store records the slips issued (下发核查单), before
    the task that issued them completes. The issue is not lost (its Update was accepted, and
    every slip's workflow started, before that record), and a slip shown to its addressee is
    returned once a worker has replayed the task. A slip the store shows whose workflow has
    not started is waited for within the bound, then answered 503, never refused as done."""
    async with running_system(
        store_url, tmp_path, dev_server, wall_clock, with_worker=False
    ) as system:
        log = tmp_path / "worker.log"
        worker = dying_worker(system, log, die_at=Stage.VERIFICATION)
        case_id = (await register(system))["id"]

        async def routed() -> bool:  # the worker process starts first
            return (await system.get("sjz_handler", f"/api/complaints/{case_id}")).is_success

        await eventually(routed, timeout=30, failure=lambda: log.read_text())
        path = f"/api/complaints/{case_id}/verification"
        issuing = asyncio.create_task(system.post("sjz_handler", path, SLIPS))

        async def died() -> bool:
            return worker.poll() is not None

        await eventually(died, timeout=30, failure=lambda: log.read_text())
        assert worker.returncode == -9
        shown = (await system.get("sjz_handler", f"/api/complaints/{case_id}")).json()
        assert shown["stage"] == "verification"  # the slips as far as their workflows got

        async with build_worker(await connect(system.settings), system.settings):

            async def received() -> bool:
                slips = (await system.get("ca_handler", "/api/slips")).json()
                return [(s["complaint_id"], s["slip_id"]) for s in slips] == [(case_id, "V1")]

            await eventually(received, timeout=30)
            slip_path = f"/api/complaints/{case_id}/slips"
            answer = await system.post("ca_handler", f"{slip_path}/V1/return", {"response": "属实"})
            assert answer.status_code == 200, answer.text
            issued = await issuing
            assert issued.status_code == 200, issued.text
            assert [slip["addressee"] for slip in issued.json()["slips"]] == [CHANG_AN, QIAO_XI]

            # The store showing a slip whose workflow has not started (written as a record
            # would be): the return waits for it, and past the bound answers 503.
            sent_at = datetime.now(UTC)
            slip = SlipState(
                slip_id="V3",
                kind=SlipKind.VERIFICATION,
                round=1,
                issuer=CITY,
                addressee=CHANG_AN,
                route=[CITY, CHANG_AN],
                sent_at=sent_at,
            )
            record = CaseRecord(complaint_id=case_id, slips=[SlipRecord(slip=slip)])
            await asyncio.to_thread(record_as_the_worker_would, system, record)
            monkeypatch.setattr(workflow_calls, "CATCH_UP_SECONDS", 1.0)
            answer = await system.post("ca_handler", f"{slip_path}/V3/return", {"response": "属实"})
            assert answer.status_code == 503, answer.text
            assert answer.json()["detail"] == workflow_calls.SLIP_CATCHING_UP
            assert answer.headers["Retry-After"] == "10"
