"""The API's link to Temporal: connects lazily and again after the server comes back."""

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from temporalio.client import Client, Interceptor

from core.settings import Settings
from core.temporal import connect


class TemporalUnavailable(ConnectionError):
    """Temporal cannot be reached; the API answers 503 (api.errors.temporal_unavailable)."""


class TemporalLink:
    def __init__(self, settings: Settings, interceptors: Sequence[Interceptor] = ()) -> None:
        self._settings = settings
        self._interceptors = interceptors  # tracing (core/telemetry.py)
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The connected client; raise TemporalUnavailable when Temporal cannot be reached."""
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await connect(
                        self._settings, timeout=3.0, interceptors=self._interceptors
                    )
                except ConnectionError as exc:
                    raise TemporalUnavailable(str(exc)) from exc
            return self._client

    async def check(self) -> None:
        """Raise ConnectionError unless the Temporal frontend answers its health check now."""
        client = await self.client()
        try:
            await client.service_client.check_health(timeout=timedelta(seconds=2))
        except Exception as exc:
            raise ConnectionError(
                f"Temporal 服务 {self._settings.temporal_address} 无响应"
            ) from exc
