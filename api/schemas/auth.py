"""Request and answer bodies of /api/auth: login, me, password, TOTP."""

from typing import Annotated

from pydantic import BaseModel, Field

from api.inbox import PersonNotice
from api.schemas.common import RequestBody
from store.models import StaffUser

Password = Annotated[str, Field(min_length=1, max_length=256)]
TotpCode = Annotated[str, Field(pattern=r"^\d{6}$", description="认证器应用显示的 6 位数字")]


class LoginRequest(RequestBody):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: Password
    totp_code: TotpCode | None = None


class UserPublic(BaseModel):
    username: str
    display_name: str
    unit_code: str
    role: str

    @classmethod
    def of(cls, user: StaffUser) -> "UserPublic":
        return cls(
            username=user.username,
            display_name=user.display_name,
            unit_code=user.unit_code,
            role=user.role,
        )


class LoginAnswer(BaseModel):
    token: str
    expires_after_idle_minutes: int
    must_change_password: bool
    must_enrol_totp: bool
    user: UserPublic


class Me(BaseModel):
    user: UserPublic
    must_change_password: bool
    must_enrol_totp: bool
    totp_enrolled: bool
    notices: list[PersonNotice] = Field(
        description="notices to the account itself (a reset, an approval), newest first"
    )


class PasswordChange(RequestBody):
    old_password: Password
    new_password: Password


class TotpEnrolment(BaseModel):
    secret: str
    uri: str


class TotpConfirmation(RequestBody):
    code: TotpCode
