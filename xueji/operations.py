"""Operations on running cases that operators start from the command line."""

from temporalio.client import Client

from workflows.complaint import ComplaintWorkflow

RUNNING_CASES = 'WorkflowType = "ComplaintWorkflow" AND ExecutionStatus = "Running"'


async def retime_running_cases(client: Client) -> int:
    """Tell every running case that the calendar changed; it re-computes its open deadlines.

    Returns how many cases were told. Safe to repeat: a case whose deadlines did not move
    changes nothing.
    """
    told = 0
    async for execution in client.list_workflows(RUNNING_CASES):
        await client.get_workflow_handle(execution.id).signal(ComplaintWorkflow.calendar_changed)
        told += 1
    return told
