"""One trace from the API through the workflow to its activities: with a collector configured
(XUEJI_OTLP_ENDPOINT), the API's span of a registration and the worker's spans of the case it
starts arrive at the collector over OTLP/HTTP in one trace, with no personal data in them."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from temporalio.testing import WorkflowEnvironment

from api.main import wall_clock
from core.telemetry import temporal_interceptors, tracer_provider
from core.temporal import connect
from tests.support.http_support import COMPLAINT, register, running_system, visible
from tests.support.stores import DEMO_TREE, FreshStore
from tests.support.waiting import eventually
from xueji.worker import build_worker


@dataclass
class Span:
    service: str
    name: str
    trace_id: bytes
    attributes: dict[str, Any]


@dataclass
class Collector:
    """An OTLP/HTTP trace receiver on 127.0.0.1: what an OpenTelemetry collector is sent."""

    url: str
    spans: list[Span] = field(default_factory=list)


@pytest.fixture
def collector() -> Iterator[Collector]:
    received: list[Span] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = ExportTraceServiceRequest.FromString(body)
            for resource in request.resource_spans:
                service = next(
                    a.value.string_value
                    for a in resource.resource.attributes
                    if a.key == "service.name"
                )
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        attributes = {a.key: str(a.value) for a in span.attributes}
                        received.append(Span(service, span.name, span.trace_id, attributes))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Collector(f"http://127.0.0.1:{server.server_port}", received)
    server.shutdown()


@pytest.fixture
def store_url(tmp_path: Path) -> Iterator[str]:
    """One store kind: the trace does not depend on it."""
    store = FreshStore("sqlite", tmp_path)
    try:
        yield store.make(DEMO_TREE)
    finally:
        store.drop()


async def test_a_registration_is_one_trace_from_the_api_to_the_activities(
    store_url: str, tmp_path: Path, dev_server: WorkflowEnvironment, collector: Collector
) -> None:
    async with running_system(
        store_url,
        tmp_path,
        dev_server,
        wall_clock,
        with_worker=False,
        otlp_endpoint=collector.url,
    ) as system:
        tracing = tracer_provider(system.settings, "xueji-worker")
        assert tracing is not None
        client = await connect(system.settings, interceptors=temporal_interceptors(tracing))
        async with build_worker(client, system.settings):
            case_id = (await register(system))["id"]
            await visible(system, "sjz_handler", case_id)
        tracing.shutdown()

        def registration() -> list[Span]:
            return [s for s in collector.spans if s.name == "POST /api/complaints"]

        async def arrived() -> bool:
            return bool(registration()) and any(
                s.service == "xueji-worker" for s in collector.spans
            )

        await eventually(arrived, failure=lambda: str([s.name for s in collector.spans]))

    [request] = registration()
    assert request.service == "xueji-api"
    assert request.attributes["http.route"] == 'string_value: "/api/complaints"\n'
    trace = [span for span in collector.spans if span.trace_id == request.trace_id]
    names = {(span.service, span.name) for span in trace}
    assert ("xueji-api", "StartWorkflow:ComplaintWorkflow") in names
    assert ("xueji-worker", "RunWorkflow:ComplaintWorkflow") in names
    for activity in ("route_complaint", "workday_window", "record_case"):
        assert ("xueji-worker", f"RunActivity:{activity}") in names
    # What the complainant wrote stays out of every span.
    seen = repr([(span.name, span.attributes) for span in collector.spans])
    personal = (COMPLAINT["complainant"]["name"], "1234", COMPLAINT["summary"])
    assert not any(value in seen for value in personal)
