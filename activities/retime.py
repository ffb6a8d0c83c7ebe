"""The activities of the re-timing (workflows/retime.py): listing the running cases and
campaigns of this task queue page by page, and signalling them `calendar_changed`."""

import asyncio
import base64

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from workflows.activity_interfaces import RetimeActivityInterface
from workflows.messages.activities import RunningPage, RunningRequest, SignalledPage

AT_ONCE = 20  # signals in flight at a time


def running_query(task_queue: str) -> str:
    """The visibility query of the workflows that re-time on `calendar_changed`: cases re-plan
    their deadlines, campaigns their reminder."""
    return (
        'WorkflowType IN ("ComplaintWorkflow", "CampaignWorkflow") '
        f'AND ExecutionStatus = "Running" AND TaskQueue = "{task_queue}"'
    )


class RetimeActivities(RetimeActivityInterface):
    def __init__(self, client: Client, task_queue: str) -> None:
        self._client, self._query = client, running_query(task_queue)

    @activity.defn(name="running_workflows")
    async def running_workflows(self, request: RunningRequest) -> RunningPage:
        token = request.page_token
        listing = self._client.list_workflows(
            self._query,
            page_size=request.page_size,
            next_page_token=base64.b64decode(token) if token else None,
        )
        await listing.fetch_next_page()
        following = listing.next_page_token
        return RunningPage(
            workflow_ids=[execution.id for execution in listing.current_page or []],
            next_page_token=base64.b64encode(following).decode() if following else None,
        )

    @activity.defn(name="signal_calendar_changed")
    async def signal_calendar_changed(self, workflow_ids: list[str]) -> SignalledPage:
        """Signal each; one that ended since it was listed counts as closed, one that could
        not be told for another reason is named (the page is not retried for it)."""
        at_once = asyncio.Semaphore(AT_ONCE)
        outcomes: dict[str, str] = {}

        async def tell(workflow_id: str) -> None:
            async with at_once:
                try:
                    await self._client.get_workflow_handle(workflow_id).signal("calendar_changed")
                    outcomes[workflow_id] = "signalled"
                    activity.heartbeat(len(outcomes))
                except RPCError as exc:
                    if exc.status is RPCStatusCode.UNAVAILABLE:
                        raise  # Temporal away: the activity is retried
                    not_found = exc.status is RPCStatusCode.NOT_FOUND
                    outcomes[workflow_id] = "closed" if not_found else "failed"

        await asyncio.gather(*(tell(workflow_id) for workflow_id in workflow_ids))
        return SignalledPage(
            signalled=sum(1 for outcome in outcomes.values() if outcome == "signalled"),
            closed=sum(1 for outcome in outcomes.values() if outcome == "closed"),
            failed=[wid for wid in workflow_ids if outcomes.get(wid) == "failed"],
        )
