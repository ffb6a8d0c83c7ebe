"""Recorded histories of the main paths replay against today's workflow code.

A change that would break running cases (a non-deterministic change without
`workflow.patched`) fails here. Record new histories with `python -m tests.replay.record_histories`.
"""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.codec import WORKFLOW_ID_METADATA, bound_workflow_id, payloads_from_json
from core.temporal import data_converter
from workflows.campaign import CampaignWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.slip import SlipWorkflow
from xueji.worker import WORKFLOW_RUNNER

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_every_main_path_is_recorded() -> None:
    paths = {file.name.split(".")[0] for file in HISTORIES}
    assert paths >= {
        "closed",
        "reworked",
        "disputed",
        "overdue",
        "referred",
        "campaign",
        "reviewed",
        "reviewed_fewer",
        "school_fewer",
        "reviewed_window",
        "overdue_window",
    }


def workflow_id(text: str, default: str) -> str:
    """The id the workflow ran under, from the binding of its input (histories recorded
    before the binding carry none): the worker refuses payloads bound to another workflow,
    so a history must replay under its own id."""
    started = json.loads(text)["events"][0]["workflowExecutionStartedEventAttributes"]
    payloads = payloads_from_json(started.get("input", {})).payloads
    bound = [bound_workflow_id(p) for p in payloads if WORKFLOW_ID_METADATA in p.metadata]
    return bound[0] if bound and bound[0] else default


@pytest.mark.parametrize("file", HISTORIES, ids=lambda file: file.stem)
async def test_history_replays(file: Path) -> None:
    text = file.read_text(encoding="utf-8")
    history = WorkflowHistory.from_json(workflow_id(text, file.stem), text)
    replayer = Replayer(
        workflows=[ComplaintWorkflow, SlipWorkflow, CampaignWorkflow],
        data_converter=data_converter(),
        workflow_runner=WORKFLOW_RUNNER,  # as the worker runs them
    )
    await replayer.replay_workflow(history)
