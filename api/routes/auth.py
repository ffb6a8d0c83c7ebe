"""/api/auth: log in and out, who am I, change the password, enrol the TOTP second factor."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from api.deps import ClockDep, EngineDep, SealerDep
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from api.security import (
    SessionAuthDep,
    clear_codec_cookie,
    field_error,
    set_codec_cookie,
    unauthorized,
)
from domain.workdays import beijing_minute
from store.accounts import (
    AccountError,
    Granted,
    Refused,
    authenticate,
    begin_totp_enrolment,
    change_password,
    confirm_totp,
    get_policy,
    open_session,
    revoke_session,
)
from store.db import session_scope
from store.models import StaffUser

router = APIRouter(prefix="/api/auth", tags=["auth"])

LOGIN_FAILED = "登录失败：用户名、密码或动态验证码不正确"
Password = Annotated[str, Field(min_length=1, max_length=256)]
TotpCode = Annotated[str, Field(pattern=r"^\d{6}$", description="认证器应用显示的 6 位数字")]


class LoginRequest(BaseModel):
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


class PasswordChange(BaseModel):
    old_password: Password
    new_password: Password


class TotpEnrolment(BaseModel):
    secret: str
    uri: str


class TotpConfirmation(BaseModel):
    code: TotpCode


def _refusal(refused: Refused) -> HTTPException:
    if refused.reason == "locked" and refused.locked_until is not None:
        until = beijing_minute(refused.locked_until)
        return HTTPException(
            status.HTTP_423_LOCKED,
            detail=f"账号因连续登录失败已被锁定，请于 {until}（北京时间）后再试",
        )
    if refused.reason == "totp_required":
        return unauthorized("请输入动态验证码（totp_code）")
    return unauthorized(LOGIN_FAILED)


@router.post(
    "/login",
    responses={401: {}, 423: {}, **TOO_MANY_RESPONSE},
    dependencies=[Depends(rate_limited("login", "login"))],
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    engine: EngineDep,
    sealer: SealerDep,
    clock: ClockDep,
) -> LoginAnswer:
    """Log in; the token goes in `Authorization: Bearer ...` of every later request. The
    answer also sets it as a cookie that only the codec endpoint accepts (for the Temporal
    Web UI in the same browser)."""
    now = clock()
    client = request.client.host if request.client else ""
    request.state.audit_actor = body.username  # the audit record names the attempted account
    with session_scope(engine) as session:
        outcome = authenticate(
            session=session,
            username=body.username,
            password=body.password,
            totp_code=body.totp_code,
            sealer=sealer,
            now=now,
        )
        if isinstance(outcome, Granted):
            token = open_session(session=session, grant=outcome, now=now, client_address=client)
            answer = LoginAnswer(
                token=token,
                expires_after_idle_minutes=get_policy(session=session).idle_minutes,
                must_change_password=outcome.must_change_password,
                must_enrol_totp=outcome.must_enrol_totp,
                user=UserPublic.of(outcome.user),
            )
    if isinstance(outcome, Refused):
        raise _refusal(outcome)  # after the commit: the failure count is kept
    set_codec_cookie(response, answer.token, secure=request.url.scheme == "https")
    return answer


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(auth: SessionAuthDep, engine: EngineDep, clock: ClockDep, response: Response) -> None:
    """End this session; its token (and the codec cookie) is refused from now on."""
    with session_scope(engine) as session:
        revoke_session(session=session, token_hash=auth.token_hash, now=clock())
    clear_codec_cookie(response)


@router.get("/me")
def me(auth: SessionAuthDep, engine: EngineDep) -> Me:
    with session_scope(engine) as session:
        user = session.get(StaffUser, auth.staff.user_id)
        assert user is not None
        return Me(
            user=UserPublic.of(user),
            must_change_password=auth.must_change_password,
            must_enrol_totp=auth.must_enrol_totp,
            totp_enrolled=user.totp_enrolled,
        )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def password(
    body: PasswordChange, auth: SessionAuthDep, engine: EngineDep, clock: ClockDep
) -> None:
    """Change one's own password; other sessions of the user are revoked."""
    try:
        with session_scope(engine) as session:
            user = session.get(StaffUser, auth.staff.user_id)
            assert user is not None
            change_password(
                session=session,
                user=user,
                old_password=body.old_password,
                new_password=body.new_password,
                now=clock(),
                keep_session=auth.token_hash,
            )
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None


@router.post("/totp/enrol")
def totp_enrol(auth: SessionAuthDep, engine: EngineDep, sealer: SealerDep) -> TotpEnrolment:
    """A new TOTP secret and its otpauth:// URI (for a QR code); confirm it with a code."""
    try:
        with session_scope(engine) as session:
            user = session.get(StaffUser, auth.staff.user_id)
            assert user is not None
            secret, uri = begin_totp_enrolment(user=user, sealer=sealer)
            session.add(user)
    except AccountError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=exc.reasons[0]) from None
    return TotpEnrolment(secret=secret, uri=uri)


@router.post("/totp/confirm", status_code=status.HTTP_204_NO_CONTENT)
def totp_confirm(
    body: TotpConfirmation,
    auth: SessionAuthDep,
    engine: EngineDep,
    sealer: SealerDep,
    clock: ClockDep,
) -> None:
    """Finish the enrolment; from now on login needs a code too."""
    try:
        with session_scope(engine) as session:
            user = session.get(StaffUser, auth.staff.user_id)
            assert user is not None
            confirm_totp(session=session, user=user, code=body.code, sealer=sealer, now=clock())
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
