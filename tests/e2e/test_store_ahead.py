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
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from api import case_service
from api.main import wall_clock
from core.temporal import connect
from domain.process import Stage
from tests.support.demo import CHANG_AN, QIAO_XI
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
            monkeypatch.setattr(case_service, "CATCH_UP_SECONDS", 1.0)
            answer = await system.post("sjz_handler", path, SLIPS)
            assert answer.status_code == 503, answer.text
            assert answer.json()["detail"] == case_service.CATCHING_UP
            assert answer.headers["Retry-After"] == "10"
            monkeypatch.undo()

            # Within the bound: done once the replay has caught up, not refused for the step
            # before (受理) or for the unit that held the case before routing.
            answer = await system.post("sjz_handler", path, SLIPS)
            assert answer.status_code == 200, answer.text
            assert answer.json()["stage"] == "verification"
            assert [slip["addressee"] for slip in answer.json()["slips"]] == [CHANG_AN, QIAO_XI]


async def test_a_slip_shown_is_returned_after_the_replay_and_its_issue_is_not_lost(
    store_url: str, tmp_path: Path, dev_server: WorkflowEnvironment
) -> None:
    """The worker dies right after the store records the slips issued (核查单), before the
    task that issued them completes: the issue and the slips survive, and a slip shown to its
    addressee is returned once a worker has replayed the task, never refused as done."""
    async with running_system(
        store_url, tmp_path, dev_server, wall_clock, with_worker=False
    ) as system:
        log = tmp_path / "worker.log"
        worker = dying_worker(system, log, die_at=Stage.VERIFICATION)
        case_id = (await register(system))["id"]
        await visible(system, "sjz_handler", case_id)
        path = f"/api/complaints/{case_id}/verification"
        issuing = asyncio.create_task(system.post("sjz_handler", path, SLIPS))

        async def died() -> bool:
            return worker.poll() is not None

        await eventually(died, timeout=30, failure=lambda: log.read_text())
        assert worker.returncode == -9
        shown = await system.get("sjz_handler", f"/api/complaints/{case_id}")
        assert shown.json()["stage"] == "verification"

        async with build_worker(await connect(system.settings), system.settings):
            path = f"/api/complaints/{case_id}/slips/V1/return"
            answer = await system.post("ca_handler", path, {"response": "已核查"})
            assert answer.status_code == 200, answer.text
            issued = await issuing
            assert issued.status_code == 200, issued.text
            assert [slip["addressee"] for slip in issued.json()["slips"]] == [CHANG_AN, QIAO_XI]
