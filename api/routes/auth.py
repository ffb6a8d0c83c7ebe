"""/api/auth: log in and out, who am I, change the password, enrol the TOTP second factor."""

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from api.deps import ClockDep, SealerDep, SessionDep
from api.inbox import PersonNotice
from api.ratelimit import TOO_MANY_RESPONSE, rate_limited
from api.schemas.auth import (
    LoginAnswer,
    LoginRequest,
    Me,
    PasswordChange,
    TotpConfirmation,
    TotpEnrolment,
    UserPublic,
)
from api.security import (
    SessionAuthDep,
    clear_codec_cookie,
    field_error,
    set_codec_cookie,
    unauthorized,
)
from domain.workdays import beijing_minute
from store.accounts import AccountError, change_password, get_policy
from store.inbox import person_notices
from store.logins import (
    Granted,
    LoginRefused,
    authenticate,
    begin_totp_enrolment,
    confirm_totp,
    open_session,
    revoke_session,
)
from store.models import StaffUser

router = APIRouter(prefix="/api/auth", tags=["auth"])

LOGIN_FAILED = "登录失败：用户名、密码或动态验证码不正确"


def refusal_text(refused: LoginRefused) -> str:
    """Why a login was refused, in words the person can act on (the console says the same)."""
    if refused.reason == "locked" and refused.locked_until is not None:
        until = beijing_minute(refused.locked_until)
        return f"账号因连续登录失败已被锁定，请于 {until}（北京时间）后再试"
    return LOGIN_FAILED


def _refusal(refused: LoginRefused) -> HTTPException:
    if refused.reason == "locked" and refused.locked_until is not None:
        return HTTPException(status.HTTP_423_LOCKED, detail=refusal_text(refused))
    return unauthorized(refusal_text(refused))


@router.post(
    "/login",
    responses={401: {}, 423: {}, **TOO_MANY_RESPONSE},
    dependencies=[Depends(rate_limited("login", "login"))],
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    sealer: SealerDep,
    clock: ClockDep,
) -> LoginAnswer:
    """Log in; the token goes in `Authorization: Bearer ...` of every later request. The
    answer also sets it as a cookie that only the codec endpoint accepts (for the Temporal
    Web UI in the same browser)."""
    now = clock()
    client = request.client.host if request.client else ""
    request.state.audit_actor = body.username  # the audit record names the attempted account
    outcome = authenticate(
        session=session,
        username=body.username,
        password=body.password,
        totp_code=body.totp_code,
        sealer=sealer,
        now=now,
        totp_by_default=request.app.state.settings.environment == "production",
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
    session.commit()
    if isinstance(outcome, LoginRefused):
        raise _refusal(outcome)  # after the commit: the failure count is kept
    set_codec_cookie(response, answer.token, secure=request.url.scheme == "https")
    return answer


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(auth: SessionAuthDep, session: SessionDep, clock: ClockDep, response: Response) -> None:
    """End this session; its token (and the codec cookie) is refused from now on."""
    revoke_session(session=session, token_hash=auth.token_hash, now=clock())
    session.commit()
    clear_codec_cookie(response)


@router.get("/me")
def me(auth: SessionAuthDep, session: SessionDep) -> Me:
    user = session.get(StaffUser, auth.staff.user_id)
    assert user is not None
    return Me(
        user=UserPublic.of(user),
        must_change_password=auth.must_change_password,
        must_enrol_totp=auth.must_enrol_totp,
        totp_enrolled=user.totp_enrolled,
        notices=[
            PersonNotice(kind=row.kind, text=row.text, created_at=row.created_at)
            for row in person_notices(session, user.username)
        ],
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def password(
    body: PasswordChange, auth: SessionAuthDep, session: SessionDep, clock: ClockDep
) -> None:
    """Change one's own password; other sessions of the user are revoked."""
    user = session.get(StaffUser, auth.staff.user_id)
    assert user is not None
    try:
        change_password(
            session=session,
            user=user,
            old_password=body.old_password,
            new_password=body.new_password,
            now=clock(),
            keep_session=auth.token_hash,
        )
        session.commit()
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None


@router.post("/totp/enrol")
def totp_enrol(auth: SessionAuthDep, session: SessionDep, sealer: SealerDep) -> TotpEnrolment:
    """A new TOTP secret and its otpauth:// URI (for a QR code); confirm it with a code."""
    user = session.get(StaffUser, auth.staff.user_id)
    assert user is not None
    try:
        secret, uri = begin_totp_enrolment(user=user, sealer=sealer)
        session.add(user)
        session.commit()
    except AccountError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=exc.reasons[0]) from None
    return TotpEnrolment(secret=secret, uri=uri)


@router.post("/totp/confirm", status_code=status.HTTP_204_NO_CONTENT)
def totp_confirm(
    body: TotpConfirmation,
    auth: SessionAuthDep,
    session: SessionDep,
    sealer: SealerDep,
    clock: ClockDep,
) -> None:
    """Finish the enrolment; from now on login needs a code too, and the user's other
    sessions (opened without it) end."""
    user = session.get(StaffUser, auth.staff.user_id)
    assert user is not None
    try:
        confirm_totp(
            session=session,
            user=user,
            code=body.code,
            sealer=sealer,
            now=clock(),
            keep_session=auth.token_hash,
        )
        session.commit()
    except AccountError as exc:
        raise field_error(exc.field, exc.reasons) from None
