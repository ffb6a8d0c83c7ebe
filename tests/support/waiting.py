"""One way to wait for what follows a moment later: the read model after the workflow, a
worker's first poll, a server coming up. Ask again until the answer comes or time is up."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

WAIT_SECONDS = 15.0  # generous: two cores shared by the dev server, workers and the tests
INTERVAL_SECONDS = 0.05

Failure = str | Callable[[], str]


async def eventually(
    check: Callable[[], Awaitable[T]],
    *,
    timeout: float = WAIT_SECONDS,
    interval: float = INTERVAL_SECONDS,
    failure: Failure = "the expected state never came",
) -> T:
    """The first truthy answer of `check`, asked every `interval` seconds for up to `timeout`
    seconds; then an AssertionError saying `failure` (a callable is asked for it then). An
    exception from `check` ends the wait at once: a check asserts what must hold meanwhile."""
    deadline = time.monotonic() + timeout
    while not (answer := await check()):
        if time.monotonic() >= deadline:
            raise AssertionError(failure() if callable(failure) else failure)
        await asyncio.sleep(interval)
    return answer


def eventually_blocking(
    check: Callable[[], T],
    *,
    timeout: float = WAIT_SECONDS,
    interval: float = INTERVAL_SECONDS,
    failure: Failure = "the expected state never came",
) -> T:
    """`eventually` outside an event loop (a test driving a subprocess): the same promise,
    the thread sleeping between the questions."""
    deadline = time.monotonic() + timeout
    while not (answer := check()):
        if time.monotonic() >= deadline:
            raise AssertionError(failure() if callable(failure) else failure)
        time.sleep(interval)
    return answer
