"""Request and answer bodies of /api/admin: the password policy and staff accounts."""

from datetime import datetime
from typing import Annotated

from pydantic import Field

from api.answers import Reply
from api.schemas.common import RequestBody
from domain.roles import Role
from store.account_requests import changes_of, state_of
from store.accounts import PASSWORD_HISTORY_MAX
from store.models import AccountRequest, StaffUser

DisplayName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
NewPassword = Annotated[str, Field(min_length=1, max_length=256)]


class Policy(RequestBody):
    """Bounds keep a careless edit from switching a protection off entirely."""

    min_length: int = Field(ge=8, le=128)
    min_kinds: int = Field(ge=1, le=4)
    history: int = Field(ge=0, le=PASSWORD_HISTORY_MAX)
    expiry_days: int = Field(ge=0, le=3650, description="0: passwords never expire")
    max_failures: int = Field(ge=1, le=100)
    lock_minutes: int = Field(ge=1, le=1440)
    idle_minutes: int = Field(ge=1, le=1440)
    session_hours: int = Field(12, ge=1, le=24, description="a session's absolute lifetime")
    totp_for_all: bool | None = Field(
        None, description="动态口令 for every role; null: required in production only"
    )


class NewUser(RequestBody):
    username: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{2,31}$")
    display_name: DisplayName
    unit_code: str = Field(
        pattern=r"^(\d{6}|\d{10})$", description="单位代码（6 位）或学校标识码（10 位）"
    )
    role: Role
    password: NewPassword


class UserChange(RequestBody):
    active: bool | None = None
    unlock: bool = False
    reset_totp: bool = False
    password: NewPassword | None = Field(
        None, description="临时密码；经安全管理员批准后生效，用户登录后须立即修改"
    )


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


class AccountRequestView(Reply):
    """A change that waits for (or had) a secadmin's decision; never the password."""

    id: int
    kind: str = Field(description="create: a new account; change: a change of one")
    username: str
    display_name: str
    unit_code: str
    role: str
    changes: list[str] = Field(description="created, password, totp, active, unlock")
    active: bool | None = Field(description="the account's state asked for; null: unchanged")
    requested_by: str
    requested_at: datetime
    status: str = Field(
        description="pending, approved, refused, or lapsed (undecided within 7 days)"
    )
    decided_by: str
    decided_at: datetime | None
    reason: str = Field(description="why it was refused or withdrawn; '' when none was given")

    @classmethod
    def of(cls, row: AccountRequest, now: datetime | None = None) -> "AccountRequestView":
        """The request as it stands (at `now`, a pending one may have lapsed)."""
        assert row.id is not None
        return cls(
            id=row.id,
            kind=row.kind,
            username=row.username,
            display_name=row.display_name,
            unit_code=row.unit_code,
            role=row.role,
            changes=changes_of(row),
            active=row.active,
            requested_by=row.requested_by,
            requested_at=row.requested_at,
            status=state_of(row, now) if now else row.status,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            reason=row.reason,
        )


class RequestRefusal(RequestBody):
    reason: str = Field("", max_length=200, description="why: shown to the administrator who asked")
