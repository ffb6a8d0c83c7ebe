"""/api/admin: the password policy (secadmin; changed by the Ministry's only) and staff
accounts (sysadmin, own subtree: its units and the schools they supervise).

三员 (DESIGN §7, docs/security.md "Who may do what"): the sysadmin makes accounts and asks for
re-credentialing; a secadmin of a unit above the account approves (grants the role), and
only the approval applies it (store/account_requests.py). Each account route names the
account, its role and what changed in its audit record (`request.state.audit_detail`).
"""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api.admin_scope import in_scope
from api.deps import AccountAdminDep, ClockDep, SecadminDep, SessionDep, SysadminDep
from api.password_policy import change_policy, current_policy
from api.schemas.admin import AccountRequestView, NewUser, Policy, UserChange, UserView
from api.security import Staff, field_error
from domain.roles import Role
from store.account_requests import (
    RequestRefused,
    approve,
    changes_of,
    find_request,
    needs_approval,
    pending_requests,
    refuse,
    request_account,
    request_change,
)
from store.accounts import (
    AccountError,
    find_user,
    list_users,
    revoke_user_sessions,
    unlock,
)
from store.models import AccountRequest
from store.org import ancestor_path, subtree_codes

router = APIRouter(prefix="/api/admin", tags=["admin"])

RequestId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/password-policy")
def read_policy(_: SecadminDep, session: SessionDep) -> Policy:
    return current_policy(session)


@router.put("/password-policy", responses={403: {}})
def write_policy(body: Policy, admin: SecadminDep, session: SessionDep) -> Policy:
    """The one national policy: a secadmin of the Ministry (the top unit) only."""
    return change_policy(session, admin, body)


def _audit(request: Request, username: str, role: str, changes: list[str], *extra: str) -> None:
    """Say in the request's audit record which account, which role and what changed."""
    words = [f"user={username}", f"role={role}", f"changed={','.join(changes) or 'none'}"]
    request.state.audit_detail = " ".join([*words, *extra])


def _request_detail(row: AccountRequest) -> str:
    return f"request={row.id}"


@router.post("/users", status_code=status.HTTP_202_ACCEPTED, responses={403: {}, 422: {}})
def add_user(
    body: NewUser, admin: SysadminDep, session: SessionDep, clock: ClockDep, request: Request
) -> AccountRequestView:
    """Ask for a new account of the administrator's unit, a subordinate unit or a school one
    of them supervises (a school's: clerk or handler only). It exists once a secadmin
    approves (POST /api/admin/account-requests/{id}/approve); the user must change the
    password at the first login."""
    _audit(request, body.username, body.role, ["created"], "pending")
    path = ancestor_path(session=session, code=body.unit_code)
    if path and admin.unit_code not in path:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="只能为本单位、下级单位及其主管的学校创建用户"
        )
    try:
        row = request_account(
            session=session,
            requested_by=admin.username,
            username=body.username,
            display_name=body.display_name,
            unit_code=body.unit_code,
            role=body.role,
            password=body.password,
            now=clock(),
        )
        view = AccountRequestView.of(row)
        session.commit()
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
    _audit(request, body.username, body.role, ["created"], _request_detail(row), "pending")
    return view


@router.get("/users")
def users(admin: SysadminDep, session: SessionDep) -> list[UserView]:
    """The accounts of the administrator's unit, its subordinate units and their schools."""
    units = subtree_codes(session=session, code=admin.unit_code)
    return [UserView.of(user) for user in list_users(session=session, unit_codes=units)]


def _asked(body: UserChange) -> list[str]:
    named = [
        ("password", body.password is not None),
        ("totp", body.reset_totp),
        ("active", body.active is not None),
        ("unlock", body.unlock),
    ]
    return [name for name, asked in named if asked]


