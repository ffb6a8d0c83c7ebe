"""The audit log (审计日志) as the auditor reads it, shared by `/api/audit` and the console's
audit page: which entries an auditor may read, the filters, a page, the CSV export and the
check of the chain.

The Ministry's auditor reads every entry; any other auditor the entries of its own unit's
subtree (actors of its unit, the units below and their schools).
"""

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

from fastapi import HTTPException
from sqlmodel import Session, select

from api.admin_scope import is_national
from api.schemas.audit import AuditEntry, AuditPage, Verification
from api.security import Staff
from core.keys import AuditKeys
from store import audit, audit_chain, audit_heads
from store.models import Case
from store.org import subtree_codes

ResultClass = Literal["ok", "refused", "failed"]


def visible_units(session: Session, auditor: Staff) -> set[str] | None:
    """The units whose actors' entries the auditor reads; None: all (the Ministry's)."""
    if is_national(session, auditor):
        return None
    return subtree_codes(session=session, code=auditor.unit_code)


def audit_filter(
    session: Session,
    auditor: Staff,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    target: str | None = None,
    result: ResultClass | None = None,
) -> audit.AuditFilter:
    """The store's filter of what the auditor asked, within what the auditor may read. A
    `target` that is a case's tracking number (受理编号) stands for the case's id, which is
    what the entries' targets name."""
    target = (target or "").strip()
    if target:
        case_id = session.exec(select(Case.id).where(Case.tracking_no == target.upper())).first()
        target = case_id or target
    return audit.AuditFilter(
        actor=actor or None,
        action=action or None,
        since=since,
        until=until,
        target=target or None,
        result=result,
        units=visible_units(session, auditor),
    )


def audit_page(
    session: Session, wanted: audit.AuditFilter, *, offset: int, limit: int
) -> AuditPage:
    """The matching entries, newest first, one page at a time."""
    total, records = audit.search(session=session, wanted=wanted, offset=offset, limit=limit)
    items = [AuditEntry.model_validate(r, from_attributes=True) for r in records]
    return AuditPage(total=total, offset=offset, limit=limit, items=items)


def csv_chunks(session: Session, wanted: audit.AuditFilter) -> Iterator[str]:
    """The matching entries as CSV (UTF-8 with BOM, opens in Excel), in pieces to stream."""
    yield "\ufeff"  # Excel reads UTF-8 only with the byte order mark
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in audit.export(session=session, wanted=wanted):
        writer.writerow([audit.csv_safe(cell) for cell in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def check_chain(session: Session, keys: AuditKeys, heads_file: Path) -> Verification:
    """Check the chain entry by entry, and that it reaches every head in this host's heads
    file: the first entry that breaks it, if any, and why (500 when the file is unreadable)."""
    try:
        heads = audit_heads.read_heads(heads_file)
    except audit_heads.HeadsFileError as exc:
        raise HTTPException(status_code=500, detail=str(exc)) from None
    broken = audit_chain.verify(session=session, keys=keys, heads=heads)
    return Verification(
        intact=broken is None,
        count=audit.count(session=session),
        heads=len(heads),
        first_broken_seq=broken.seq if broken else None,
        reason=broken.reason if broken else None,
    )


def entry_shown(session: Session, auditor: Staff, seq: int) -> AuditEntry | None:
    """The entry `seq` when it is still there and the auditor may read it, else None."""
    record = audit.find(session=session, seq=seq, units=visible_units(session, auditor))
    return AuditEntry.model_validate(record, from_attributes=True) if record else None
