"""/api/audit: the auditor reads, exports and verifies the audit log (审计日志).

Read only: there is deliberately no endpoint that edits or deletes audit records. The
Ministry's auditor reads every entry; any other auditor the entries of its own unit's subtree
(actors of its unit, the units below and their schools).
"""

import csv
import io
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime
from sqlmodel import Session

from api.admin_scope import is_national
from api.deps import AuditorDep, Offset, SessionDep
from api.schemas.audit import AuditEntry, AuditPage, Verification
from api.security import Staff
from store import audit, audit_chain, audit_heads
from store.org import subtree_codes

router = APIRouter(prefix="/api/audit", tags=["audit"])


def _visible_units(session: Session, auditor: Staff) -> set[str] | None:
    """The units whose actors' entries the auditor reads; None: all (the Ministry's)."""
    if is_national(session, auditor):
        return None
    return subtree_codes(session=session, code=auditor.unit_code)


@router.get("")
def entries(
    auditor: AuditorDep,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=64, description="用户名")] = None,
    action: Annotated[str | None, Query(max_length=64, description="操作")] = None,
    since: Annotated[AwareDatetime | None, Query(alias="from", description="起（含）")] = None,
    until: Annotated[AwareDatetime | None, Query(alias="to", description="止（不含）")] = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """The entries that match, newest first, one page at a time."""
    total, records = audit.search(
        session=session,
        actor=actor,
        action=action,
        since=since,
        until=until,
        offset=offset,
        limit=limit,
        units=_visible_units(session, auditor),
    )
    items = [AuditEntry.model_validate(r, from_attributes=True) for r in records]
    return AuditPage(total=total, offset=offset, limit=limit, items=items)


def _csv(session: Session, units: set[str] | None) -> Iterator[str]:
    yield "\ufeff"  # Excel reads UTF-8 only with the byte order mark
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in audit.export(session=session, units=units):
        writer.writerow([audit.csv_safe(cell) for cell in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get("/export", response_class=StreamingResponse)
def export(auditor: AuditorDep, session: SessionDep) -> StreamingResponse:
    """The entries the auditor reads (the Ministry's: the whole log) as CSV (UTF-8 with BOM,
    opens in Excel), times in Beijing time."""
    units = _visible_units(session, auditor)
    return StreamingResponse(
        _csv(session, units),  # the session closes after the last row is sent, not before
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@router.get("/verify")
def verify(_: AuditorDep, session: SessionDep, request: Request) -> Verification:
    """Check the chain entry by entry, and that it reaches every head in this host's heads
    file; the first entry that breaks it, if any, and why."""
    try:
        heads = audit_heads.read_heads(request.app.state.audit_heads)
    except audit_heads.HeadsFileError as exc:
        raise HTTPException(status_code=500, detail=str(exc)) from None
    broken = audit_chain.verify(session=session, keys=request.app.state.audit_keys, heads=heads)
    return Verification(
        intact=broken is None,
        count=audit.count(session=session),
        heads=len(heads),
        first_broken_seq=broken.seq if broken else None,
        reason=broken.reason if broken else None,
    )
