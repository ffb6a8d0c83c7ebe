"""动态口令 in the console: the signed-in staff member binds an authenticator app (TOTP), as
POST /api/auth/totp/enrol and /confirm do, through the same store functions.

Starting makes a secret (kept sealed until confirmed); the page then shows it as a QR code,
an SVG drawn here by segno (an <img> of a data: address, which the CSP's img-src allows; no
script, nothing fetched from elsewhere) and as text to type in, until a code from the app
confirms it. A reload shows the same secret, so a code scanned before it still works.
"""

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.auth import COOKIE, TOTP_PATH, ConsoleUser, ConsoleUserDep, PostedByDep
from api.console.render import page
from api.deps import ClockDep, SealerDep, SessionDep
from store.accounts import AccountError
from store.logins import begin_totp_enrolment, confirm_totp, provisioning_uri, token_hash
from store.models import StaffUser
from store.sealing import Sealer

router = APIRouter(prefix=TOTP_PATH, tags=["console"], default_response_class=HTMLResponse)

TITLE = "绑定动态口令"


def _qr(uri: str) -> str:
    """The provisioning URI as a QR code: an SVG data: address for an <img>."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _page(
    user: ConsoleUser, account: StaffUser, sealer: Sealer, status_code: int = 200, **context: object
) -> HTMLResponse:
    pending = None
    if not account.totp_enrolled and account.totp_secret is not None:
        secret = sealer.open_column(account, "totp_secret")
        uri = provisioning_uri(secret=secret, username=account.username)
        pending = {"qr": _qr(uri), "secret": _grouped(secret)}
    return page(
        "console/totp.html",
        status_code,
        user=user,
        title=TITLE,
        active="totp",
        enrolled=account.totp_enrolled,
        pending=pending,
        **context,
    )


def _account(session: SessionDep, user: ConsoleUser) -> StaffUser:
    account = session.get(StaffUser, user.staff.user_id)
    assert account is not None
    return account


@router.get("")
def totp_page(user: ConsoleUserDep, session: SessionDep, sealer: SealerDep) -> HTMLResponse:
    """Bound already, a secret waiting for its code (the QR code and the text), or the
    button that starts."""
    return _page(user, _account(session, user), sealer)


@router.post("")
def begin(user: PostedByDep, session: SessionDep, sealer: SealerDep) -> Response:
    """A new secret (POST /api/auth/totp/enrol), then the page that shows it; 409 when the
    account is bound already."""
    account = _account(session, user)
    try:
        begin_totp_enrolment(user=account, sealer=sealer)
    except AccountError as exc:
        return _page(user, account, sealer, 409, problem={"field": "totp", "text": exc.reasons[0]})
    session.add(account)
    session.commit()
    return RedirectResponse(TOTP_PATH, status_code=303)


@router.post("/confirm")
def confirm(
    user: PostedByDep,
    session: SessionDep,
    sealer: SealerDep,
    clock: ClockDep,
    request: Request,
    code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Finish with a code from the app (POST /api/auth/totp/confirm): from now on signing in
    needs a code too, and the account's other sessions end. A wrong code is the page again
    (422) with the same secret."""
    account = _account(session, user)
    try:
        confirm_totp(
            session=session,
            user=account,
            code=code.strip(),
            sealer=sealer,
            now=clock(),
            keep_session=token_hash(request.cookies.get(COOKIE, "")),
        )
    except AccountError as exc:
        problem = {"field": "code", "text": "；".join(exc.reasons)}
        return _page(user, account, sealer, 422, problem=problem, code=code)
    session.commit()
    return RedirectResponse(TOTP_PATH, status_code=303)
