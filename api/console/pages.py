"""The console's own pages: sign in and out, the forced password change, and the inbox (待办).

Forms post back to the same address; an error shows the page again with the field's reason
(422) and changes nothing.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.console.auth import (
    PATH,
    ConsoleUser,
    ConsoleUserDep,
    PostedByDep,
    RefreshDep,
    clear_session_cookie,
    set_session_cookie,
)
from api.console.render import page
from api.deps import ClockDep, SealerDep, SessionDep
from api.inbox import Inbox, work_of
from api.ratelimit import rate_limited
from api.routes.auth import client_address, refused_login
from api.security import clear_codec_cookie, set_codec_cookie
from store.accounts import AccountError, change_password
from store.logins import (
    LoginRefused,
    authenticate,
    open_codec_token,
    open_session,
    revoke_session,
    token_hash,
)
from store.models import StaffUser

router = APIRouter(prefix=PATH, tags=["console"], default_response_class=HTMLResponse)


def _safe_next(next_path: str | None) -> str:
    """Only a console address of this site: never a redirect elsewhere."""
    if next_path and next_path.startswith(PATH) and not next_path.startswith("//"):
        return next_path
    return PATH


@router.get("/login")
def login_form(next: Annotated[str | None, Query(max_length=300)] = None) -> HTMLResponse:
    return page("console/login.html", title="登录", next=_safe_next(next))


@router.post("/login", dependencies=[Depends(rate_limited("login", "console-login", page="登录"))])
def login(
    request: Request,
    session: SessionDep,
    sealer: SealerDep,
    clock: ClockDep,
    username: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    totp_code: Annotated[str, Form(max_length=8)] = "",
    next: Annotated[str, Form(max_length=300)] = PATH,
) -> Response:
    """Sign in with the account's password (and dynamic code); the same refusals as the JSON
    login (api.routes.auth.refusal): whichever was wrong, the same words; a locked account or
    a slowed address is told until when. Like the JSON login, it also sets the codec cookie
    (api.security.CODEC_COOKIE) of the session, so the Temporal Web UI in the same browser
    decodes what the person may read, with nothing more to do."""
    now = clock()
    client = client_address(request)
    request.state.audit_actor = username
    outcome = authenticate(
        session=session,
        username=username,
        password=password,
        totp_code=totp_code or None,
        sealer=sealer,
        now=now,
        client_address=client,
        totp_by_default=request.app.state.settings.environment == "production",
    )
    if isinstance(outcome, LoginRefused):
        session.commit()  # the failure count is kept
        refused = refused_login(request, outcome, now)
        answer = page(
            "console/login.html",
            refused.status_code,
            title="登录",
            next=_safe_next(next),
            problem=refused.text,
            username=username,
        )
        answer.headers.update(
            {name: value for name, value in refused.headers.items() if name == "Retry-After"}
        )
        return answer
    token = open_session(session=session, grant=outcome, now=now, client_address=client)
    codec_token = open_codec_token(session=session, token=token)
    session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = request.url.scheme == "https"
    set_session_cookie(response, token, secure=secure)
    set_codec_cookie(response, codec_token, secure=secure)
    return response


@router.post("/logout")
def logout(user: PostedByDep, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    token = request.cookies.get("xueji_console", "")
    revoke_session(session=session, token_hash=token_hash(token), now=clock())
    session.commit()
    response = RedirectResponse(f"{PATH}/login", status_code=303)
    clear_session_cookie(response)
    clear_codec_cookie(response)  # its token died with the session anyway
    return response


@router.get("/password")
def password_form(user: ConsoleUserDep) -> HTMLResponse:
    return page("console/password.html", user=user, title="修改密码")


@router.post("/password")
def change_own_password(
    user: PostedByDep,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    old_password: Annotated[str, Form(max_length=128)] = "",
    new_password: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    account = session.get(StaffUser, user.staff.user_id)
    assert account is not None
    try:
        change_password(
            session=session,
            user=account,
            old_password=old_password,
            new_password=new_password,
            now=clock(),
            keep_session=token_hash(request.cookies.get("xueji_console", "")),
        )
        session.commit()
    except AccountError as exc:
        return page(
            "console/password.html",
            422,
            user=user,
            title="修改密码",
            problem={"field": exc.field, "reasons": exc.reasons},
        )
    return RedirectResponse(PATH, status_code=303)


@router.get("")
def inbox(
    user: ConsoleUserDep,
    session: SessionDep,
    clock: ClockDep,
    mine: bool = False,
) -> HTMLResponse:
    """待办: the unit's open steps and slips, soonest due first; 我的 keeps the user's own."""
    return page(
        "console/inbox.html",
        user=user,
        title="待办",
        active="inbox",
        work=_work(session, user, clock, mine),
        mine=mine,
    )


@router.get("/inbox/items")
def inbox_items(
    user: RefreshDep, session: SessionDep, clock: ClockDep, mine: bool = False
) -> HTMLResponse:
    """The inbox's table alone, for the page's refresh every 30 seconds."""
    return page("console/inbox_items.html", work=_work(session, user, clock, mine))


def _work(session: Session, user: ConsoleUser, clock: Callable[[], datetime], mine: bool) -> Inbox:
    return work_of(session, user.staff, now=clock(), mine=mine)
