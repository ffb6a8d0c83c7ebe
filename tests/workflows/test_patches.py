"""Where a case asks for its patches: before its first local activity, so that a replay finds
the patch's marker in the workflow task it replays (a patch asked just after a local activity
reads as absent on replay when the original task ended right after that activity)."""

import json
from typing import Any

from temporalio.api.history.v1 import HistoryEvent

from domain.process import Stage
from tests.support.demo import CHANG_AN, CITY
from tests.support.process_support import Process, settled
from workflows.clocks import COUNTED_HERE
from workflows.complaint import ComplaintWorkflow
from workflows.messages.complaint import IssueSlips


def _markers(events: list[HistoryEvent]) -> list[str]:
    """Each marker of the history: a local activity's, or the id of a patch."""
    found = []
    for event in events:
        if not event.HasField("marker_recorded_event_attributes"):
            continue
        marker = event.marker_recorded_event_attributes
        if marker.marker_name == "core_patch":
            data = marker.details["patch-data"].payloads[0].data
            found.append(json.loads(data)["id"])
        else:
            found.append(marker.marker_name)
    return found


async def test_a_new_case_asks_for_counting_due_times_before_any_local_activity(
    process: Process,
) -> None:
    case = await process.start()
    await settled(case, Stage.VERIFY_ISSUE)
    view = await case.execute_update(
        ComplaintWorkflow.issue_verification,
        IssueSlips(actor_unit=CITY, addressees=[CHANG_AN], instructions="请核查"),
    )

    events = list((await case.fetch_history()).events)
    markers = _markers(events)
    assert markers[0] == COUNTED_HERE
    assert markers.count(COUNTED_HERE) == 1
    assert "core_local_activity" in markers[1:]
    # Its slip counts the climbs of its alert the same way, told so in its input.
    slip: Any = process.env.client.get_workflow_handle(f"{case.id}.{view.slips[0].slip_id}")
    started = (await slip.fetch_history()).events[0].workflow_execution_started_event_attributes
    (input_payload,) = started.input.payloads
    converter = process.env.client.data_converter
    (decoded,) = await converter.decode([input_payload])  # the input as the slip reads it
    assert decoded["count_due_times"] is True
    assert COUNTED_HERE not in _markers(list((await slip.fetch_history()).events))
