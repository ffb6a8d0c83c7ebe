"""Temporal is no back door (issue 17, item 6): a signal or update sent around the API, with the
`temporal` CLI or any client without the codec, or sealed for another case, changes nothing.

A real worker on the time-skipping server, its codec requiring sealed payloads as in
production; the plain-JSON messages come through a client with the SDK's plain converter."""

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from core.codec import REFUSED_ERROR_TYPE, EncryptionCodec, encrypted_data_converter
from core.keys import DEV_KEY_SPEC, Keyring
from domain.process import Stage
from store.models import Case, TimelineRow
from tests.support.demo import CHANG_AN, CITY, QIAO_XI
from tests.support.process_support import (
    Process,
    client_with,
    running_process,
    settled,
    slips_arrived,
    state,
)
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import IssueSlips, Withdraw


@pytest.fixture
async def process(tmp_path: Path) -> Any:
    async with running_process(tmp_path / "data") as running:
        yield running


class SealsForAnotherCase(EncryptionCodec):
    """A codec with the right key whose payloads name another case: what someone gets who
    copies sealed payloads out of another case's history."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload, "case-another") for payload in payloads]


async def unchanged_and_still_working(process: Process, case_id: str) -> None:
    """The case is where it was, nothing recorded; an action through the API's own client
    still works (and, coming after them in the history, shows the refused ones were handled)."""
    case = process.env.client.get_workflow_handle(case_id)
    view = await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=CITY, addressees=[CHANG_AN, QIAO_XI], instructions="请核查"),
    )
    assert view.stage is Stage.VERIFICATION and view.outcome == ""
    assert [slip.slip_id for slip in view.slips] == ["V1", "V2"]  # none issued before
    await slips_arrived(process, case_id, 2)
    assert [case.outcome for case in process.rows(Case, id=case_id)] == [""]
    kinds = {row.kind for row in process.rows(TimelineRow, case_id=case_id)}
    assert "withdrawn" not in kinds


async def test_a_plain_json_signal_and_update_change_nothing(
    process: Process, caplog: pytest.LogCaptureFixture
) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    plain = client_with(process, pydantic_data_converter).get_workflow_handle(case.id)

    with caplog.at_level(logging.WARNING):
        await plain.signal("withdraw", {"reason": "伪造的撤回", "actor_unit": CITY})
        with pytest.raises(WorkflowUpdateFailedError):
            await plain.execute_update(
                "issue_verification",
                {"actor_unit": CITY, "addressees": [CHANG_AN], "instructions": "伪造"},
            )
        await unchanged_and_still_working(process, case.id)

    refusals = [r.getMessage() for r in caplog.records if "refused a payload" in r.getMessage()]
    assert len(refusals) >= 2 and all(case.id in line for line in refusals)
    assert any("dropping the signal" in r.getMessage() for r in caplog.records)
    assert "伪造" not in caplog.text  # nothing of what was sent reaches the log


async def test_a_signal_and_update_sealed_for_another_case_change_nothing(
    process: Process,
) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    codec = SealsForAnotherCase(Keyring.from_spec(DEV_KEY_SPEC))
    misbound = client_with(process, encrypted_data_converter(codec)).get_workflow_handle(case.id)

    await misbound.signal(ComplaintWorkflow.withdraw, Withdraw(reason="撤回", actor_unit=CITY))
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        await misbound.execute_update(
            ComplaintWorkflow.issue_verification,
            IssueSlips(actor_unit=CITY, addressees=[CHANG_AN]),
        )

    cause = raised.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == REFUSED_ERROR_TYPE
    assert "属于另一个流程" in cause.message
    await unchanged_and_still_working(process, case.id)
    assert (await state(case)).stage is Stage.VERIFICATION
