"""/api/audit: the auditor reads, exports and verifies the audit log (审计日志).

Read only: there is deliberately no endpoint that edits or deletes audit records. The
Ministry's auditor reads every entry; any other auditor the entries of its own unit's subtree
(actors of its unit, the units below and their schools). The rules are in api/audit_log.py,
which the console's audit page shares.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from api.audit_log import (
    ResultClass,
    audit_filter,
    audit_page,
    check_chain,
    csv_chunks,
)
from api.deps import AuditorDep, Offset, SessionDep
from api.schemas.audit import AuditPage, Verification
from store.audit import AuditFilter

router = APIRouter(prefix="/api/audit", tags=["audit"])


def _wanted(
    auditor: AuditorDep,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=64, description="用户名")] = None,
    action: Annotated[str | None, Query(max_length=64, description="操作")] = None,
    since: Annotated[AwareDatetime | None, Query(alias="from", description="起（含）")] = None,
    until: Annotated[AwareDatetime | None, Query(alias="to", description="止（不含）")] = None,
    target: Annotated[
        str | None, Query(max_length=200, description="对象中包含的文字；受理编号则查该案件的记录")
    ] = None,
    result: Annotated[
        ResultClass | None, Query(description="ok 成功、refused 拒绝、failed 失败")
    ] = None,
) -> AuditFilter:
    return audit_filter(
        session,
        auditor,
        actor=actor,
        action=action,
        since=since,
        until=until,
        target=target,
        result=result,
    )


WantedDep = Annotated[AuditFilter, Depends(_wanted)]


@router.get("")
def entries(
    wanted: WantedDep,
    session: SessionDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """The entries that match, newest first, one page at a time."""
    return audit_page(session, wanted, offset=offset, limit=limit)


@router.get("/export", response_class=StreamingResponse)
def export(wanted: WantedDep, session: SessionDep) -> StreamingResponse:
    """The entries the auditor reads that match the filters of `GET /api/audit` (none given:
    all; the Ministry's auditor: the whole log) as CSV (UTF-8 with BOM, opens in Excel),
    oldest first, times in Beijing time."""
    return StreamingResponse(
        csv_chunks(session, wanted),  # the session closes after the last row is sent
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@router.get("/verify")
def verify(_: AuditorDep, session: SessionDep, request: Request) -> Verification:
    """Check the chain entry by entry, and that it reaches every head in this host's heads
    file; the first entry that breaks it, if any, and why."""
    state = request.app.state
    return check_chain(session, state.audit_keys, state.audit_heads)
