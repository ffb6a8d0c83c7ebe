"""The worker's sandbox (xueji/sandbox.py): workflow code is still guarded, and each payload is
still bound to the workflow it belongs to, though the sandbox's per-payload glue is leaner."""

import uuid
from typing import Any

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from core.codec import bound_workflow_id
from domain.process import Stage
from tests.support.demo import CHANG_AN, CITY, QIAO_XI
from tests.support.probe_workflows import ClockReader
from tests.support.process_support import Process, client_with, settled, slips_arrived
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import IssueSlips
from xueji.sandbox import LeanSandboxedWorkflowRunner
from xueji.worker import WORKFLOW_RUNNER


def test_the_worker_runs_its_workflows_in_the_lean_sandbox() -> None:
    assert isinstance(WORKFLOW_RUNNER, LeanSandboxedWorkflowRunner)


async def test_workflow_code_still_may_not_read_the_clock(process: Process) -> None:
    queue = f"sandbox-{uuid.uuid4().hex[:8]}"
    client = process.env.client
    async with Worker(
        client, task_queue=queue, workflows=[ClockReader], workflow_runner=WORKFLOW_RUNNER
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await client.execute_workflow(ClockReader.run, id=queue, task_queue=queue)

    cause = failed.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "RestrictedWorkflowAccessError"
    assert "datetime.datetime.now" in cause.message


async def test_each_payload_is_bound_to_the_workflow_it_belongs_to(process: Process) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=CITY, addressees=[CHANG_AN, QIAO_XI], instructions="请核查"),
    )
    await slips_arrived(process, case.id, 2)
    raw = client_with(process, DataConverter.default)
    events = (await raw.get_workflow_handle(case.id).fetch_history()).events
    children: dict[str, Any] = {
        e.start_child_workflow_execution_initiated_event_attributes.workflow_id: [
            bound_workflow_id(p)
            for p in e.start_child_workflow_execution_initiated_event_attributes.input.payloads
        ]
        for e in events
        if e.HasField("start_child_workflow_execution_initiated_event_attributes")
    }
    # A slip's input is sealed for the slip's own workflow, where it is opened.
    assert children == {f"{case.id}.V1": [f"{case.id}.V1"], f"{case.id}.V2": [f"{case.id}.V2"]}
    results = [
        bound_workflow_id(p)
        for e in events
        if e.HasField("marker_recorded_event_attributes")
        and "result" in e.marker_recorded_event_attributes.details
        for p in e.marker_recorded_event_attributes.details["result"].payloads
    ]
    # What the case's own look-ups and records answered belongs to the case.
    assert len(results) >= 4 and set(results) == {case.id}
