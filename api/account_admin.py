"""Staff accounts as the administrators manage them (三员, DESIGN §7, docs/security.md "Who
may do what"): the service functions of /api/admin's account routes and of the console's 账号
pages, so both ask, decide and refuse alike.

The sysadmin asks (a new account, a temporary password, a TOTP reset, an administrator
disabled or enabled) and acts alone where no access is given (unlocking, a case worker
disabled or enabled); a secadmin of the account's unit or one above approves or refuses. An
account or request outside the caller's subtree is 404. Each function names the account, its
role and what changed in the request's audit record (`request.state.audit_detail`), refused
attempts included; the caller commits.
"""

from datetime import datetime

from fastapi import HTTPException, Request, status
from sqlmodel import Session

from api.admin_scope import in_scope
from api.security import Staff
from domain.roles import Role
from store.account_requests import (
    RequestRefused,
    approve,
    asked_by,
    changes_of,
    find_request,
    needs_approval,
    pending_requests,
    refuse,
    request_account,
    request_change,
)
from store.accounts import AccountError, find_user, list_users, revoke_user_sessions, unlock
from store.models import AccountRequest, StaffUser
from store.org import ancestor_path, subtree_codes

OUT_OF_SCOPE = "只能为本单位、下级单位及其主管的学校创建用户"
NO_SUCH_USER = "用户不存在"
NO_SUCH_REQUEST = "申请不存在"
NOT_A_DECIDER = "只有安全管理员或申请人本人可以拒绝或撤回申请"
REASON_MAX = 200


def note_audit(request: Request, username: str, role: str, changes: list[str], *extra: str) -> None:
    """Say in the request's audit record which account, which role and what changed."""
    words = [f"user={username}", f"role={role}", f"changed={','.join(changes) or 'none'}"]
    request.state.audit_detail = " ".join([*words, *extra])


def accounts_of(*, session: Session, admin: Staff) -> list[StaffUser]:
    """The accounts of the administrator's unit, the units below it and their schools."""
    units = subtree_codes(session=session, code=admin.unit_code)
    return list_users(session=session, unit_codes=units)


def ask_for_account(
    *,
    session: Session,
    admin: Staff,
    username: str,
    display_name: str,
    unit_code: str,
    role: str,
    password: str,
    now: datetime,
    request: Request,
) -> AccountRequest:
    """The sysadmin's request for a new account in its subtree (403 outside it);
    AccountError naming the field when the account could not be made."""
    note_audit(request, username, role, ["created"], "pending")
    path = ancestor_path(session=session, code=unit_code)
    if path and admin.unit_code not in path:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=OUT_OF_SCOPE)
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 64 or any(ord(c) < 32 or ord(c) == 127 for c in display_name):
        raise AccountError("display_name", ["姓名须为 1 至 64 个字，不含控制字符"])
    row = request_account(
        session=session,
        requested_by=admin.username,
        username=username,
        display_name=display_name,
        unit_code=unit_code,
        role=role,
        password=password,
        now=now,
    )
    note_audit(request, username, role, ["created"], f"request={row.id}", "pending")
    return row


def account_in_scope(*, session: Session, admin: Staff, username: str) -> StaffUser:
    """The account, when it lies in the administrator's subtree; 404 otherwise."""
    user = find_user(session=session, username=username)
    if user is None or not in_scope(session, admin, user.unit_code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_USER)
    return user


