"""What ops can watch from outside a process: traces (OpenTelemetry, sent over OTLP/HTTP when
XUEJI_OTLP_ENDPOINT names a collector, nowhere otherwise), the Temporal SDK's own metrics (a
Prometheus endpoint of the worker), and log lines as JSON.

Nothing here carries personal data: spans are named by route templates, workflow types and
activity names with workflow ids (a case id, never a person); payloads stay encrypted in
Temporal's headers and are never span attributes; log records are the code's own messages,
which name ids and codes only, with the case id added where an activity logs.
"""

import logging
import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pythonjsonlogger.json import JsonFormatter
from temporalio import activity
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def tracer_provider(settings: Settings, service: str) -> TracerProvider | None:
    """Spans of this process sent to the configured collector, in batches each second; None
    when no collector is configured (no span is made then)."""
    if not settings.otlp_endpoint:
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=1000))
    return provider


def temporal_interceptors(provider: TracerProvider | None) -> list[Interceptor]:
    """The Temporal client's (and so its workers') interceptors: with tracing, each start,
    Update, Signal and Query carries the caller's trace into the workflow and its activities."""
    if provider is None:
        return []
    return [TracingInterceptor(provider.get_tracer("xueji"))]


def worker_runtime(settings: Settings) -> Runtime | None:
    """The SDK's runtime with its Prometheus endpoint (task latencies, schedule-to-start,
    slots, polls) on XUEJI_WORKER_METRICS_PORT; None (the default runtime) when it is 0."""
    if not settings.worker_metrics_port:
        return None
    address = f"{settings.metrics_host}:{settings.worker_metrics_port}"
    metrics = PrometheusConfig(bind_address=address, durations_as_seconds=True)
    return Runtime(telemetry=TelemetryConfig(metrics=metrics))


class CaseIdFilter(logging.Filter):
    """Adds `case_id` to what an activity logs: the workflow it runs for (a case's id, or a
    slip's, which begins with its case's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if activity.in_activity():
            record.case_id = activity.info().workflow_id
        return True


def configure_logging(settings: Settings) -> None:
    """The process's log lines on stderr: text, or one JSON object a line (`time`, `level`,
    `logger`, `message`, and `case_id` where there is one)."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    handler.addFilter(CaseIdFilter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin set-up, at each start
