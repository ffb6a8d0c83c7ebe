"""Rate limits per client address (slowapi) on the endpoints anyone can call: the public
tracking look-up, the directory, and login.

Each app gets its own `slowapi.Limiter` (in-memory storage, fixed window) with the limits of
its settings; the routes ask for it through a dependency rather than slowapi's decorator, whose
limiter would be one per process and so shared by every app a test builds. Over the limit the
answer is 429 with a Chinese message and `Retry-After` in seconds.

The key is the address the server sees: behind a reverse proxy, run uvicorn with
`--proxy-headers --forwarded-allow-ips=<proxy>` so that it is the caller's, not the proxy's.
"""

import math
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import HTTPException, Request, status
from limits import parse
from slowapi import Limiter
from slowapi.util import get_remote_address

from core.settings import Settings

Kind = Literal["public", "login"]
TOO_MANY = "请求过于频繁，请 {seconds} 秒后再试"
TOO_MANY_RESPONSE: dict[int | str, dict[str, Any]] = {
    429: {"description": "请求过于频繁（按客户端地址限流），Retry-After 给出等待秒数"}
}


class TooManyOnPage(Exception):
    """Over the limit on an HTML page: answered as a page (api.html.too_many), not JSON."""

    def __init__(self, title: str, seconds: int) -> None:
        super().__init__(title)
        self.title = title
        self.seconds = seconds


def new_limiter() -> Limiter:
    return Limiter(key_func=get_remote_address, storage_uri="memory://", strategy="fixed-window")


def rate_limited(
    kind: Kind, scope: str, page: str | None = None
) -> Callable[[Request], Awaitable[None]]:
    """A dependency counting the request against the `kind` limit of the settings, per client
    address and `scope` (one count per endpoint), refusing it with 429 once over; as an HTML
    page titled `page` when given."""

    async def check(request: Request) -> None:
        settings: Settings = request.app.state.settings
        limiter: Limiter = request.app.state.limiter
        item = parse(settings.login_rate_limit if kind == "login" else settings.public_rate_limit)
        key = get_remote_address(request)
        if limiter.limiter.hit(item, key, scope):
            return
        reset_at, _ = limiter.limiter.get_window_stats(item, key, scope)
        seconds = max(1, math.ceil(reset_at - time.time()))
        if page is not None:
            raise TooManyOnPage(page, seconds)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=TOO_MANY.format(seconds=seconds),
            headers={"Retry-After": str(seconds)},
        )

    return check
