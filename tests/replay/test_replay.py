"""Recorded histories of the main paths replay against today's workflow code.

A change that would break running cases (a non-deterministic change without
`workflow.patched`) fails here. Record new histories with `python -m tests.replay.record_histories`.
"""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.temporal import data_converter
from workflows.campaign import CampaignWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.slip import SlipWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_every_main_path_is_recorded() -> None:
    paths = {file.name.split(".")[0] for file in HISTORIES}
    assert paths >= {"closed", "reworked", "disputed", "overdue", "referred", "campaign"}


@pytest.mark.parametrize("file", HISTORIES, ids=lambda file: file.stem)
async def test_history_replays(file: Path) -> None:
    history = WorkflowHistory.from_json(file.stem, file.read_text(encoding="utf-8"))
    replayer = Replayer(
        workflows=[ComplaintWorkflow, SlipWorkflow, CampaignWorkflow],
        data_converter=data_converter(),
    )
    await replayer.replay_workflow(history)
