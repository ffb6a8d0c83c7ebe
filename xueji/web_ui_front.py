"""The Temporal Web UI of `xueji dev` as staff's browsers reach it: the dev server's UI behind a
small proxy that makes it send the browser's cookies to the codec endpoint.

`temporal server start-dev` takes the UI's codec endpoint (`--ui-codec-endpoint`) but has no flag
for the UI server's `codec.includeCredentials` (what the temporalio/ui image reads from
TEMPORAL_CODEC_INCLUDE_CREDENTIALS, see docker-compose.yml). Without it the UI calls the codec
without cookies, and each person would have to switch on "Include cross-origin credentials" in
the UI's settings by hand. So `xueji dev` runs the UI on an inner port of 127.0.0.1
(XUEJI_TEMPORAL_UI_INNER_PORT) and serves it on the public one (XUEJI_TEMPORAL_UI_PORT) through
this proxy, which passes every read and its answer through unchanged, except the UI's settings
(GET /api/v1/settings), where it turns that one setting on; like the compose stack's proxy, it
also keeps the UI read-only (writes refused, and the UI told to offer none). Signing in to the
console then is all a member of staff needs: its codec cookie goes with the UI's calls to
/api/codec/decode, which the API allows from the UI's origin only.
"""

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

SETTINGS_PATH = "/api/v1/settings"
# Read-only, as under docker-compose (deploy/temporal-ui-proxy.conf, DESIGN §7): reads, and the
# workflow queries the UI posts (the call stack); every write is refused here, and the UI is
# told to offer none.
QUERY = re.compile(r"^/api/v1/namespaces/[^/]+/workflows/[^/]+/query/[^/]+$")
READ_ONLY = (
    "DisableWriteActions",
    "WorkflowTerminateDisabled",
    "WorkflowCancelDisabled",
    "WorkflowSignalDisabled",
    "WorkflowUpdateDisabled",
    "WorkflowResetDisabled",
    "WorkflowPauseDisabled",
    "BatchActionsDisabled",
    "StartWorkflowDisabled",
    "ActivityCommandsDisabled",
)
READ_ONLY_REFUSAL = "Temporal Web UI 只读：案件只能在工作台办理"
# Headers that belong to one connection, not to the request or answer passed on.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def with_credentials(settings_answer: bytes) -> bytes:
    """The UI server's settings with the codec told to send the browser's cookies, and every
    write action switched off."""
    document = json.loads(settings_answer)
    if (document.get("Codec") or {}).get("Endpoint"):
        document["Codec"]["IncludeCredentials"] = True
    document.update(dict.fromkeys(READ_ONLY, True))
    return json.dumps(document).encode()


def reads(method: str, path: str) -> bool:
    """Whether the request only reads: what the front passes."""
    return method in ("GET", "HEAD") or (method == "POST" and QUERY.match(path) is not None)


def front(inner: str) -> Starlette:
    """The proxy to the UI at `inner` (http://127.0.0.1:PORT)."""
    client = httpx.AsyncClient(base_url=inner, timeout=60.0, follow_redirects=False)

    async def forward(request: Request) -> Response:
        if not reads(request.method, request.url.path):
            return PlainTextResponse(READ_ONLY_REFUSAL, status_code=403)
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name not in HOP_BY_HOP and name != "accept-encoding"  # plain bodies to rewrite
        ]
        target = request.scope["raw_path"].decode("latin-1")
        if request.scope["query_string"]:
            target += "?" + request.scope["query_string"].decode("latin-1")
        answer = await client.request(
            request.method, target, headers=headers, content=await request.body()
        )
        body = answer.content
        if request.url.path == SETTINGS_PATH and answer.status_code == 200:
            body = with_credentials(body)
        response = Response(body, status_code=answer.status_code)
        passed = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in answer.headers.multi_items()
            if name.lower() not in HOP_BY_HOP
        ]
        response.raw_headers = [*passed, (b"content-length", str(len(body)).encode())]
        return response

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with client:
            yield

    return Starlette(routes=[Route("/{path:path}", forward, methods=METHODS)], lifespan=lifespan)


def main() -> None:
    """`python -m xueji.web_ui_front`: serve the front with the settings `xueji dev` passes."""
    import uvicorn

    from core.settings import get_settings
    from xueji.dev import split_address

    settings = get_settings()
    host, _ = split_address(settings.temporal_address)
    app = front(f"http://127.0.0.1:{settings.temporal_ui_inner_port}")
    uvicorn.run(app, host=host, port=settings.temporal_ui_port, log_level="warning")


if __name__ == "__main__":
    main()
