"""Every write request to the API leaves an audit record (审计日志): who, unit, role, action,
target, result, client address, time.

A middleware writes it after the answer is known, so refusals and failures are recorded as well
as successes. The caller is whoever `current_staff` found (routes put it on `request.state`);
the login route names the attempted username itself. Personal data never goes into a record:
the target is the path (ids and codes only), the result the status code and its class.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from store import audit
from store.db import session_scope

log = logging.getLogger(__name__)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNAUDITED = ("/api/track/", "/api/codec/")  # public reads and the Web UI's decoding


def result_of(status: int) -> str:
    if status < 400:
        return "ok"
    if status >= 500:
        return f"failed:{status}"
    return f"refused:{status}"


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def audit_writes(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        path = request.url.path
        if request.method in WRITES and path.startswith("/api/") and not path.startswith(UNAUDITED):
            await run_in_threadpool(_write, request, response.status_code)
        return response


def _write(request: Request, status: int) -> None:
    staff = getattr(request.state, "staff", None)
    route = request.scope.get("route")
    action = getattr(route, "name", "") or request.url.path
    try:
        with session_scope(request.app.state.engine) as session:
            audit.append(
                session=session,
                actor=staff.username if staff else getattr(request.state, "audit_actor", ""),
                actor_unit=staff.unit_code if staff else "",
                actor_role=staff.role if staff else "",
                action=action,
                target=f"{request.method} {request.url.path}",
                result=result_of(status),
                client=request.client.host if request.client else "",
                now=datetime.now(UTC),
            )
    except Exception:  # the answer stands; ops see the gap in the log and in the chain count
        log.exception("audit record not written for %s %s", request.method, request.url.path)
