"""账号 in the console: the administrators' work on staff accounts (三员, docs/security.md),
through the service of the JSON routes (api/account_admin.py).

The sysadmin sees the accounts of its subtree with their lockout state, unlocks one, disables
or enables a case worker's at once, and asks for what gives access (a new account, a
temporary password, a TOTP reset, an administrator disabled or enabled); the secadmin in
scope approves or refuses (with a reason), and the sysadmin sees what became of each ask.
The console makes each password itself (a random one the policy accepts) and shows it once,
in the answer to the ask: it is kept only hashed, the page is not cached, and a second ask
for the same credential while the first is pending is refused, so a resent form shows none.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api import account_admin
from api.admin_scope import in_scope
from api.case_names import Names
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, acting_as
from api.console.render import page
from api.deps import ClockDep, SessionDep
from domain.roles import ADMIN_ROLES, Role
from store.account_requests import changes_of, find_request, needs_approval, state_of
from store.accounts import AccountError, temporary_password
from store.models import AccountRequest, StaffUser

router = APIRouter(prefix=f"{PATH}/accounts", tags=["console"], default_response_class=HTMLResponse)

ACCOUNT_ADMINS = (Role.SYSADMIN, Role.SECADMIN)
TITLE = "账号"
Username = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")]
RequestId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ACTIONS = ("password", "totp", "disable", "enable", "unlock")


async def _admin(user: ConsoleUserDep) -> ConsoleUser:
    acting_as(user, ACCOUNT_ADMINS)
    return user


async def _posting_sysadmin(user: PostedByDep) -> ConsoleUser:
    acting_as(user, (Role.SYSADMIN,))
    return user


async def _posting_secadmin(user: PostedByDep) -> ConsoleUser:
    acting_as(user, (Role.SECADMIN,))
    return user


async def _posting_admin(user: PostedByDep) -> ConsoleUser:
    acting_as(user, ACCOUNT_ADMINS)
    return user


async def _sysadmin(user: ConsoleUserDep) -> ConsoleUser:
    acting_as(user, (Role.SYSADMIN,))
    return user


AdminDep = Annotated[ConsoleUser, Depends(_admin)]
SysadminDep = Annotated[ConsoleUser, Depends(_sysadmin)]
PostingSysadminDep = Annotated[ConsoleUser, Depends(_posting_sysadmin)]
PostingSecadminDep = Annotated[ConsoleUser, Depends(_posting_secadmin)]
PostingAdminDep = Annotated[ConsoleUser, Depends(_posting_admin)]


@router.get("")
def accounts(
    user: AdminDep,
    session: SessionDep,
    clock: ClockDep,
    decided: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> HTMLResponse:
    """The sysadmin's accounts (with lockout state) and its own asks; the requests waiting
    for a decision, for both; what was just decided (`decided`)."""
    now = clock()
    staff = user.staff
    sysadmin = staff.role == Role.SYSADMIN
    shown = None
    if decided is not None:
        row = find_request(session=session, request_id=decided)
        if row is not None and in_scope(session, staff, row.unit_code):
            shown = row
    return page(
        "console/accounts.html",
        user=user,
        title=TITLE,
        active="accounts",
        names=Names(session),
        now=now,
        sysadmin=sysadmin,
        users=account_admin.accounts_of(session=session, admin=staff) if sysadmin else [],
        pending=account_admin.pending_for(session=session, admin=staff, now=now),
        own_asks=account_admin.asked_by_admin(session=session, admin=staff, now=now),
        decided=shown,
        changes_of=changes_of,
        state_of=state_of,
    )


# ---------------------------------------------------------------- a new account


def _new_form(
    user: ConsoleUser, status_code: int = 200, problem: AccountError | None = None, **typed: str
) -> HTMLResponse:
    return page(
        "console/account_new.html",
        status_code,
        user=user,
        title="申请开通账号",
        active="accounts",
        roles=list(Role),
        typed=typed,
        problem=problem,
    )


@router.get("/new")
def new_account_form(user: SysadminDep) -> HTMLResponse:
    return _new_form(user)


@router.post("/new")
def ask_for_account(
    user: PostingSysadminDep,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    unit_code: Annotated[str, Form(max_length=20)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse:
    """Ask for the account with a password made here, shown on this answer only; the form
    again (422) naming the field when it cannot be asked, 403 outside the subtree."""
    typed = {
        "username": username.strip(),
        "display_name": display_name,
        "unit_code": unit_code.strip(),
        "role": role,
    }
    try:
        password = temporary_password(session=session, username=typed["username"])
        row = account_admin.ask_for_account(
            session=session,
            admin=user.staff,
            username=typed["username"],
            display_name=display_name,
            unit_code=typed["unit_code"],
            role=role,
            password=password,
            now=clock(),
            request=request,
        )
    except AccountError as exc:
        return _new_form(user, 422, exc, **typed)
    session.commit()
    return _asked(user, session, row, password)


def _asked(
    user: ConsoleUser, session: Session, row: AccountRequest, password: str | None
) -> HTMLResponse:
    """The ask's answer: the request, and the password it carries (this once)."""
    return page(
        "console/account_asked.html",
        user=user,
        title="申请已提交",
        active="accounts",
        names=Names(session),
        row=row,
        changes=changes_of(row),
        password=password,
    )


