"""/api/admin: the password policy (secadmin) and staff accounts (sysadmin, own subtree: its
units and the schools they supervise)."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from sqlmodel import Session

from api.deps import ClockDep, SecadminDep, SessionDep, SysadminDep
from api.schemas.admin import NewUser, Policy, UserChange, UserView
from api.security import Staff, check_national, field_error
from store.accounts import (
    AccountError,
    create_user,
    find_user,
    get_policy,
    list_users,
    reset_password,
    revoke_user_sessions,
    unlock,
    update_policy,
)
from store.logins import reset_totp
from store.models import PasswordPolicyBase
from store.org import ancestor_path, subtree_codes

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/password-policy")
def read_policy(_: SecadminDep, session: SessionDep) -> Policy:
    return Policy.model_validate(get_policy(session=session), from_attributes=True)


@router.put("/password-policy")
def write_policy(body: Policy, staff: SecadminDep, session: SessionDep) -> Policy:
    """The national password policy: the Ministry's security administrator only (403)."""
    check_national(session, staff, "密码策略全国统一，只有教育部的安全管理员可以修改")
    update_policy(session=session, values=PasswordPolicyBase(**body.model_dump()))
    session.commit()
    return body


def _in_scope(session: Session, admin: Staff, unit_code: str) -> bool:
    """Is the unit (or school) the administrator's own unit or below it?"""
    return admin.unit_code in ancestor_path(session=session, code=unit_code)


@router.post("/users", status_code=status.HTTP_201_CREATED)
def add_user(body: NewUser, admin: SysadminDep, session: SessionDep, clock: ClockDep) -> UserView:
    """A new account of the administrator's unit, a subordinate unit or a school one of them
    supervises (a school's: clerk or handler only); the user must change the password at the
    first login."""
    path = ancestor_path(session=session, code=body.unit_code)
    if path and admin.unit_code not in path:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="只能为本单位、下级单位及其主管的学校创建用户"
        )
    try:
        user = create_user(
            session=session,
            username=body.username,
            display_name=body.display_name,
            unit_code=body.unit_code,
            role=body.role,
            password=body.password,
            now=clock(),
            must_change_password=True,
        )
        view = UserView.of(user)
        session.commit()
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
    return view


@router.get("/users")
def users(admin: SysadminDep, session: SessionDep) -> list[UserView]:
    """The accounts of the administrator's unit, its subordinate units and their schools."""
    units = subtree_codes(session=session, code=admin.unit_code)
    return [UserView.of(user) for user in list_users(session=session, unit_codes=units)]


@router.patch("/users/{username}", responses={404: {}})
def change_user(
    username: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")],
    body: UserChange,
    admin: SysadminDep,
    session: SessionDep,
    clock: ClockDep,
) -> UserView:
    """Disable or enable, unlock, reset the password or the TOTP of an account in scope."""
    now = clock()
    user = find_user(session=session, username=username)
    if user is None or not _in_scope(session, admin, user.unit_code):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="用户不存在")
    assert user.id is not None
    if body.active is False and user.id == admin.user_id:
        raise field_error("active", ["不能停用自己的账号"])
    try:
        if body.active is not None:
            user.active = body.active
            if not body.active:
                revoke_user_sessions(session=session, user_id=user.id, now=now)
        if body.unlock:
            unlock(user=user)
        if body.reset_totp:
            reset_totp(session=session, user=user, now=now)
        if body.password is not None:
            reset_password(session=session, user=user, password=body.password, now=now)
        session.add(user)
        session.flush()
        view = UserView.of(user)
        session.commit()
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
    return view
