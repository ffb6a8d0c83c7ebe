"""The API's Prometheus metrics and its request spans (what ops watch; docs/operations.md).

- `xueji_http_requests_total{method,route,status}` and `xueji_http_request_duration_seconds`
  by route template (`/api/complaints/{complaint_id}`: never an id or a query in a label);
- `xueji_logins_refused_total{reason}`: credentials, locked, slowed;
- read from the store at each scrape: `xueji_open_cases{stage}`,
  `xueji_overdue_cases{escalation_level}`, `xueji_outbox_unsent`, `xueji_outbox_failed`;
- asked of the re-timing's workflow at each scrape (workflows/retime.py, the figures
  `xueji calendar retime --status` shows): `xueji_retiming_running` (1 while one runs),
  `xueji_retiming_workflows{outcome}` (the running cases and campaigns it has signalled, found
  ended, or failed to tell so far, of the last one). Without an answer from Temporal (3 s) the
  families are there without samples.

Served on their own port (XUEJI_API_METRICS_PORT, bound to XUEJI_METRICS_HOST), not by the
app: the public reaches the app, only the monitoring network reaches the metrics.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from contextlib import nullcontext
from typing import Any

from opentelemetry.trace import SpanKind, Tracer
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas.calendar import Retiming
from store.watch import open_cases_by_stage, outbox_backlog, overdue_cases_by_level

# One line a request, by route template: never the path's ids or the query string, which may
# hold a searched phone number or a child's name (uvicorn's own access log is off).
access = logging.getLogger("xueji.access")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class StoreGauges(Collector):
    """The product's own gauges, counted in the store when Prometheus scrapes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        with Session(self._engine) as session:
            by_stage = open_cases_by_stage(session)
            by_level = overdue_cases_by_level(session)
            waiting, failed = outbox_backlog(session)
        stages = GaugeMetricFamily("xueji_open_cases", "未办结的案件，按环节", labels=["stage"])
        for stage, count in sorted(by_stage.items()):
            stages.add_metric([stage], count)
        yield stages
        overdue = GaugeMetricFamily(
            "xueji_overdue_cases", "超期的未办结案件，按督办升级层级", labels=["escalation_level"]
        )
        for level, count in sorted(by_level.items()):
            overdue.add_metric([str(level)], count)
        yield overdue
        yield GaugeMetricFamily("xueji_outbox_unsent", "发件箱中待发送的通知", value=waiting)
        yield GaugeMetricFamily("xueji_outbox_failed", "待发送且曾发送失败的通知", value=failed)


RETIMING_WAIT_SECONDS = 3.0


class RetimingGauges(Collector):
    """The re-timing's progress, asked of its workflow (on the app's event loop, where the
    app's Temporal client lives) when Prometheus scrapes."""

    def __init__(
        self,
        status: Callable[[], Coroutine[Any, Any, Retiming | None]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._status, self._loop = status, loop

    def _read(self) -> tuple[bool, Retiming | None]:
        """(answered, the last re-timing or None if none has run)."""
        future: Future[Retiming | None] = asyncio.run_coroutine_threadsafe(
            self._status(), self._loop
        )
        try:
            return True, future.result(timeout=RETIMING_WAIT_SECONDS)
        except Exception as exc:  # Temporal away or slow: the scrape goes on without them
            future.cancel()
            logging.getLogger(__name__).warning("re-timing progress not read: %r", exc)
            return False, None

    def collect(self) -> Iterator[Metric]:
        answered, retiming = self._read()
        running = GaugeMetricFamily(
            "xueji_retiming_running", "工作日历变更后的期限重算是否正在进行（1 进行中）"
        )
        workflows = GaugeMetricFamily(
            "xueji_retiming_workflows",
            "最近一次期限重算已通知的在办案件和专项，按结果（已通知、已结束、失败）",
            labels=["outcome"],
        )
        if answered:
            running.add_metric([], int(retiming is not None and retiming.state == "running"))
            workflows.add_metric(["signalled"], retiming.signalled if retiming else 0)
            workflows.add_metric(["closed"], retiming.closed if retiming else 0)
            workflows.add_metric(["failed"], len(retiming.failed) if retiming else 0)
        yield running
        yield workflows


class Metrics:
    """The app's metrics, in a registry of its own (one app, one set of figures)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "xueji_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "xueji_http_request_duration_seconds",
            "time to answer an HTTP request, by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.logins_refused = Counter(
            "xueji_logins_refused",
            "refused logins (JSON and console), by reason",
            ["reason"],
            registry=self.registry,
        )
        self._server: Any = None

    def serve(
        self,
        engine: Engine,
        host: str,
        port: int,
        retiming: Callable[[], Coroutine[Any, Any, Retiming | None]] | None = None,
    ) -> None:
        """Count the store's gauges at each scrape (and ask `retiming` for the re-timing's
        progress, on the calling event loop) and answer scrapes on host:port."""
        self.registry.register(StoreGauges(engine))
        if retiming is not None:
            self.registry.register(RetimingGauges(retiming, asyncio.get_running_loop()))
        self._server, _thread = start_http_server(port, addr=host, registry=self.registry)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template; with tracing, each request
    is a server span that the Temporal calls it makes continue (core/telemetry.py)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, state: Any) -> None:
        self.app, self.metrics, self.state = app, metrics, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        method = scope["method"]

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        tracer: Tracer | None = getattr(self.state, "tracer", None)
        started = time.perf_counter()
        span_context = (
            tracer.start_as_current_span(method, kind=SpanKind.SERVER)
            if tracer is not None
            else nullcontext()
        )
        with span_context as span:
            try:
                await self.app(scope, receive, sending)
            finally:
                route = getattr(scope.get("route"), "path", "unmatched")
                self.metrics.requests.labels(method, route, str(status)).inc()
                elapsed = time.perf_counter() - started
                self.metrics.latency.labels(method, route).observe(elapsed)
                access.info("%s %s %d %.0f ms", method, route, status, elapsed * 1000)
                if span is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.request.method", method)
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
