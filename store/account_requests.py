"""Account changes that need two administrators (三员, DESIGN §7): the sysadmin asks, a
secadmin approves or refuses, and only the approval applies the change.

Which changes: making any account (the secadmin grants its role), setting a temporary
password or forgetting the second factor of any account (re-credentialing), and disabling or
enabling an administrator's account. Unlocking, and disabling or enabling a case worker's
account, stay with the sysadmin alone (`needs_approval`). The owner of an account is told of
every approved change by a notice of their own (read at GET /api/auth/me and in the inbox);
a temporary password must be changed at the first login.

Every function works in the caller's session (the caller commits) and takes an aware `now`.
"""

from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_
from sqlmodel import Session, col, select

from domain.roles import ADMIN_ROLES, ROLE_NAMES, Role
from store.accounts import (
    AccountError,
    check_new_user,
    check_password_policy,
    find_user,
    hash_password,
    new_user,
    revoke_user_sessions,
    set_password_hash,
    set_temporary_password,
    unlock,
)
from store.logins import reset_totp
from store.models import AccountRequest, OutboxRow, School, StaffUser

REQUEST_LIFETIME = timedelta(days=7)  # an approval long after the request is a new decision
ASKED_SHOWN = timedelta(days=30)  # how long the asker's list shows a decided request
NOTICE_KIND = "account"
APPROVER_ROLE = Role.SECADMIN


