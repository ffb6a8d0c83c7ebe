"""The real worker process (`python worker.py`) on the real dev server, in real time.

One complaint goes from registration to closing through every step; the store holds the whole
case with the complainant's data sealed, and the worker stops cleanly on SIGTERM without
having logged any personal data.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from domain.process import SlipKind, Stage
from domain.workdays import SHANGHAI
from store import cases
from store.db import engine_for, session_scope
from store.sealing import Sealer
from tests.support.demo import CHANG_AN, CHANG_AN_SCHOOL, CITY, PROVINCE, QIAO_XI
from tests.support.local import WHOLE_SYSTEM, WORKER_SCRIPT
from tests.support.process_support import (
    CONTENT,
    ID_CARD,
    NAME,
    PHONE,
    following_up,
    polled,
    prepare_store,
    start_case,
)
from tests.support.waiting import eventually
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import (
    CaseView,
    ConfirmResult,
    DecideOpinion,
    InformComplainant,
    IssueSlips,
)
from workflows.messages.slip import ReturnSlip
from workflows.slip import SlipWorkflow

pytestmark = WHOLE_SYSTEM

INSTRUCTIONS = "请核查该生学籍被转出的经过"
OPINION = "责成学校恢复该生学籍"
FINDINGS = "经核查，转出手续不全"
RESULT = "学校已恢复该生学籍"
INFORMED = "您孩子的学籍已恢复，请知悉"
# Nothing the complainant or the staff wrote may reach the worker's log.
PERSONAL = (NAME, PHONE, ID_CARD, CONTENT, INSTRUCTIONS, OPINION, FINDINGS, RESULT, INFORMED)

WAIT_SECONDS = 20.0  # bound on any one wait below; a healthy run needs a fraction of it


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the worker exited:\n{self.output()}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A migrated store with the demo tree, and a task queue of this test's own."""
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url="",  # the SQLite file in data_dir, whatever DATABASE_URL says
        temporal_task_queue=f"e2e-{uuid.uuid4().hex[:8]}",
    )
    prepare_store(settings)
    return settings


def worker_env(settings: Settings, address: str) -> dict[str, str]:
    """The environment `python worker.py` is configured by, and nothing else of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_")}
    env.update(
        XUEJI_TEMPORAL_ADDRESS=address,
        XUEJI_TEMPORAL_TASK_QUEUE=settings.temporal_task_queue,
        XUEJI_DATA_DIR=str(settings.data_dir),
        DATABASE_URL=settings.store_url,
    )
    return env


@pytest.fixture
async def worker(
    settings: Settings, dev_server: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[WorkerProcess]:
    """`python worker.py` serving the test's task queue (killed if the test leaves it running)."""
    log = tmp_path / "worker.log"
    address = dev_server.client.service_client.config.target_host
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, WORKER_SCRIPT],
            env=worker_env(settings, address),
            cwd=tmp_path,  # no .env file of the checkout applies
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = WorkerProcess(process, log)
    try:
        await polling(dev_server.client, settings.temporal_task_queue, running)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def polling(client: Client, task_queue: str, worker: WorkerProcess) -> None:
    """Wait until the worker polls its task queue for workflow tasks."""

    async def alive_and_polling() -> bool:
        worker.assert_alive()
        return await polled(client, task_queue)

    await eventually(
        alive_and_polling,
        timeout=WAIT_SECONDS,
        interval=0.1,
        failure=lambda: f"the worker never polled {task_queue}:\n{worker.output()}",
    )


async def reach(case: WorkflowHandle[Any, Any], stage: Stage, worker: WorkerProcess) -> CaseView:
    """The case's state once it has reached `stage` (a slip's return moves it on just after)."""
    seen: list[Stage] = []

    async def there() -> CaseView | None:
        worker.assert_alive()
        try:
            view: CaseView = await case.query(ComplaintWorkflow.state)
        except RPCError:  # the first workflow task has not completed yet
            return None
        seen.append(view.stage)
        return view if view.stage is stage else None

    return await eventually(
        there,
        timeout=WAIT_SECONDS,
        failure=lambda: f"case stayed at {seen[-1:]}, expected {stage}:\n{worker.output()}",
    )


async def return_slip(client: Client, case_id: str, slip_id: str, unit: str, text: str) -> None:
    slip = client.get_workflow_handle(f"{case_id}.{slip_id}")
    await slip.execute_update(
        SlipWorkflow.return_slip, ReturnSlip(actor_unit=unit, slip_id=slip_id, response=text)
    )


@dataclass
class Stored:
    case: Any
    timeline: list[Any]
    slips: list[Any]
    registration: Any


