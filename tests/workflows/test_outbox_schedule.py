"""Notices leave with no operator command: a Temporal Schedule (xueji/schedules.py) starts a
delivery run of the outbox every minute on the dev server, each notice is sent once however
often the runs come, and the schedule is created once and kept up to date (paused stays paused).
"""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session
from temporalio.client import (
    ScheduleActionExecutionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
)
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from core.temporal import connect
from store.cases import apply_record, outbox
from store.db import make_engine, session_scope
from tests.activities.test_notify import CITY, PARENT, PROVINCE, SEALER, T0, Mailbox, _case
from tests.support.local import free_port
from tests.support.stores import DEMO_TREE, FreshStore
from tests.support.waiting import eventually
from xueji.schedules import ensure_schedules
from xueji.worker import build_worker


@pytest.fixture
def store_url(tmp_path: Path) -> Iterator[str]:
    """One store kind: what is tested here is the schedule; the outbox's delivery is tested on
    both stores in tests/activities/test_notify.py."""
    store = FreshStore("sqlite", tmp_path)
    try:
        yield store.make(DEMO_TREE)
    finally:
        store.drop()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler, port = Mailbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


async def test_the_schedule_sends_each_notice_once_with_no_command(
    store_url: str,
    tmp_path: Path,
    dev_server: WorkflowEnvironment,
    mailbox: tuple[Mailbox, int],
) -> None:
    handler, port = mailbox
    settings = Settings(
        data_dir=tmp_path,
        database_url=store_url,
        temporal_address=dev_server.client.service_client.config.target_host,
        temporal_task_queue=f"outbox-{uuid.uuid4().hex[:8]}",
        smtp_host="127.0.0.1",
        smtp_port=port,
    )
    engine = make_engine(store_url)
    with session_scope(engine) as session:
        apply_record(session, _case(), SEALER, T0, lookup_key=settings.lookup_key_bytes)
    client = await connect(settings)

    made = {each.schedule_id: each.created for each in await ensure_schedules(client, settings)}
    queue = settings.temporal_task_queue
    assert made == {f"{queue}-outbox": True, f"{queue}-oversight-digest": True}
    handle = client.get_schedule_handle(f"{queue}-outbox")
    try:
        # A second setup run (every `make run`, every compose start) keeps what ops did.
        await handle.pause()
        again = await ensure_schedules(client, settings)
        assert [each.created for each in again] == [False, False]
        described = await handle.describe()
        assert described.schedule.state.paused
        assert described.schedule.spec.intervals == [
            ScheduleIntervalSpec(every=timedelta(minutes=1))
        ]
        assert described.schedule.policy.overlap is ScheduleOverlapPolicy.SKIP
        await handle.unpause()

        async with build_worker(client, settings):
            for run in (1, 2):  # the second run finds nothing left to send
                await handle.trigger()

                async def finished(run: int = run) -> bool:
                    info = (await handle.describe()).info
                    if len(info.recent_actions) < run:
                        return False
                    started = info.recent_actions[run - 1].action
                    assert isinstance(started, ScheduleActionExecutionStartWorkflow)
                    workflow = client.get_workflow_handle(
                        started.workflow_id, run_id=started.first_execution_run_id
                    )
                    return (await workflow.describe()).close_time is not None

                await eventually(finished, timeout=30, failure="the delivery run never finished")
    finally:
        for schedule_id in made:
            await client.get_schedule_handle(schedule_id).delete()

    assert handler.by_recipient().keys() == {CITY, PROVINCE, PARENT}
    assert len(handler.received) == 3  # each once, though two runs came
    with Session(engine) as session:
        rows = outbox(session, "case-1")
    assert {row.recipient_unit: row.sent_at is not None for row in rows} == {
        "130100": True,
        "130000": True,
        "2130100001": False,  # a school has no address: it reads its notices in the console
        "": True,
    }
    engine.dispose()