class RequestRefused(Exception):
    """The request cannot be decided so: `kind` "forbidden" (not this administrator) or
    "conflict" (no longer possible); `str()` is for the person, in Chinese."""

    def __init__(self, kind: Literal["forbidden", "conflict"], reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


def needs_approval(
    user: StaffUser, *, active: bool | None, reset_totp: bool, password: str | None
) -> bool:
    """Whether this change of an existing account waits for a secadmin's approval."""
    return password is not None or reset_totp or (active is not None and user.role in ADMIN_ROLES)


def request_account(
    *,
    session: Session,
    requested_by: str,
    username: str,
    display_name: str,
    unit_code: str,
    role: str,
    password: str,
    now: datetime,
) -> AccountRequest:
    """A request to make the account; AccountError naming the field when it would be refused."""
    check_new_user(
        session=session, username=username, unit_code=unit_code, role=role, password=password
    )
    _check_not_pending(
        session, username, now, field="username", asking=col(AccountRequest.kind) == "create"
    )
    row = AccountRequest(
        kind="create",
        username=username,
        display_name=display_name or username,
        unit_code=unit_code,
        role=role,
        password_hash=hash_password(password),
        requested_by=requested_by,
        requested_at=now,
    )
    session.add(row)
    session.flush()
    return row


def request_change(
    *,
    session: Session,
    requested_by: str,
    user: StaffUser,
    active: bool | None,
    unlock: bool,
    reset_totp: bool,
    password: str | None,
    now: datetime,
) -> AccountRequest:
    """A request to change the account so; AccountError when the password is refused."""
    if password is not None:
        asking = col(AccountRequest.password_hash).is_not(None)
        _check_not_pending(session, user.username, now, field="password", asking=asking)
    if reset_totp:
        asking = col(AccountRequest.reset_totp).is_(True)
        _check_not_pending(session, user.username, now, field="reset_totp", asking=asking)
    password_hash = None
    if password is not None:
        problems = check_password_policy(
            session=session, username=user.username, password=password, user_id=user.id
        )
        if problems:
            raise AccountError("password", problems)
        password_hash = hash_password(password)
    row = AccountRequest(
        kind="change",
        username=user.username,
        display_name=user.display_name,
        unit_code=user.unit_code,
        role=user.role,
        password_hash=password_hash,
        reset_totp=reset_totp,
        active=active,
        unlock=unlock,
        requested_by=requested_by,
        requested_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _check_not_pending(
    session: Session, username: str, now: datetime, *, field: str, asking: Any
) -> None:
    """One pending request at a time for the same credential (a new account, a temporary
    password, a TOTP reset): a second ask, or a form sent twice, is refused (422 naming
    `field`), so the first ask's password stays the only one."""
    query = (
        select(AccountRequest.id)
        .where(AccountRequest.username == username)
        .where(AccountRequest.status == "pending")
        .where(col(AccountRequest.requested_at) > now - REQUEST_LIFETIME)
        .where(asking)
    )
    pending = session.exec(query).first()
    if pending is not None:
        raise AccountError(
            field,
            [f"账号 {username} 已有同类待批准的申请（编号 {pending}），请等待处理或撤回后再申请"],
        )


def changes_of(row: AccountRequest) -> list[str]:
    """What the request changes, as the audit record names it."""
    if row.kind == "create":
        return ["created"]
    named = [
        ("password", row.password_hash is not None),
        ("totp", row.reset_totp),
        ("active", row.active is not None),
        ("unlock", row.unlock),
    ]
    return [name for name, asked in named if asked]


def find_request(
    *, session: Session, request_id: int, for_decision: bool = False
) -> AccountRequest | None:
    """The request; `for_decision` locks its row until the caller commits (PostgreSQL), so
    two administrators deciding at once decide one after the other."""
    return session.get(AccountRequest, request_id, with_for_update=for_decision)


def pending_requests(
    *, session: Session, unit_codes: set[str], now: datetime
) -> list[AccountRequest]:
    """The undecided, unexpired requests for accounts of these units and their schools,
    oldest first."""
    schools = select(School.code).where(col(School.unit_code).in_(unit_codes))
    belongs = or_(
        col(AccountRequest.unit_code).in_(unit_codes), col(AccountRequest.unit_code).in_(schools)
    )
    query = (
        select(AccountRequest)
        .where(belongs)
        .where(AccountRequest.status == "pending")
        .where(col(AccountRequest.requested_at) > now - REQUEST_LIFETIME)
        .order_by(col(AccountRequest.requested_at), col(AccountRequest.id))
    )
    return list(session.exec(query))


def asked_by(*, session: Session, requested_by: str, now: datetime) -> list[AccountRequest]:
    """The requests this administrator asked, pending or decided within ASKED_SHOWN, newest
    first: what became of each."""
    query = (
        select(AccountRequest)
        .where(AccountRequest.requested_by == requested_by)
        .where(col(AccountRequest.requested_at) > now - ASKED_SHOWN)
        .order_by(col(AccountRequest.requested_at).desc(), col(AccountRequest.id).desc())
    )
    return list(session.exec(query))


def state_of(row: AccountRequest, now: datetime) -> str:
    """pending, approved, refused, or lapsed (pending past REQUEST_LIFETIME)."""
    if row.status == "pending" and row.requested_at <= now - REQUEST_LIFETIME:
        return "lapsed"
    return row.status


def approve(
    *, session: Session, row: AccountRequest, approver: str, approver_role: str, now: datetime
) -> StaffUser:
    """Apply the request as `approver` decided, tell the owner, and return the account."""
    _check_decidable(row, now)
    if approver_role != APPROVER_ROLE:
        raise RequestRefused("forbidden", "账号申请须由安全管理员批准")
    if approver in (row.username, row.requested_by):
        raise RequestRefused("forbidden", "不能批准对本人账号的申请，须由另一位安全管理员批准")
    user = _create(session, row, now) if row.kind == "create" else _change(session, row, now)
    row.status, row.decided_by, row.decided_at = "approved", approver, now
    session.add(row)
    _tell_owner(session, row, now)
    session.flush()
    return user


def refuse(
    *, session: Session, row: AccountRequest, by: str, now: datetime, reason: str = ""
) -> None:
    """Drop the request unapplied (the requester may withdraw it too), saying why."""
    _check_decidable(row, now)
    row.status, row.decided_by, row.decided_at = "refused", by, now
    row.reason = reason
    session.add(row)
    session.flush()


def _check_decidable(row: AccountRequest, now: datetime) -> None:
    if row.status != "pending":
        decided = "批准" if row.status == "approved" else "拒绝"
        raise RequestRefused("conflict", f"该申请已由 {row.decided_by} {decided}，不能再处理")
    if row.requested_at <= now - REQUEST_LIFETIME:
        raise RequestRefused(
            "conflict", f"该申请已超过 {REQUEST_LIFETIME.days} 天未处理，已失效，请重新申请"
        )


def _create(session: Session, row: AccountRequest, now: datetime) -> StaffUser:
    try:
        check_new_user(
            session=session,
            username=row.username,
            unit_code=row.unit_code,
            role=row.role,
            password=None,
        )
    except AccountError as exc:
        raise RequestRefused("conflict", "；".join(exc.reasons)) from None
    assert row.password_hash is not None
    user = new_user(
        username=row.username,
        unit_code=row.unit_code,
        role=row.role,
        now=now,
        display_name=row.display_name,
        must_change_password=True,
    )
    set_password_hash(session=session, user=user, password_hash=row.password_hash, now=now)
    return user


def _change(session: Session, row: AccountRequest, now: datetime) -> StaffUser:
    user = find_user(session=session, username=row.username)
    if user is None or (user.unit_code, user.role) != (row.unit_code, row.role):
        raise RequestRefused("conflict", f"账号 {row.username} 已不存在或已变更，请重新申请")
    assert user.id is not None
    if row.active is not None:
        user.active = row.active
        if not row.active:
            revoke_user_sessions(session=session, user_id=user.id, now=now)
    if row.unlock:
        unlock(user=user)
    if row.reset_totp:
        reset_totp(session=session, user=user, now=now)
    if row.password_hash is not None:
        set_temporary_password(session=session, user=user, password_hash=row.password_hash, now=now)
    session.add(user)
    return user


def _tell_owner(session: Session, row: AccountRequest, now: datetime) -> None:
    """The owner's own notice of the change: who asked, who approved, what to do."""
    who = f"由 {row.requested_by} 申请、{row.decided_by} 批准"
    unknown = "如非您本人申请，请立即联系本单位安全管理员。"
    if row.kind == "create":
        role = ROLE_NAMES.get(Role(row.role), row.role)
        text = f"您的账号已开通（{role}），{who}。首次登录须修改初始密码。{unknown}"
    else:
        parts = []
        if row.password_hash is not None:
            parts.append("密码已重置为临时密码（登录后须立即修改）")
        if row.reset_totp:
            parts.append("动态口令已重置（登录后须重新绑定）")
        if row.active is not None:
            parts.append("账号已启用" if row.active else "账号已停用")
        if row.unlock:
            parts.append("账号已解锁")
        text = f"您的账号{'，'.join(parts)}，{who}。{unknown}"
    session.add(
        OutboxRow(
            key=f"account-request:{row.id}:@{row.username}",
            case_id="",
            kind=NOTICE_KIND,
            recipient_user=row.username,
            text=text,
            created_at=now,
        )
    )
