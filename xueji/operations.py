"""Operations on running cases that operators start from the command line."""

from temporalio.client import Client

# Cases re-plan their deadlines, campaigns their reminder; both take the same signal.
RUNNING_CASES = (
    'WorkflowType IN ("ComplaintWorkflow", "CampaignWorkflow") AND ExecutionStatus = "Running"'
)


async def retime_running_cases(client: Client) -> int:
    """Tell every running case and campaign that the calendar changed; they re-compute their
    open deadlines and reminder times.

    Returns how many cases were told. Safe to repeat: a case whose deadlines did not move
    changes nothing.
    """
    told = 0
    async for execution in client.list_workflows(RUNNING_CASES):
        await client.get_workflow_handle(execution.id).signal("calendar_changed")
        told += 1
    return told