# ---------------------------------------------------------------- one account


def _account_page(
    user: ConsoleUser,
    session: Session,
    account: StaffUser,
    now: datetime,
    status_code: int = 200,
    problem: AccountError | None = None,
    done: str = "",
) -> HTMLResponse:
    return page(
        "console/account.html",
        status_code,
        user=user,
        title=f"账号 {account.username}",
        active="accounts",
        names=Names(session),
        account=account,
        now=now,
        is_admin_account=account.role in ADMIN_ROLES,
        active_needs_approval=needs_approval(
            account, active=not account.active, reset_totp=False, password=None
        ),
        own=account.id == user.staff.user_id,
        problem=problem,
        done=done,
    )


@router.get("/users/{username}")
def account(
    user: SysadminDep, username: Username, session: SessionDep, clock: ClockDep
) -> Response:
    """One account of the subtree (404 outside it): its state and what may be done."""
    found = account_admin.account_in_scope(session=session, admin=user.staff, username=username)
    return _account_page(user, session, found, clock())


@router.post("/users/{username}")
def change_account(
    user: PostingSysadminDep,
    username: Username,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    action: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """One change (`action`): unlock, or disable or enable a case worker's account, at once;
    ask for a temporary password (made here and shown once), a TOTP reset, or an
    administrator disabled or enabled."""
    found = account_admin.account_in_scope(session=session, admin=user.staff, username=username)
    now = clock()
    if action not in ACTIONS:
        problem = AccountError("action", ["请选择要办理的事项"])
        return _account_page(user, session, found, now, 422, problem)
    password = None
    if action == "password":
        password = temporary_password(session=session, username=found.username)
    try:
        changed = account_admin.change_account(
            session=session,
            admin=user.staff,
            username=found.username,
            active={"disable": False, "enable": True}.get(action),
            unlocking=action == "unlock",
            reset_totp=action == "totp",
            password=password,
            now=now,
            request=request,
        )
    except AccountError as exc:  # refused before anything changed
        return _account_page(user, session, found, now, 422, exc)
    session.commit()
    if isinstance(changed, AccountRequest):
        return _asked(user, session, changed, password)
    return _account_page(user, session, changed, now, done=action)


# ---------------------------------------------------------------- decisions


@router.post("/requests/{request_id}/approve")
def approve(
    user: PostingSecadminDep,
    request_id: RequestId,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
) -> Response:
    """Approve (a secadmin in scope, not the account's own): applied at once, the owner told;
    403 / 404 / 409 as a page with the reason."""
    account_admin.approve_request(
        session=session, admin=user.staff, request_id=request_id, now=clock(), request=request
    )
    session.commit()
    return RedirectResponse(f"{PATH}/accounts?decided={request_id}", status_code=303)


@router.post("/requests/{request_id}/refuse")
def refuse(
    user: PostingAdminDep,
    request_id: RequestId,
    session: SessionDep,
    clock: ClockDep,
    request: Request,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Refuse with a reason (a secadmin in scope), or withdraw (the sysadmin who asked)."""
    try:
        account_admin.refuse_request(
            session=session,
            admin=user.staff,
            request_id=request_id,
            reason=reason,
            now=clock(),
            request=request,
        )
    except AccountError as exc:
        return page(
            "console/problem.html",
            422,
            user=user,
            title="无法办理",
            detail=f"理由：{exc.reasons[0]}",
        )
    session.commit()
    return RedirectResponse(f"{PATH}/accounts?decided={request_id}", status_code=303)
