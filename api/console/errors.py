"""How the console answers what it refuses: a browser without a session goes to the login
page (htmx requests are told to go there too); any other refusal on a console address is a
page in the console's look, with the reason, instead of JSON."""

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from api.console.auth import PATH, SignInFirst, login_location
from api.console.render import page


async def sign_in_first(request: Request, exc: Exception) -> Response:
    """To the login, and back afterwards: to the page itself when a page's own refresh
    (htmx, which names the page in HX-Current-URL) found the session gone."""
    assert isinstance(exc, SignInFirst)
    # A redirect, but a refusal all the same: the audit record must not read "ok".
    request.state.audit_result = f"refused:{exc.first}" if exc.first else "refused:401"
    back = exc.next_path
    refreshing = bool(request.headers.get("HX-Request"))
    if refreshing and not exc.change_password:
        page_url = urlsplit(request.headers.get("HX-Current-URL", ""))
        if page_url.path.startswith(PATH):
            back = page_url.path + (f"?{page_url.query}" if page_url.query else "")
    location = back if exc.change_password else login_location(back)
    if refreshing:
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not request.url.path.startswith(PATH):
        return await http_exception_handler(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) else "请求无效"
    return page("console/problem.html", exc.status_code, title="无法办理", detail=detail)
