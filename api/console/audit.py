"""审计: the auditor browses the audit log of its subtree (filters, pages), exports what it
found as CSV and checks the chain, through the service functions of `/api/audit`
(api/audit_log.py). Bad filters show the form again, as typed, with the reasons (422)."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import cast, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlmodel import Session

from api.audit_log import (
    ResultClass,
    audit_filter,
    audit_page,
    check_chain,
    csv_chunks,
    entry_shown,
)
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, acting_as
from api.console.render import page
from api.deps import MAX_OFFSET, SessionDep
from api.html import templates
from api.security import Staff
from domain.roles import Role
from domain.workdays import SHANGHAI
from store.audit import AuditFilter

router = APIRouter(prefix=PATH, tags=["console"], default_response_class=HTMLResponse)

PAGE_SIZE = 50
LABELS = {
    "from": "时间（起）",
    "to": "时间（止，含当日）",
    "actor": "用户",
    "action": "操作",
    "target": "对象",
    "result": "结果",
}
LIMITS = {"actor": 64, "action": 64, "target": 200}
RESULT_NAMES = {"ok": "成功", "refused": "拒绝", "failed": "失败"}


def _second(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


templates.filters["second"] = _second


@dataclass
class Browse:
    """The filters as typed, and what they became: the store's filter, or the reasons."""

    values: dict[str, str]
    wanted: AuditFilter | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


@router.get("/audit")
def audit_log(request: Request, user: ConsoleUserDep, session: SessionDep) -> HTMLResponse:
    """The filter form and a page of the matching entries, newest first."""
    staff = acting_as(user, (Role.AUDITOR,))
    browse = _browse(request, session, staff)
    if browse.wanted is None:
        return _page(user, browse, 422)
    offset = _offset(request.query_params.get("offset", ""))
    found = audit_page(session, browse.wanted, offset=offset, limit=PAGE_SIZE)
    return _page(
        user,
        browse,
        200,
        found=found,
        query=urlencode(browse.values),
        previous=max(offset - PAGE_SIZE, 0) if offset else None,
        following=offset + PAGE_SIZE if offset + PAGE_SIZE < found.total else None,
    )


@router.get("/audit.csv", response_class=Response)
def export(request: Request, user: ConsoleUserDep, session: SessionDep) -> Response:
    """The matching entries as the CSV of `GET /api/audit/export`."""
    staff = acting_as(user, (Role.AUDITOR,))
    browse = _browse(request, session, staff)
    if browse.wanted is None:
        return _page(user, browse, 422)
    return StreamingResponse(
        csv_chunks(session, browse.wanted),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="audit-log.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/audit/verify")
def verify(request: Request, user: ConsoleUserDep, session: SessionDep) -> HTMLResponse:
    """The check of the chain (`GET /api/audit/verify`), and the first entry that breaks it
    when the auditor may read that entry."""
    staff = acting_as(user, (Role.AUDITOR,))
    state = request.app.state
    checked = check_chain(session, state.audit_keys, state.audit_heads)
    broken = None
    if checked.first_broken_seq is not None:
        broken = entry_shown(session, staff, checked.first_broken_seq)
    return page(
        "console/audit_verify.html",
        user=user,
        title="审计日志完整性校验",
        active="audit",
        checked=checked,
        broken=broken,
        result_names=RESULT_NAMES,
    )


def _browse(request: Request, session: Session, staff: Staff) -> Browse:
    params = request.query_params
    typed = {name: params.get(name, "").strip() for name in LABELS}
    browse = Browse({name: value for name, value in typed.items() if value})
    days: dict[str, datetime] = {}
    for name in ("from", "to"):
        if name in browse.values:
            try:
                day = date.fromisoformat(browse.values[name])
            except ValueError:
                browse.errors.append((name, "应为日期，如 2026-09-30"))
                continue
            day += timedelta(days=1) if name == "to" else timedelta(0)  # the last day included
            days[name] = datetime.combine(day, time(), SHANGHAI)
    for name, limit in LIMITS.items():
        if len(typed[name]) > limit:
            browse.errors.append((name, f"最多 {limit} 个字符"))
    result = typed["result"]
    if result and result not in get_args(ResultClass):
        browse.errors.append(("result", "取值无效，可选：成功、拒绝、失败"))
    if "from" in days and "to" in days and days["from"] >= days["to"]:
        browse.errors.append(("to", "不能早于起始日期"))
    if browse.errors:
        return browse
    browse.wanted = audit_filter(
        session,
        staff,
        actor=typed["actor"],
        action=typed["action"],
        since=days.get("from"),
        until=days.get("to"),
        target=typed["target"],
        result=cast(ResultClass, result) if result else None,  # checked above
    )
    return browse


def _offset(value: str) -> int:
    return int(value) if value.isdigit() and int(value) <= MAX_OFFSET else 0


def _page(user: ConsoleUser, browse: Browse, status_code: int, **found: object) -> HTMLResponse:
    return page(
        "console/audit.html",
        status_code,
        user=user,
        title="审计日志",
        active="audit",
        values=browse.values,
        errors=browse.errors,
        labels=LABELS,
        result_names=RESULT_NAMES,
        page_size=PAGE_SIZE,
        **found,
    )