def change_account(
    *,
    session: Session,
    admin: Staff,
    username: str,
    active: bool | None = None,
    unlocking: bool = False,
    reset_totp: bool = False,
    password: str | None = None,
    now: datetime,
    request: Request,
) -> StaffUser | AccountRequest:
    """Unlock an account in scope, or disable or enable a case worker's, at once (the
    account); a temporary password, a TOTP reset, or an administrator disabled or enabled
    waits for a secadmin (the request). AccountError naming the field when refused."""
    user = account_in_scope(session=session, admin=admin, username=username)
    assert user.id is not None
    asked = [
        name
        for name, wanted in (
            ("password", password is not None),
            ("totp", reset_totp),
            ("active", active is not None),
            ("unlock", unlocking),
        )
        if wanted
    ]
    note_audit(request, user.username, user.role, asked)
    if active is False and user.id == admin.user_id:
        raise AccountError("active", ["不能停用自己的账号"])
    if needs_approval(user, active=active, reset_totp=reset_totp, password=password):
        row = request_change(
            session=session,
            requested_by=admin.username,
            user=user,
            active=active,
            unlock=unlocking,
            reset_totp=reset_totp,
            password=password,
            now=now,
        )
        note_audit(
            request, user.username, user.role, changes_of(row), f"request={row.id}", "pending"
        )
        return row
    if active is not None:
        user.active = active
        if not active:
            revoke_user_sessions(session=session, user_id=user.id, now=now)
    if unlocking:
        unlock(user=user)
    session.add(user)
    session.flush()
    return user


def pending_for(*, session: Session, admin: Staff, now: datetime) -> list[AccountRequest]:
    """The requests waiting for a decision on accounts of the administrator's subtree,
    oldest first (lapsed ones are not listed)."""
    units = subtree_codes(session=session, code=admin.unit_code)
    return pending_requests(session=session, unit_codes=units, now=now)


def asked_by_admin(*, session: Session, admin: Staff, now: datetime) -> list[AccountRequest]:
    """What became of the requests this administrator asked lately, newest first."""
    return asked_by(session=session, requested_by=admin.username, now=now)


def _request_in_scope(session: Session, admin: Staff, request_id: int) -> AccountRequest:
    row = find_request(session=session, request_id=request_id, for_decision=True)
    if row is None or not in_scope(session, admin, row.unit_code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=NO_SUCH_REQUEST)
    return row


def _refusal(exc: RequestRefused) -> HTTPException:
    code = status.HTTP_403_FORBIDDEN if exc.kind == "forbidden" else status.HTTP_409_CONFLICT
    return HTTPException(code, detail=str(exc))


def _note_decision(request: Request, row: AccountRequest, decision: str) -> None:
    note_audit(request, row.username, row.role, changes_of(row), f"request={row.id}", decision)
    request.state.audit_detail += f" requested_by={row.requested_by}"


def approve_request(
    *, session: Session, admin: Staff, request_id: int, now: datetime, request: Request
) -> AccountRequest:
    """Apply the request: a secadmin of the account's unit or one above (404 outside it),
    neither the account itself nor the asker (403); 409 once decided or lapsed. The owner
    gets a notice naming who asked and who approved."""
    row = _request_in_scope(session, admin, request_id)
    _note_decision(request, row, "approved")
    try:
        approve(
            session=session, row=row, approver=admin.username, approver_role=admin.role, now=now
        )
    except RequestRefused as exc:
        raise _refusal(exc) from None
    return row


def check_reason(reason: str) -> str:
    """The refusal's reason as kept; AccountError("reason") when it cannot be."""
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise AccountError("reason", [f"理由不得超过 {REASON_MAX} 个字"])
    if any(ord(c) < 32 or ord(c) == 127 for c in reason):
        raise AccountError("reason", ["理由不得包含控制字符"])
    return reason


def refuse_request(
    *,
    session: Session,
    admin: Staff,
    request_id: int,
    reason: str,
    now: datetime,
    request: Request,
) -> AccountRequest:
    """Drop the request unapplied, saying why: a secadmin in scope, or the sysadmin who asked
    (withdrawn); 403 for anyone else, 409 once decided or lapsed."""
    row = _request_in_scope(session, admin, request_id)
    _note_decision(request, row, "refused")
    if admin.role != Role.SECADMIN and admin.username != row.requested_by:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=NOT_A_DECIDER)
    kept = check_reason(reason)
    try:
        refuse(session=session, row=row, by=admin.username, now=now, reason=kept)
    except RequestRefused as exc:
        raise _refusal(exc) from None
    return row
