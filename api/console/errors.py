"""How the console answers what it refuses: a browser without a session goes to the login
page (htmx requests are told to go there too); any other refusal on a console address is a
page in the console's look, with the reason, instead of JSON."""

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from api.console.auth import PATH, SignInFirst, login_location
from api.console.render import page


async def sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInFirst)
    location = (
        exc.next_path if exc.next_path == f"{PATH}/password" else login_location(exc.next_path)
    )
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


async def refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if not request.url.path.startswith(PATH):
        return await http_exception_handler(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) else "请求无效"
    return page("console/problem.html", exc.status_code, title="无法办理", detail=detail)
