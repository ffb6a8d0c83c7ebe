"""Who is using the console: the session cookie, the CSRF token of its forms, and the
dependency that gives the signed-in staff member or sends the browser to the login page.

The cookie holds the same server-side session as a bearer token (store/logins): the idle
timeout, revocation and lockout apply alike. It is HttpOnly, SameSite=Strict, Secure over
HTTPS and limited to /console, so no JSON route ever accepts it. Every form carries a CSRF
token, an HMAC of the session under the store's lookup key: a page of another site can neither
read it nor make it.
"""

import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, HTTPException, Request, Response, status

from api.case_names import Names
from api.security import Staff, check_role
from api.system_status import runs_the_system, uses_the_web_ui
from api.web_ui import web_ui
from store.accounts import get_policy
from store.db import session_scope
from store.logins import get_session_user, token_hash

COOKIE = "xueji_console"
PATH = "/console"
CSRF_FIELD = "csrf"
CSRF_REFUSED = "表单已失效（缺少或不匹配的校验码），请刷新页面后重试"


@dataclass(frozen=True)
class ConsoleUser:
    staff: Staff
    display_name: str
    unit_name: str
    csrf: str  # the token every form of this session carries
    must_change_password: bool
    must_enrol_totp: bool  # an administrator (or anyone, as the policy says) without TOTP
    idle_minutes: int
    runs_system: bool  # sees the system's state (api.system_status.runs_the_system)
    web_ui: str  # the Temporal Web UI, for those who use it; empty for the rest


class SignInFirst(Exception):
    """The browser has no live console session: answered with a redirect to the login."""

    def __init__(self, next_path: str, *, change_password: bool = False, first: str = "") -> None:
        self.next_path = next_path
        # Signed in, but something must be done first ("password", "totp"): go there at once.
        self.first = first or ("password" if change_password else "")
        self.change_password = bool(self.first)


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(COOKIE, token, path=PATH, httponly=True, samesite="strict", secure=secure)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict")


def csrf_token(key: bytes, session_token_hash: str) -> str:
    return hmac.new(key, b"console-csrf:" + session_token_hash.encode(), hashlib.sha256).hexdigest()


def login_location(next_path: str) -> str:
    return f"{PATH}/login?next={quote(next_path, safe='/')}"


def _console_user(request: Request, *, touch: bool = True) -> ConsoleUser:
    token = request.cookies.get(COOKIE)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise SignInFirst(here)
    state = request.app.state
    with session_scope(state.engine) as session:
        found = get_session_user(session=session, token=token, now=state.clock(), touch=touch)
        if found is None:
            raise SignInFirst(here)
        row, user = found
        idle = get_policy(session=session).idle_minutes
        assert user.id is not None
        staff = Staff(user.id, user.username, user.unit_code, user.role)
        runs_system = runs_the_system(session, staff)
        uses_web_ui = uses_the_web_ui(staff, runs_system=runs_system)
        console_user = ConsoleUser(
            staff=staff,
            display_name=user.display_name or user.username,
            unit_name=Names(session).unit(user.unit_code),
            csrf=csrf_token(state.settings.lookup_key_bytes, token_hash(token)),
            must_change_password=row.must_change_password,
            must_enrol_totp=row.must_enrol_totp,
            idle_minutes=idle,
            runs_system=runs_system,
            web_ui=web_ui(state.settings) if uses_web_ui else "",
        )
    request.state.staff = console_user.staff  # for the audit record of the request
    return console_user


TOTP_PATH = f"{PATH}/totp"
# What a session that must still enrol its TOTP may open (as /api/auth lets it do there).
_BEFORE_TOTP = (f"{PATH}/password", f"{PATH}/logout", TOTP_PATH, f"{TOTP_PATH}/confirm")


def _signed_in(request: Request) -> ConsoleUser:
    """The console user, sent to change the password first when the session must, then to
    enrol the TOTP when it must (as the JSON routes refuse such a session)."""
    user = _console_user(request)
    if user.must_change_password and request.url.path != f"{PATH}/password":
        raise SignInFirst(f"{PATH}/password", change_password=True)
    if user.must_enrol_totp and request.url.path not in _BEFORE_TOTP:
        raise SignInFirst(TOTP_PATH, first="totp")
    return user


ConsoleUserDep = Annotated[ConsoleUser, Depends(_signed_in)]


def _refreshing(request: Request) -> ConsoleUser:
    """The console user of a page's own background refresh, which keeps no session alive."""
    user = _console_user(request, touch=False)
    if user.must_change_password:
        raise SignInFirst(f"{PATH}/password", change_password=True)
    if user.must_enrol_totp:
        raise SignInFirst(TOTP_PATH, first="totp")
    return user


RefreshDep = Annotated[ConsoleUser, Depends(_refreshing)]


def check_csrf(user: ConsoleUser, token: str) -> None:
    if not hmac.compare_digest(user.csrf, token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CSRF_REFUSED)


async def _posted_by(user: ConsoleUserDep, csrf: Annotated[str, Form()] = "") -> ConsoleUser:
    """The console user of a form post, whose CSRF token must be their session's (403)."""
    check_csrf(user, csrf)
    return user


PostedByDep = Annotated[ConsoleUser, Depends(_posted_by)]


SCHOOL_CONSOLE_REFUSAL = "学校账号只能查看和反馈发给本校的单据，请在“收到的单据”中办理"


def acting_as(user: ConsoleUser, roles: Collection[str], at_school: Collection[str] = ()) -> Staff:
    """The signed-in staff member when their role may do this (the JSON routes' role groups,
    `api.security.check_role`); 403 otherwise, a school's account told where its work is."""
    check_role(user.staff, roles, at_school, school_refusal=SCHOOL_CONSOLE_REFUSAL)
    return user.staff
