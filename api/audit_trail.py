"""Every write request to the API leaves an audit record (审计日志): who, unit, role, action,
target, result, client address, time.

A middleware writes it when the answer is known and before the caller gets it, so refusals and
failures are recorded as well as successes (a request that fails with an error as
`failed:500`). The caller is whoever `current_staff` found (routes put it on `request.state`);
the login route names the attempted username itself. Personal data never goes into a record:
the target is the path (ids and codes only), the result the status code and its class.
"""

import logging
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
    app.add_middleware(AuditWrites)


def audited(method: str, path: str) -> bool:
    return method in WRITES and path.startswith("/api/") and not path.startswith(UNAUDITED)


class AuditWrites:
    """The audit record of each write request, written as its answer starts.

    A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` ran every request, reads too,
    through a task and a memory stream, a tenth of the API's CPU per registration.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not audited(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        recorded = False

        async def record_then_send(message: Message) -> None:
            nonlocal recorded
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                await run_in_threadpool(_write, Request(scope), message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_then_send)
        except Exception:
            if not recorded:  # the server error handler outside answers 500
                await run_in_threadpool(_write, Request(scope), 500)
            raise


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
