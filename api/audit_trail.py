"""Every write request to the API leaves an audit record (审计日志): who, unit, role, action,
target, result, client address, time.

A middleware writes it when the answer is known and before the caller gets it, so refusals and
failures are recorded as well as successes (a request that fails with an error as
`failed:500`). It fails closed: when the record cannot be written, the caller gets a 500 in
Chinese instead of the answer, never an unaudited success. After the record is committed, the
chain's new head goes to the heads file (`store/audit_heads.py`). The caller is whoever
`current_staff` found (routes put it on `request.state`); the login route names the attempted
username itself. A route may add what the path does not say to the target, through
`request.state.audit_detail` (say which account, role and fields an account change touched).
Personal data never goes into a record: the target is the path (ids and codes only) and that
detail, the result the status code and its class.
"""

import json
import logging
import re
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store import audit, audit_heads
from store.db import session_scope

log = logging.getLogger(__name__)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UNAUDITED = ("/api/track/", "/api/codec/")  # public reads and the Web UI's decoding
# What the caller hears when its request could not be audited. The route has run by then, so
# what it changed may stand: say so, rather than invite a blind retry.
UNAUDITED_ANSWER = json.dumps(
    {
        "detail": "审计日志写入失败，本次请求按失败处理。操作可能已经生效，"
        "请先核对结果再决定是否重试，并联系系统管理员。"
    },
    ensure_ascii=False,
).encode("utf-8")


CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ACTION_LENGTH = 64  # audit_log.action


def printable(text: str) -> str:
    """`text` with control characters escaped (`\\x00`): a path may hold any of them, and
    PostgreSQL refuses a NUL, which would fail the request's audit record."""
    return CONTROL.sub(lambda match: f"\\x{ord(match[0]):02x}", text)


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
        withheld = False  # the answer could not be audited: none of it reaches the caller

        async def record_then_send(message: Message) -> None:
            nonlocal recorded, withheld
            if withheld:
                return
            if message["type"] == "http.response.start" and not recorded:
                recorded = True
                if not await _record(Request(scope), message["status"]):
                    withheld = True
                    await _answer_unaudited(send)
                    return
            await send(message)

        try:
            await self.app(scope, receive, record_then_send)
        except Exception:
            if not recorded:  # the server error handler outside answers 500 either way
                recorded = True
                await _record(Request(scope), 500)
            raise


async def _record(request: Request, status: int) -> bool:
    """Write the audit record of `request`; False (logged) when it could not be written."""
    try:
        await run_in_threadpool(_write, request, status)
    except Exception:
        path = printable(request.url.path)
        log.exception("audit record not written for %s %s", request.method, path)
        return False
    return True


async def _answer_unaudited(send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(UNAUDITED_ANSWER)).encode("ascii")),
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": UNAUDITED_ANSWER})


def _target(request: Request) -> str:
    detail = getattr(request.state, "audit_detail", "")
    target = f"{request.method} {request.url.path}"
    return f"{target} {detail}" if detail else target


def _write(request: Request, status: int) -> None:
    state = request.app.state
    staff = getattr(request.state, "staff", None)
    route = request.scope.get("route")
    # Without a route (a 404), the path names the action, cut to fit its column.
    action = printable(getattr(route, "name", "") or request.url.path)[:ACTION_LENGTH]
    with session_scope(state.audit_engine) as session:
        record = audit.append(
            session=session,
            keys=state.audit_keys,
            actor=staff.username if staff else printable(getattr(request.state, "audit_actor", "")),
            actor_unit=staff.unit_code if staff else "",
            actor_role=staff.role if staff else "",
            action=action,
            target=printable(_target(request)),
            result=result_of(status),
            client=request.client.host if request.client else "",
            now=datetime.now(UTC),
        )
        seq, head, at = record.seq, record.hash, record.at
    try:
        audit_heads.export_head(state.audit_heads, seq=seq, hash=head, at=at)
    except OSError:  # the record stands; the next head exported covers this one too
        log.error("audit head %d not written to %s", seq, state.audit_heads)
