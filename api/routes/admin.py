"""/api/admin: the password policy (secadmin; changed by the Ministry's only) and staff
accounts (sysadmin, own subtree: its units and the schools they supervise).

三员 (DESIGN §7, docs/security.md "Who may do what"): the sysadmin makes accounts and asks for
re-credentialing; a secadmin of a unit above the account approves (grants the role), and
only the approval applies it (store/account_requests.py). Each account route names the
account, its role and what changed in its audit record (`request.state.audit_detail`).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.account_admin import (
    accounts_of,
    ask_for_account,
    asked_by_admin,
    change_account,
    pending_for,
)
from api.account_admin import approve_request as approve_account_request
from api.account_admin import refuse_request as refuse_account_request
from api.deps import AccountAdminDep, ClockDep, SecadminDep, SessionDep, SysadminDep
from api.password_policy import change_policy, current_policy
from api.schemas.admin import (
    AccountRequestView,
    NewUser,
    Policy,
    RequestRefusal,
    UserChange,
    UserView,
)
from api.security import field_error
from store.accounts import AccountError
from store.models import AccountRequest

router = APIRouter(prefix="/api/admin", tags=["admin"])

RequestId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.get("/password-policy")
def read_policy(_: SecadminDep, session: SessionDep) -> Policy:
    return current_policy(session)


@router.put("/password-policy", responses={403: {}})
def write_policy(body: Policy, admin: SecadminDep, session: SessionDep) -> Policy:
    """The one national policy: a secadmin of the Ministry (the top unit) only."""
    return change_policy(session, admin, body)


@router.post("/users", status_code=status.HTTP_202_ACCEPTED, responses={403: {}, 422: {}})
def add_user(
    body: NewUser, admin: SysadminDep, session: SessionDep, clock: ClockDep, request: Request
) -> AccountRequestView:
    """Ask for a new account of the administrator's unit, a subordinate unit or a school one
    of them supervises (a school's: clerk or handler only). It exists once a secadmin
    approves (POST /api/admin/account-requests/{id}/approve); the user must change the
    password at the first login."""
    try:
        row = ask_for_account(
            session=session,
            admin=admin,
            username=body.username,
            display_name=body.display_name,
            unit_code=body.unit_code,
            role=body.role,
            password=body.password,
            now=clock(),
            request=request,
        )
        view = AccountRequestView.of(row)
        session.commit()
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
    return view


@router.get("/users")
def users(admin: SysadminDep, session: SessionDep) -> list[UserView]:
    """The accounts of the administrator's unit, its subordinate units and their schools."""
    return [UserView.of(user) for user in accounts_of(session=session, admin=admin)]


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
    try:
        changed = change_account(
            session=session,
            admin=admin,
            username=username,
            active=body.active,
            unlocking=body.unlock,
            reset_totp=body.reset_totp,
            password=body.password,
            now=clock(),
            request=request,
        )
        if isinstance(changed, AccountRequest):
            pending = AccountRequestView.of(changed)
            session.commit()
            return JSONResponse(jsonable_encoder(pending), status_code=status.HTTP_202_ACCEPTED)
        view = UserView.of(changed)
        session.commit()
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
    return view


@router.get("/account-requests")
def account_requests(
    admin: AccountAdminDep,
    session: SessionDep,
    clock: ClockDep,
    mine: Annotated[bool, Query(description="the caller's own requests, any state")] = False,
) -> list[AccountRequestView]:
    """The requests waiting for a decision, for accounts of the administrator's subtree,
    oldest first (requests older than 7 days have lapsed and are not listed); with `mine`,
    the requests the caller asked in the last 30 days, newest first, each with its state
    (`lapsed`: never decided within 7 days) and a refusal's reason."""
    now = clock()
    if mine:
        rows = asked_by_admin(session=session, admin=admin, now=now)
    else:
        rows = pending_for(session=session, admin=admin, now=now)
    return [AccountRequestView.of(row, now) for row in rows]


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
    row = approve_account_request(
        session=session, admin=admin, request_id=request_id, now=clock(), request=request
    )
    view = AccountRequestView.of(row)
    session.commit()
    return view


@router.post(
    "/account-requests/{request_id}/refuse", responses={403: {}, 404: {}, 409: {}, 422: {}}
)
def refuse_request(
    request_id: RequestId,
    admin: AccountAdminDep,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    body: RequestRefusal | None = None,
) -> AccountRequestView:
    """Drop the request unapplied: a secadmin in scope, or the sysadmin who asked (withdrawn);
    `reason` is shown to the asker."""
    try:
        row = refuse_account_request(
            session=session,
            admin=admin,
            request_id=request_id,
            reason=body.reason if body else "",
            now=clock(),
            request=request,
        )
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
    view = AccountRequestView.of(row)
    session.commit()
    return view
