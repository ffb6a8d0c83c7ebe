"""Request bodies have a size limit, checked before anything reads them (authentication
included): by the declared Content-Length at once, and by counting a body sent in chunks as
it arrives. Imports of the organisation tree and evidence file uploads have larger limits of
their own. Over the limit:
413, in Chinese, and nothing is done."""

import re
from collections.abc import Callable

from fastapi import HTTPException
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

IMPORTS = ("/api/org/import", "/api/org/import/preview", "/console/org/import")
# Evidence file uploads (附件): the file's own limit, plus room for the form around it.
UPLOADS = re.compile(r"/(api/complaints|console/cases)/[^/]+/attachments")
FORM_ROOM = 64 * 1024


def too_large(limit: int) -> str:
    return f"请求内容过大：不得超过 {size_text(limit)}"


def size_text(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MB"
    return f"{limit / 1024:g} KB"


class BodyLimit:
    """Plain ASGI: refuses a body over the limit of its route class (`limit_of(path)`)."""

    def __init__(self, app: ASGIApp, limit_of: Callable[[str], int]) -> None:
        self.app = app
        self.limit_of = limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await JSONResponse({"detail": too_large(limit)}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # FastAPI answers an HTTPException raised while reading
                    raise HTTPException(413, detail=too_large(limit))
            return message

        await self.app(scope, counted, send)


def limits(body: int, imports: int, uploads: int = 0) -> Callable[[str], int]:
    """The limit of a path: `imports` for the import routes, `uploads` (and room for the form)
    for the evidence file uploads, `body` for every other."""

    def limit_of(path: str) -> int:
        if path in IMPORTS:
            return imports
        if uploads and UPLOADS.fullmatch(path):
            return uploads + FORM_ROOM
        return body

    return limit_of
