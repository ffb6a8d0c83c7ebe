"""Staff actions as Temporal Updates and Signals, and their refusals as HTTP answers.

A refused Update carries an ApplicationError whose type says why (workflows/errors.py);
each type has one status code, and the Chinese message goes to the caller as it is.

The store can be a step ahead of a workflow's history (the read model is written inside the
workflow task, and a worker that dies before the task completes leaves it so until another
worker replays the task): the callers wait for the replay up to CATCH_UP_SECONDS, then
answer 503 with Retry-After (`catching_up`), never a final-looking refusal.
"""

import asyncio
import time
from typing import Any, NoReturn

from fastapi import HTTPException
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
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
UNCONFIRMED = "办理请求已交给流程，但流程暂未确认结果，请稍后刷新页面，查看是否已生效后再办理"
CATCHING_UP = (
    "本案的办理流程正在恢复（服务刚刚重启），页面显示的环节尚未载入流程，请稍后重试；"
    "您填写的内容没有提交"
)
SLIP_CATCHING_UP = (
    "本单的办理流程正在恢复（服务刚刚重启），页面显示的单据尚未载入流程，请稍后重试；"
    "您填写的内容没有提交"
)
CATCH_UP_SECONDS = 15.0  # longer than a workflow task's timeout (10 s) and its replay
CATCH_UP_POLL_SECONDS = 0.5


def catching_up(detail: str) -> HTTPException:
    return HTTPException(503, detail=detail, headers=RETRY_LATER)


async def update(client: Client, workflow_id: str, method: Any, argument: Any) -> Any:
    """Run the Update (a workflow method) and return its answer; a refusal or a closed
    workflow is an HTTPException."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.execute_update(method, argument)
    except WorkflowUpdateFailedError as exc:
        refuse(exc.cause)
    except WorkflowUpdateRPCTimeoutOrCancelledError:  # no worker answered in time: it may yet
        raise HTTPException(503, detail=UNCONFIRMED, headers=RETRY_LATER) from None
    except RPCError as exc:
        _rpc(exc)


async def update_once_started(client: Client, workflow_id: str, method: Any, argument: Any) -> Any:
    """`update` on a workflow the store already shows (a slip's): one that has not started
    yet (the store is ahead: the task that starts it is being replayed) is waited for up to
    CATCH_UP_SECONDS, then 503; one that has ended is refused as done (409)."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        try:
            return await update(client, workflow_id, method, argument)
        except HTTPException as exc:
            if exc.detail != CLOSED or await _exists(client, workflow_id):
                raise
        if time.monotonic() >= deadline:
            raise catching_up(SLIP_CATCHING_UP)
        await asyncio.sleep(CATCH_UP_POLL_SECONDS)


async def _exists(client: Client, workflow_id: str) -> bool:
    """Whether the workflow has started (running or ended)."""
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            return False
        _rpc(exc)
    return True


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
