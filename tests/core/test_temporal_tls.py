"""Connecting to Temporal over TLS: the server's certificate checked against the configured CA
and name, a client certificate for mutual TLS, and an API key sent as a bearer token; through a
real TLS endpoint in front of the dev server, as a cluster's load balancer would be."""

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from hpack import Decoder
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings, describe
from core.temporal import connect

SERVER_NAME = "temporal.xueji.test"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, CONTINUATION = 0x1, 0x9
END_HEADERS, PADDED, PRIORITY = 0x4, 0x8, 0x20


@dataclass
class Front:
    """A TLS endpoint that forwards to the dev server and keeps the request headers it saw."""

    address: str
    headers: list[tuple[str, str]] = field(default_factory=list)


class RequestHeaders:
    """The HTTP/2 request headers in a client's byte stream (RFC 9113 frames, HPACK blocks)."""

    def __init__(self, seen: list[tuple[str, str]]) -> None:
        self._seen = seen
        self._buffer = b""
        self._preface = True
        self._block = b""
        self._decoder = Decoder()

    def feed(self, data: bytes) -> None:
        self._buffer += data
        if self._preface:
            if len(self._buffer) < len(PREFACE):
                return
            self._buffer = self._buffer[len(PREFACE) :]
            self._preface = False
        while len(self._buffer) >= 9:
            length = int.from_bytes(self._buffer[:3])
            if len(self._buffer) < 9 + length:
                return
            kind, flags = self._buffer[3], self._buffer[4]
            payload = self._buffer[9 : 9 + length]
            self._buffer = self._buffer[9 + length :]
            if kind == HEADERS:
                if flags & PADDED:
                    payload = payload[1 : len(payload) - payload[0]]
                if flags & PRIORITY:
                    payload = payload[5:]
            if kind in (HEADERS, CONTINUATION):
                self._block += payload
                if flags & END_HEADERS:
                    self._seen.extend(self._decoder.decode(self._block))
                    self._block = b""


@asynccontextmanager
async def tls_front(upstream: str, context: ssl.SSLContext) -> AsyncIterator[Front]:
    host, port = upstream.rsplit(":", 1)
    front = Front(address="")
    pumps: set[asyncio.Task[None]] = set()

    async def pump(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: RequestHeaders | None
    ) -> None:
        with suppress(ConnectionError, ssl.SSLError):
            while data := await reader.read(65536):
                if headers is not None:
                    headers.feed(data)
                writer.write(data)
                await writer.drain()
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        for task in (
            pump(reader, up_writer, RequestHeaders(front.headers)),
            pump(up_reader, writer, None),
        ):
            pumps.add(asyncio.create_task(task))

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    front.address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield front
    finally:
        server.close()
        for task in pumps:
            task.cancel()


@dataclass
class Pki:
    ca: trustme.CA
    ca_file: Path
    cert_file: Path
    key_file: Path


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    """A CA, and a client certificate of the xueji worker it signed, as PEM files."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    client = ca.issue_cert("xueji-worker")
    cert_file, key_file = tmp_path / "client.pem", tmp_path / "client.key"
    client.cert_chain_pems[0].write_to_path(str(cert_file))
    client.private_key_pem.write_to_path(str(key_file))
    return Pki(ca, ca_file, cert_file, key_file)


def server_context(signed_by: trustme.CA, *, client_ca: trustme.CA | None) -> ssl.SSLContext:
    """The frontend's TLS: its certificate for SERVER_NAME; with `client_ca`, mutual TLS."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    signed_by.issue_cert(SERVER_NAME).configure_cert(context)
    context.set_alpn_protocols(["h2"])
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        client_ca.configure_trust(context)
    return context


def tls_settings(front: Front, pki: Pki, **more: object) -> Settings:
    return Settings(
        temporal_address=front.address,
        temporal_tls_ca=pki.ca_file,
        temporal_tls_server_name=SERVER_NAME,
        **more,  # type: ignore[arg-type]
    )


async def test_mutual_tls_with_an_api_key_reaches_temporal(
    dev_server: WorkflowEnvironment, pki: Pki
) -> None:
    context = server_context(pki.ca, client_ca=pki.ca)
    upstream = dev_server.client.service_client.config.target_host
    async with tls_front(upstream, context) as front:
        settings = tls_settings(
            front,
            pki,
            temporal_tls_cert=pki.cert_file,
            temporal_tls_key=pki.key_file,
            temporal_api_key="key-of-the-worker",
        )
        client = await connect(settings, timeout=5)
        counted = await client.count_workflows('WorkflowType = "NoSuchWorkflow"')

    assert counted.count == 0
    assert ("authorization", "Bearer key-of-the-worker") in front.headers


async def test_a_server_the_configured_ca_did_not_sign_is_refused(
    dev_server: WorkflowEnvironment, pki: Pki
) -> None:
    impostor = trustme.CA()
    upstream = dev_server.client.service_client.config.target_host
    async with tls_front(upstream, server_context(impostor, client_ca=None)) as front:
        with pytest.raises(ConnectionError, match=f"Temporal 服务 {front.address} 无法连接"):
            await connect(tls_settings(front, pki), timeout=3)
    assert front.headers == []  # nothing was sent to it


async def test_mutual_tls_refuses_a_client_without_its_certificate(
    dev_server: WorkflowEnvironment, pki: Pki
) -> None:
    upstream = dev_server.client.service_client.config.target_host
    async with tls_front(upstream, server_context(pki.ca, client_ca=pki.ca)) as front:
        with pytest.raises(ConnectionError, match=f"Temporal 服务 {front.address} 无法连接"):
            await connect(tls_settings(front, pki), timeout=3)


def test_tls_files_that_cannot_be_read_or_come_alone_are_named(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as missing:
        Settings(temporal_tls_ca=tmp_path / "nowhere.pem")
    assert [error["loc"] for error in missing.value.errors()] == [("temporal_tls_ca",)]
    assert f"文件 {tmp_path / 'nowhere.pem'} 不存在或无法读取" in str(missing.value)

    with pytest.raises(ValidationError) as alone:
        Settings(temporal_tls_cert=pki.cert_file)
    assert describe(alone.value) == (
        "配置有误：\n  XUEJI_TEMPORAL_TLS_CERT 与 XUEJI_TEMPORAL_TLS_KEY 须同时配置"
        "（双向 TLS 的客户端证书及其私钥）"
    )