@router.patch("/users/{username}", responses={202: {"model": AccountRequestView}, 404: {}, 422: {}})
def change_user(
    username: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")],
    body: UserChange,
    admin: SysadminDep,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
) -> Any:
    """Unlock an account in scope, or disable or enable a case worker's: done at once (200).
    A temporary password, a reset of the TOTP, or disabling or enabling an administrator's
    account waits for a secadmin's approval: the answer is the request (202), and nothing
    changes until then."""
    now = clock()
    user = find_user(session=session, username=username)
    if user is None or not in_scope(session, admin, user.unit_code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="用户不存在")
    assert user.id is not None
    _audit(request, user.username, user.role, _asked(body))
    if body.active is False and user.id == admin.user_id:
        raise field_error("active", ["不能停用自己的账号"])
    try:
        if needs_approval(
            user, active=body.active, reset_totp=body.reset_totp, password=body.password
        ):
            row = request_change(
                session=session,
                requested_by=admin.username,
                user=user,
                active=body.active,
                unlock=body.unlock,
                reset_totp=body.reset_totp,
                password=body.password,
                now=now,
            )
            pending = AccountRequestView.of(row)
            session.commit()
            _audit(
                request, user.username, user.role, changes_of(row), f"request={row.id}", "pending"
            )
            return JSONResponse(jsonable_encoder(pending), status_code=status.HTTP_202_ACCEPTED)
        if body.active is not None:
            user.active = body.active
            if not body.active:
                revoke_user_sessions(session=session, user_id=user.id, now=now)
        if body.unlock:
            unlock(user=user)
        session.add(user)
        session.flush()
        view = UserView.of(user)
        session.commit()
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
    return view


def _scoped_request(session: Session, admin: Staff, request_id: int) -> AccountRequest:
    row = find_request(session=session, request_id=request_id, for_decision=True)
    if row is None or not in_scope(session, admin, row.unit_code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="申请不存在")
    return row


def _refusal(exc: RequestRefused) -> HTTPException:
    code = status.HTTP_403_FORBIDDEN if exc.kind == "forbidden" else status.HTTP_409_CONFLICT
    return HTTPException(code, detail=str(exc))


@router.get("/account-requests")
def account_requests(
    admin: AccountAdminDep, session: SessionDep, clock: ClockDep
) -> list[AccountRequestView]:
    """The requests waiting for a decision, for accounts of the administrator's subtree,
    oldest first (requests older than 7 days have lapsed and are not listed)."""
    units = subtree_codes(session=session, code=admin.unit_code)
    rows = pending_requests(session=session, unit_codes=units, now=clock())
    return [AccountRequestView.of(row) for row in rows]


@router.post("/account-requests/{request_id}/approve", responses={403: {}, 404: {}, 409: {}})
def approve_request(
    request_id: RequestId,
    admin: SecadminDep,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
) -> AccountRequestView:
    """Apply the request: a secadmin of the account's unit or a unit above it, not the
    account itself. The owner gets a notice saying who asked and who approved."""
    row = _scoped_request(session, admin, request_id)
    _audit(request, row.username, row.role, changes_of(row), _request_detail(row), "approved")
    request.state.audit_detail += f" requested_by={row.requested_by}"
    try:
        approve(
            session=session, row=row, approver=admin.username, approver_role=admin.role, now=clock()
        )
        view = AccountRequestView.of(row)
        session.commit()
    except RequestRefused as exc:
        raise _refusal(exc) from None
    return view


@router.post("/account-requests/{request_id}/refuse", responses={403: {}, 404: {}, 409: {}})
def refuse_request(
    request_id: RequestId,
    admin: AccountAdminDep,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
) -> AccountRequestView:
    """Drop the request unapplied: a secadmin in scope, or the sysadmin who asked (withdrawn)."""
    row = _scoped_request(session, admin, request_id)
    _audit(request, row.username, row.role, changes_of(row), _request_detail(row), "refused")
    request.state.audit_detail += f" requested_by={row.requested_by}"
    if admin.role != Role.SECADMIN and admin.username != row.requested_by:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="只有安全管理员或申请人本人可以拒绝或撤回申请"
        )
    try:
        refuse(session=session, row=row, by=admin.username, now=clock())
        view = AccountRequestView.of(row)
        session.commit()
    except RequestRefused as exc:
        raise _refusal(exc) from None
    return view
