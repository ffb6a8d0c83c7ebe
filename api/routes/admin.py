"""/api/admin: the password policy (secadmin) and staff accounts (sysadmin, own subtree)."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, status
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.answers import Reply
from api.deps import ClockDep, EngineDep, SecadminDep, SysadminDep
from api.security import Staff, field_error
from store.accounts import (
    PASSWORD_HISTORY_MAX,
    AccountError,
    create_user,
    find_user,
    get_policy,
    list_users,
    reset_password,
    reset_totp,
    revoke_user_sessions,
    unlock,
    update_policy,
)
from store.db import session_scope
from store.models import PasswordPolicyBase, StaffUser
from store.org import ancestor_path, subtree_codes

router = APIRouter(prefix="/api/admin", tags=["admin"])

Role = Literal["clerk", "handler", "leader", "sysadmin", "secadmin", "auditor"]
DisplayName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
NewPassword = Annotated[str, Field(min_length=1, max_length=256)]


class Policy(BaseModel):
    """Bounds keep a careless edit from switching a protection off entirely."""

    min_length: int = Field(ge=8, le=128)
    min_kinds: int = Field(ge=1, le=4)
    history: int = Field(ge=0, le=PASSWORD_HISTORY_MAX)
    expiry_days: int = Field(ge=0, le=3650, description="0: passwords never expire")
    max_failures: int = Field(ge=1, le=100)
    lock_minutes: int = Field(ge=1, le=1440)
    idle_minutes: int = Field(ge=1, le=1440)


class NewUser(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{2,31}$")
    display_name: DisplayName
    unit_code: str = Field(pattern=r"^\d{6}$")
    role: Role
    password: NewPassword


class UserChange(BaseModel):
    active: bool | None = None
    unlock: bool = False
    reset_totp: bool = False
    password: NewPassword | None = Field(None, description="新密码；用户下次登录须修改")


class UserView(Reply):
    username: str
    display_name: str
    unit_code: str
    role: str
    active: bool
    locked_until: datetime | None
    totp_enrolled: bool
    password_changed_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, user: StaffUser) -> "UserView":
        return cls.model_validate(user, from_attributes=True)


@router.get("/password-policy")
def read_policy(_: SecadminDep, engine: EngineDep) -> Policy:
    with session_scope(engine) as session:
        return Policy.model_validate(get_policy(session=session), from_attributes=True)


@router.put("/password-policy")
def write_policy(body: Policy, _: SecadminDep, engine: EngineDep) -> Policy:
    with session_scope(engine) as session:
        update_policy(session=session, values=PasswordPolicyBase(**body.model_dump()))
    return body


def _in_scope(session: Session, admin: Staff, unit_code: str) -> bool:
    """Is the unit the administrator's own unit or below it?"""
    return admin.unit_code in ancestor_path(session=session, code=unit_code)


@router.post("/users", status_code=status.HTTP_201_CREATED)
def add_user(body: NewUser, admin: SysadminDep, engine: EngineDep, clock: ClockDep) -> UserView:
    """A new account of the administrator's unit or a subordinate unit; the user must change
    the password at the first login."""
    try:
        with session_scope(engine) as session:
            path = ancestor_path(session=session, code=body.unit_code)
            if path and admin.unit_code not in path:
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN, detail="只能为本单位及下级单位创建用户"
                )
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
            return UserView.of(user)
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None


@router.get("/users")
def users(admin: SysadminDep, engine: EngineDep) -> list[UserView]:
    """The accounts of the administrator's unit and its subordinate units."""
    with session_scope(engine) as session:
        units = subtree_codes(session=session, code=admin.unit_code)
        return [UserView.of(user) for user in list_users(session=session, unit_codes=units)]


@router.patch("/users/{username}", responses={404: {}})
def change_user(
    username: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")],
    body: UserChange,
    admin: SysadminDep,
    engine: EngineDep,
    clock: ClockDep,
) -> UserView:
    """Disable or enable, unlock, reset the password or the TOTP of an account in scope."""
    now = clock()
    try:
        with session_scope(engine) as session:
            user = find_user(session=session, username=username)
            if user is None or not _in_scope(session, admin, user.unit_code):
                raise HTTPException(status.HTTP_404_NOT_FOUND, detail="用户不存在")
            assert user.id is not None
            if body.active is False and user.id == admin.user_id:
                raise field_error("active", ["不能停用自己的账号"])
            if body.active is not None:
                user.active = body.active
                if not body.active:
                    revoke_user_sessions(session=session, user_id=user.id, now=now)
            if body.unlock:
                unlock(user=user)
            if body.reset_totp:
                reset_totp(user=user)
            if body.password is not None:
                reset_password(session=session, user=user, password=body.password, now=now)
            session.add(user)
            session.flush()
            return UserView.of(user)
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
