"""Staff actions as Temporal Updates and Signals, and their refusals as HTTP answers.

A refused Update carries an ApplicationError whose type says why (workflows/errors.py);
each type has one status code, and the Chinese message goes to the caller as it is.
"""

from typing import Any, NoReturn

from fastapi import HTTPException
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from workflows import errors

STATUS_OF_REFUSAL = {
    errors.WRONG_STAGE: 409,
    errors.ALREADY_DONE: 409,
    errors.WRONG_UNIT: 403,
    errors.UNKNOWN_SLIP: 404,
    errors.UNKNOWN_UNIT: 422,
    errors.INVALID_INPUT: 422,
}
CLOSED = "该案件（或单据）已办结，不能再办理"
UNAVAILABLE = "流程服务暂时不可用，请稍后重试"
RETRY_LATER = {"Retry-After": "10"}  # a worker that died is replaced within about that


async def update(client: Client, workflow_id: str, method: Any, argument: Any) -> Any:
    """Run the Update (a workflow method) and return its answer; a refusal or a closed
    workflow is an HTTPException."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(method, argument)
    except WorkflowUpdateFailedError as exc:
        refuse(exc.cause)
    except RPCError as exc:
        _rpc(exc)


async def signal(client: Client, workflow_id: str, method: Any, argument: Any) -> None:
    try:
        await client.get_workflow_handle(workflow_id).signal(method, argument)
    except RPCError as exc:
        _rpc(exc)


async def query(client: Client, workflow_id: str, method: Any) -> Any:
    try:
        return await client.get_workflow_handle(workflow_id).query(method)
    except RPCError as exc:
        _rpc(exc)


def refuse(cause: BaseException | None) -> NoReturn:
    if isinstance(cause, ApplicationError) and cause.type in STATUS_OF_REFUSAL:
        raise HTTPException(STATUS_OF_REFUSAL[cause.type], detail=cause.message)
    raise HTTPException(503, detail=UNAVAILABLE, headers=RETRY_LATER)


def _rpc(exc: RPCError) -> NoReturn:
    if exc.status is RPCStatusCode.NOT_FOUND:  # the workflow has finished (and was visible)
        raise HTTPException(409, detail=CLOSED)
    raise HTTPException(503, detail=UNAVAILABLE, headers=RETRY_LATER)
