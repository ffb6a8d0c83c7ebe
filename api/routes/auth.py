"""/api/auth: log in and out, who am I, change the password, enrol the TOTP second factor."""

import math
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from api.deps import ClockDep, SealerDep, SessionDep
from api.inbox import PersonNotice
from api.ratelimit import rate_limited
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
    open_codec_token,
    open_session,
    revoke_session,
)
from store.models import StaffUser

router = APIRouter(prefix="/api/auth", tags=["auth"])

LOGIN_FAILED = "登录失败：用户名、密码或动态验证码不正确"


@dataclass(frozen=True)
class Refusal:
    """The answer to a refused login, the same from the JSON route and the console's form."""

    status_code: int
    text: str
    headers: dict[str, str]


def refusal(refused: LoginRefused, now: datetime) -> Refusal:
    """Why a login was refused, in words the person can act on: wrong credentials (401, never
    which), the account locked (423), or the caller's address slowed (429, `Retry-After`);
    never different for a name with an account and one without."""
    until = refused.locked_until
    if refused.reason == "locked" and until is not None:
        text = f"账号因连续登录失败已被锁定，请于 {beijing_minute(until)}（北京时间）后再试"
        return Refusal(status.HTTP_423_LOCKED, text, {})
    if refused.reason == "slowed" and until is not None:
        text = f"登录失败次数过多，请于 {beijing_minute(until)}（北京时间）后再试"
        seconds = max(1, math.ceil((until - now).total_seconds()))
        return Refusal(status.HTTP_429_TOO_MANY_REQUESTS, text, {"Retry-After": str(seconds)})
    return Refusal(status.HTTP_401_UNAUTHORIZED, LOGIN_FAILED, {"WWW-Authenticate": "Bearer"})


def refused_login(request: Request, refused: LoginRefused, now: datetime) -> Refusal:
    """The refusal of a login (`refusal`), counted for ops by its reason (api/metrics.py)."""
    request.app.state.metrics.logins_refused.labels(refused.reason).inc()
    return refusal(refused, now)


def client_address(request: Request) -> str:
    """The caller's address as the server sees it (behind a trusted proxy, the proxy's
    forwarded address; see api/main.py)."""
    return request.client.host if request.client else ""


@router.post(
    "/login",
    responses={
        401: {},
        423: {"description": "账号（或该用户名）因多个地址的连续登录失败被锁定"},
        429: {
            "description": "请求过于频繁（按地址限流），或本地址登录失败次数过多"
            "（先于账号锁定）；Retry-After 给出等待秒数"
        },
    },
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
    answer also sets a cookie with a codec token of the session, which only the codec
    endpoint accepts (for the Temporal Web UI in the same browser), never the token itself."""
    now = clock()
    client = client_address(request)
    request.state.audit_actor = body.username  # the audit record names the attempted account
    outcome = authenticate(
        session=session,
        username=body.username,
        password=body.password,
        totp_code=body.totp_code,
        sealer=sealer,
        now=now,
        client_address=client,
        totp_by_default=request.app.state.settings.environment == "production",
    )
    if isinstance(outcome, Granted):
        token = open_session(session=session, grant=outcome, now=now, client_address=client)
        codec_token = open_codec_token(session=session, token=token)
        answer = LoginAnswer(
            token=token,
            expires_after_idle_minutes=get_policy(session=session).idle_minutes,
            must_change_password=outcome.must_change_password,
            must_enrol_totp=outcome.must_enrol_totp,
            user=UserPublic.of(outcome.user),
        )
    session.commit()
    if isinstance(outcome, LoginRefused):  # after the commit: the failure count is kept
        refused = refused_login(request, outcome, now)
        raise HTTPException(refused.status_code, detail=refused.text, headers=refused.headers)
    set_codec_cookie(response, codec_token, secure=request.url.scheme == "https")
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
