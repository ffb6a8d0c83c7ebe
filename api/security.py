"""Who is calling: bearer-token sessions, the `current_staff` dependency and role checks.

This module reads the engine and clock from `request.app.state` itself, so that
`api/deps.py` can import it without a cycle.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.orgtree import is_school_code
from store.db import session_scope
from store.logins import get_session_user


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member, as routers see them."""

    user_id: int
    username: str
    unit_code: str
    role: str

    @property
    def at_school(self) -> bool:
        """Whether the account belongs to a school, which works only the slips addressed to
        it (DESIGN §7), rather than to a bureau."""
        return is_school_code(self.unit_code)


@dataclass(frozen=True)
class Authenticated:
    """A live session: who, which session, and what it must do before anything else."""

    staff: Staff
    token_hash: str
    must_change_password: bool
    must_enrol_totp: bool


_bearer = HTTPBearer(auto_error=False, description="POST /api/auth/login 得到的令牌")

# The Temporal Web UI cannot send a bearer token to the codec endpoint, only the browser's
# cookies ("Include cross-origin credentials"). So a login also sets a codec token of its own
# (store.logins.open_codec_token) as a cookie limited to the codec's path. It is not the
# bearer token: it opens the codec endpoint and nothing else (no cross-site request can act on
# cases with it, and a leaked cookie reads no case), and it dies with its session.
CODEC_PATH = "/api/codec"
CODEC_COOKIE = "xueji_codec_session"


def set_codec_cookie(response: Response, codec_token: str, *, secure: bool) -> None:
    response.set_cookie(
        CODEC_COOKIE, codec_token, path=CODEC_PATH, httponly=True, samesite="lax", secure=secure
    )


def clear_codec_cookie(response: Response) -> None:
    response.delete_cookie(CODEC_COOKIE, path=CODEC_PATH, httponly=True, samesite="lax")


def unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"}
    )


def current_session(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    """The caller's live session, even one that must first change its password or enrol
    TOTP; only the password, TOTP, logout and me endpoints use it directly."""
    if credentials is None:
        raise unauthorized("请先登录")
    return _session_of(request, credentials.credentials, codec=False)


def _session_of(request: Request, token: str, *, codec: bool) -> Authenticated:
    now = request.app.state.clock()
    with session_scope(request.app.state.engine) as session:
        found = get_session_user(session=session, token=token, now=now, codec=codec)
        if found is not None:
            row, user = found
            assert user.id is not None
            authenticated = Authenticated(
                staff=Staff(user.id, user.username, user.unit_code, user.role),
                token_hash=row.token_hash,
                must_change_password=row.must_change_password,
                must_enrol_totp=row.must_enrol_totp,
            )
    if found is None:
        raise unauthorized("登录已失效（令牌无效、已注销或超时），请重新登录")
    request.state.staff = authenticated.staff  # for the audit record of the request
    return authenticated


SessionAuthDep = Annotated[Authenticated, Depends(current_session)]


def codec_session(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Authenticated:
    """The caller of the codec endpoint: by bearer token, or by the codec cookie (the Web UI),
    whose token no other route accepts."""
    if credentials is not None:
        return _session_of(request, credentials.credentials, codec=False)
    codec_token = request.cookies.get(CODEC_COOKIE)
    if not codec_token:
        raise unauthorized("请先登录")
    return _session_of(request, codec_token, codec=True)


async def current_staff(authenticated: SessionAuthDep) -> Staff:
    """The caller, refused (403) while the session must change its password or enrol TOTP."""
    return usable(authenticated)


def usable(authenticated: Authenticated) -> Staff:
    """The staff member of a session that may work: 403 while it must change its password or
    enrol TOTP."""
    if authenticated.must_change_password:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="密码已过期或由管理员重置，请先修改密码（POST /api/auth/password）",
        )
    if authenticated.must_enrol_totp:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="管理员账号须先绑定动态口令（POST /api/auth/totp/enrol 与 /confirm）",
        )
    return authenticated.staff


SCHOOL_REFUSAL = "学校账号只能查看和反馈发给本校的单据（GET /api/slips）"


def require_roles(*roles: str, at_school: tuple[str, ...] = ()) -> Callable[..., Any]:
    """A dependency giving the caller when their role is one of `roles` (a bureau's account)
    or of `at_school` (a school's), 403 otherwise: a school's account is refused unless the
    route names the school roles it admits."""

    async def dependency(staff: Annotated[Staff, Depends(current_staff)]) -> Staff:
        check_role(staff, roles, at_school)
        return staff

    return dependency


ROLE_REFUSAL = "当前角色无权执行此操作"


def has_role(staff: Staff, roles: Collection[str], at_school: Collection[str] = ()) -> bool:
    """Whether the caller's role is one of `roles` (a bureau's account) or of `at_school`
    (a school's)."""
    return staff.role in (at_school if staff.at_school else roles)


def check_role(
    staff: Staff,
    roles: Collection[str],
    at_school: Collection[str] = (),
    *,
    school_refusal: str = SCHOOL_REFUSAL,
) -> None:
    """403 unless `has_role`; a school's account is told where its work is (`school_refusal`)."""
    if not has_role(staff, roles, at_school):
        reason = school_refusal if staff.at_school else ROLE_REFUSAL
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=reason)


def field_error(field: str | list[str | int], reasons: list[str]) -> HTTPException:
    """A 422 naming the body field (or the path to it, e.g. ["units", 2]), in FastAPI's own
    validation-error shape."""
    location = [field] if isinstance(field, str) else field
    detail = [
        {"loc": ["body", *location], "msg": reason, "type": "value_error"} for reason in reasons
    ]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)


def query_error(name: str, reasons: list[str]) -> HTTPException:
    """A 422 naming the query parameter, in the same shape as `field_error`."""
    detail = [{"loc": ["query", name], "msg": reason, "type": "value_error"} for reason in reasons]
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)
