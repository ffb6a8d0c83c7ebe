"""CORS for one path prefix only: the Temporal Web UI calls the codec from another origin."""

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

CODEC_HEADERS = ("X-Namespace", "Authorization", "Content-Type")


class PrefixCORS:
    """Starlette's CORSMiddleware, applied to requests under `prefix`; the rest pass through
    untouched, so no other endpoint answers a cross-origin browser request."""

    def __init__(self, app: ASGIApp, *, prefix: str, origin: str) -> None:
        self.app = app
        self.prefix = prefix
        self.cors = CORSMiddleware(
            app,
            allow_origins=[origin],
            allow_credentials=True,
            allow_methods=["POST"],
            allow_headers=list(CODEC_HEADERS),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