def stored(settings: Settings, case_id: str) -> Stored:
    """What the store holds of the case, read the way the API reads it."""
    engine = engine_for(settings)
    try:
        with session_scope(engine) as session:
            found = Stored(
                case=cases.get_case(session, case_id),
                timeline=cases.timeline(session, case_id),
                slips=cases.slips(session, case_id),
                registration=cases.registration(session, case_id, Sealer(settings.store_keys)),
            )
            for row in [found.case, *found.timeline, *found.slips]:
                session.expunge(row)
            return found
    finally:
        engine.dispose()


async def test_complaint_closed_by_the_worker_process(
    dev_server: WorkflowEnvironment, settings: Settings, worker: WorkerProcess
) -> None:
    client = dev_server.client
    case = await start_case(client, settings, received_at=datetime.now(SHANGHAI))

    view = await reach(case, Stage.VERIFY_ISSUE, worker)
    assert (view.handling_unit, view.province, view.route) == (CITY, PROVINCE, [PROVINCE, CITY])

    view = await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=CITY, addressees=[CHANG_AN, QIAO_XI], instructions=INSTRUCTIONS),
    )
    assert view.stage is Stage.VERIFICATION
    assert [(s.slip_id, s.addressee) for s in view.slips] == [("V1", CHANG_AN), ("V2", QIAO_XI)]
    await return_slip(client, case.id, "V1", CHANG_AN, FINDINGS)
    await return_slip(client, case.id, "V2", QIAO_XI, FINDINGS)
    await reach(case, Stage.OPINION, worker)

    view = await case.execute_update(
        ComplaintWorkflow.decide_opinion,
        DecideOpinion(actor_unit=CITY, opinion=OPINION, executing_units=[CHANG_AN_SCHOOL]),
    )
    assert view.stage is Stage.EXECUTION
    await return_slip(client, case.id, "S1", CHANG_AN_SCHOOL, RESULT)
    await reach(case, Stage.CONFIRMATION, worker)

    view = await case.execute_update(
        ComplaintWorkflow.confirm_result, ConfirmResult(actor_unit=CITY)
    )
    assert view.stage is Stage.INFORMING
    await case.execute_update(
        ComplaintWorkflow.inform_complainant, InformComplainant(actor_unit=CITY, message=INFORMED)
    )

    # Closed: the workflow stays open for the follow-up and the review period (30 days).
    result: CaseView = await following_up(case)
    assert (result.stage, result.outcome, result.handling_unit) == (Stage.CLOSED, "closed", CITY)
    assert {(s.slip_id, s.kind, s.addressee, s.status) for s in result.slips} == {
        ("V1", SlipKind.VERIFICATION, CHANG_AN, "returned"),
        ("V2", SlipKind.VERIFICATION, QIAO_XI, "returned"),
        ("S1", SlipKind.SUPERVISION, CHANG_AN_SCHOOL, "returned"),
    }
    assert [c.key for c in result.clocks] == [
        "verify_issue-1",
        "opinion-1",
        "confirmation-1",
        "informing-1",
        "follow_up-1",
    ]
    assert all(c.status == "met" and not c.overdue for c in result.clocks[:-1])
    assert not result.overdue

    # The read model the staff lists come from.
    row = stored(settings, case.id)
    assert (row.case.stage, row.case.outcome, row.case.handling_unit, row.case.province) == (
        "closed",
        "closed",
        CITY,
        PROVINCE,
    )
    assert (row.case.tracking_no, row.case.phone_masked) == (result.tracking_no, "138****5678")
    assert row.case.sealed is not None
    for secret in (NAME, PHONE, ID_CARD, CONTENT):
        assert secret.encode() not in row.case.sealed
    assert row.registration.complainant.phone == PHONE  # sealed, not lost
    assert {(s.slip_id, s.kind, s.addressee, s.status) for s in row.slips} == {
        ("V1", "verification", CHANG_AN, "returned"),
        ("V2", "verification", QIAO_XI, "returned"),
        ("S1", "supervision", CHANG_AN_SCHOOL, "returned"),
    }
    kinds = [entry.kind for entry in row.timeline]
    assert (kinds[0], kinds[-2:]) == ("registered", ["closed", "follow_up_due"])
    assert kinds.count("slip_answered") == 3
    assert not [e.text for e in row.timeline if any(s in e.text for s in PERSONAL)]

    # SIGTERM: the worker finishes what it holds and exits 0.
    worker.process.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(worker.process.wait, WAIT_SECONDS)
    output = worker.output()
    assert code == 0, output
    assert f"worker serving task queue {settings.temporal_task_queue}" in output
    assert "worker stopped" in output
    assert [secret for secret in PERSONAL if secret in output] == []
