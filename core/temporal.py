"""Connecting to Temporal the same way from the API, the worker, the CLI and the tests."""

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import NoReturn

from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from core.codec import codec_from_spec, encrypted_data_converter
from core.keys import DEV_KEY_SPEC
from core.settings import Settings

log = logging.getLogger(__name__)

# Set once this process has connected a client: the SDK's runtime threads then live until the
# process ends (see `end_process`).
CONNECTED = threading.Event()


def end_process(code: int) -> NoReturn:
    """End the process with `code`; without the interpreter's teardown once it connected a
    Temporal client.

    The SDK's runtime threads can abort a finishing interpreter (temporalio/sdk-python#300,
    "PyGILState_Release ... finalizing"), which turns a process that has done its work into
    exit code 134 for the cron job, the container or the supervisor. Logs and output are
    flushed first.
    """
    if CONNECTED.is_set():
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def data_converter(
    payload_keys: str = DEV_KEY_SPEC, *, require_sealed: bool = True
) -> DataConverter:
    """The converter every client and worker of xueji uses: pydantic, then AES-256-GCM;
    `require_sealed` refuses plain payloads (see core.codec)."""
    return encrypted_data_converter(codec_from_spec(payload_keys, require_sealed=require_sealed))


async def connect(
    settings: Settings,
    *,
    timeout: float = 5.0,
    interceptors: Sequence[Interceptor] = (),
    runtime: Runtime | None = None,
) -> Client:
    """Connect once; raise ConnectionError naming the address if Temporal does not answer (or
    its TLS does not match the settings). `interceptors` and `runtime` (core/telemetry.py):
    tracing, and the SDK's metrics."""
    CONNECTED.set()
    api_key = settings.temporal_api_key.get_secret_value()
    try:
        return await asyncio.wait_for(
            Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=data_converter(
                    settings.payload_keys, require_sealed=settings.codec_requires_sealed
                ),
                tls=tls_of(settings),
                api_key=api_key or None,
                connect_timeout=timedelta(seconds=timeout),
                interceptors=interceptors,
                runtime=runtime,
            ),
            timeout=timeout,
        )
    except (TimeoutError, RuntimeError, OSError) as exc:
        raise ConnectionError(f"Temporal 服务 {settings.temporal_address} 无法连接: {exc}") from exc


def tls_of(settings: Settings) -> TLSConfig | bool:
    """How the connection is secured: the configured CA, client certificate and server name;
    TLS checked against the system's CAs (also whenever an API key is sent); or plain, as the
    embedded dev server speaks. The files are read here, when a process connects."""
    ca, cert, key = settings.temporal_tls_ca, settings.temporal_tls_cert, settings.temporal_tls_key
    if ca or cert or key or settings.temporal_tls_server_name:
        return TLSConfig(
            server_root_ca_cert=ca.read_bytes() if ca else None,
            domain=settings.temporal_tls_server_name or None,
            client_cert=cert.read_bytes() if cert else None,
            client_private_key=key.read_bytes() if key else None,
        )
    return settings.temporal_tls or bool(settings.temporal_api_key.get_secret_value())


async def connect_with_retry(
    settings: Settings,
    *,
    attempts: int = 60,
    pause: float = 1.0,
    interceptors: Sequence[Interceptor] = (),
    runtime: Runtime | None = None,
) -> Client:
    """Wait for a Temporal server that is still starting (the dev server takes a few seconds)."""
    for attempt in range(1, attempts + 1):
        try:
            return await connect(settings, interceptors=interceptors, runtime=runtime)
        except ConnectionError:
            if attempt == attempts:
                raise
            log.info("waiting for Temporal at %s (attempt %d)", settings.temporal_address, attempt)
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")
