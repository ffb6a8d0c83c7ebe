"""Every write request to the API and the console, and every read of personal data, leaves an
audit record (审计日志): who, unit, role, action, target, result, client address, time.

Writes are the POST/PUT/PATCH/DELETE requests under /api/ and /console/ (sign-in and sign-out
included). Reads are the GET requests of routes that declare `PERSONAL_READ` among their
dependencies: a case's detail, a slip and its printed form, a workbook, the case page, the
full personal data; a 304 sends nothing and is not a read. The Temporal Web UI's decoding is a
POST, so it is recorded as a write.

A middleware writes the record when the answer is known and before the caller gets it, so
refusals and failures are recorded as well as successes (a request that fails with an error as
`failed:500`). It fails closed: when the record cannot be written, the caller gets a 500 in
Chinese instead of the answer, never an unaudited success. After the record is committed, the
chain's new head goes to the heads file (`store/audit_heads.py`). The caller is whoever
`current_staff` (or the console's session) found (routes put it on `request.state`); the login
routes name the attempted username themselves. A route may add what the path does not say to
the target, through `request.state.audit_detail` (say which account, role and fields an
account change touched). Personal data never goes into a record: the target is the path (ids
and codes only) and that detail, the result the status code and its class.
"""

import json
import logging
import re
from datetime import UTC, datetime

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store import audit, audit_heads
from store.db import session_scope

log = logging.getLogger(__name__)
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READS = frozenset({"GET", "HEAD"})
AUDITED = ("/api/", "/console/")
# The public's own look-ups (POST /api/track, and the old GET address it refuses): no staff,
# no one else's data, and a record per guess would bury the staff's records.
UNAUDITED = ("/api/track",)
READ_MARK = "audit_personal_read"
# What the caller hears when its request could not be audited. The route has run by then, so
# what it changed may stand: say so, rather than invite a blind retry.
UNAUDITED_TEXT = (
    "审计日志写入失败，本次请求按失败处理。操作可能已经生效，"
    "请先核对结果再决定是否重试，并联系系统管理员。"
)
UNAUDITED_ANSWER = json.dumps({"detail": UNAUDITED_TEXT}, ensure_ascii=False).encode("utf-8")
UNAUDITED_PAGE = (
    '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>无法办理</title>'
    f'<p role="alert">{UNAUDITED_TEXT}</p><p><a href="/console">返回待办</a></p></html>'
).encode()


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
    app.add_middleware(AuditTrail)


def _mark_personal_read(request: Request) -> None:
    request.state.audit_personal_read = True


# Among a route's `dependencies`: its answers hold personal data, so its reads are audited.
# Route-level dependencies run first, so a read refused by the login or the role is recorded.
PERSONAL_READ = Depends(_mark_personal_read)


def audited(method: str, path: str) -> bool:
    """Whether a request may need a record: every write, and the reads that may turn out
    (when the route is known) to be of personal data."""
    return (
        (method in WRITES or method in READS)
        and path.startswith(AUDITED)
        and not path.startswith(UNAUDITED)
    )


def recorded(scope: Scope, status: int) -> bool:
    """Whether this answer is recorded: a write's always, a read's when its route declared
    `PERSONAL_READ` and the answer sends something (not a 304)."""
    if scope["method"] in WRITES:
        return True
    return bool(scope.get("state", {}).get(READ_MARK)) and status != 304


class AuditTrail:
    """The audit record of each write request and each read of personal data, written as its
    answer starts.

    A plain ASGI middleware: Starlette's `BaseHTTPMiddleware` ran every request, reads too,
    through a task and a memory stream, a tenth of the API's CPU per registration.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not audited(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        done = False  # the answer has started: recorded, or not to be
        withheld = False  # the answer could not be audited: none of it reaches the caller

        async def record_then_send(message: Message) -> None:
            nonlocal done, withheld
            if withheld:
                return
            if message["type"] == "http.response.start" and not done:
                done = True
                if recorded(scope, message["status"]) and not await _record(
                    Request(scope), message["status"]
                ):
                    withheld = True
                    await _answer_unaudited(send, scope["path"])
                    return
            await send(message)

        try:
            await self.app(scope, receive, record_then_send)
        except Exception:
            if not done and recorded(scope, 500):  # the server error handler answers 500
                done = True
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


async def _answer_unaudited(send: Send, path: str) -> None:
    """The 500 of an unaudited request: JSON for the API, a page for the console."""
    console = path.startswith("/console/")
    body = UNAUDITED_PAGE if console else UNAUDITED_ANSWER
    kind = b"text/html; charset=utf-8" if console else b"application/json"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode("ascii"))]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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
            result=getattr(request.state, "audit_result", "") or result_of(status),
            client=request.client.host if request.client else "",
            now=datetime.now(UTC),
        )
        seq, head, at = record.seq, record.hash, record.at
    try:
        audit_heads.export_head(state.audit_heads, seq=seq, hash=head, at=at)
    except OSError:  # the record stands; the next head exported covers this one too
        log.error("audit head %d not written to %s", seq, state.audit_heads)
