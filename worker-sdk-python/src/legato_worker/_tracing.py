"""OpenTelemetry tracing and log correlation of attempts (docs/observability.md); tracing is off by default.

`ENABLED` follows the standard OTEL_* variables. OpenTelemetry (the `legato-worker[tracing]` extra)
is imported on the first traced job only: an application that installed an SDK TracerProvider
keeps it; otherwise one is set up (service `legato-worker` unless OTEL_SERVICE_NAME is set). If the
extra is missing, one warning is logged and jobs run untraced.

While a handler runs, log records carry `run_id`, `job_id`, `trace_id` and `span_id` (see
`install_log_fields`); outside a handler they are "-".
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from legato_protocol import Job, Result

log = logging.getLogger("legato_worker")

Header = tuple[str, str | bytes | None]
KafkaHeaders = dict[str, str | bytes | None] | Sequence[Header] | None
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def enabled(environ: Mapping[str, str]) -> bool:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if any(environ.get(name, "").strip() for name in _ENDPOINTS):
        return True
    return environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() not in ("", "none")


ENABLED = enabled(os.environ)

# --- log correlation ---------------------------------------------------------------------------

_fields: contextvars.ContextVar[tuple[str, str, str, str] | None] = contextvars.ContextVar(
    "legato_log_fields", default=None
)
_NO_FIELDS = ("-", "-", "-", "-")
_factory_lock = threading.Lock()
_factory_installed = False


def install_log_fields() -> None:
    """Every log record gets run_id, job_id, trace_id, span_id (those of the running handler)."""
    global _factory_installed
    with _factory_lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            record.run_id, record.job_id, record.trace_id, record.span_id = _fields.get() or _NO_FIELDS
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


def log_fields(job: Job, span: AttemptSpan | None) -> contextvars.Token[tuple[str, str, str, str] | None]:
    trace_id, span_id = span.ids if span is not None else ("-", "-")
    return _fields.set((job["runId"], job["jobId"], trace_id, span_id))


def reset_log_fields(token: contextvars.Token[tuple[str, str, str, str] | None]) -> None:
    _fields.reset(token)


# --- spans -------------------------------------------------------------------------------------

_setup_lock = threading.Lock()
_tracer: Any = None
_unavailable = False


def _get_tracer() -> Any:
    """The SDK's tracer (set up on first use), or None when the extra is not installed."""
    global _tracer, _unavailable
    if _tracer is not None or _unavailable:
        return _tracer
    with _setup_lock:
        if _tracer is not None or _unavailable:
            return _tracer
        try:
            from opentelemetry import trace
            from opentelemetry.sdk.resources import SERVICE_NAME, Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            _unavailable = True
            log.warning(
                "tracing is on (OTEL_* settings) but OpenTelemetry is not installed (%s): "
                "pip install 'legato-worker[tracing]'; jobs run untraced",
                exc,
            )
            return None
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):  # the application set up none: ours
            attributes = {}
            if not os.environ.get("OTEL_SERVICE_NAME", "").strip() and "service.name=" not in os.environ.get(
                "OTEL_RESOURCE_ATTRIBUTES", ""
            ):
                attributes[SERVICE_NAME] = "legato-worker"
            provider = TracerProvider(resource=Resource.create(attributes))
            provider.add_span_processor(BatchSpanProcessor(_exporter()))
            trace.set_tracer_provider(provider)
        _tracer = provider.get_tracer("legato_worker")
        return _tracer


def _exporter() -> Any:
    kinds = [k.strip().lower() for k in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")]
    if "console" in kinds and "otlp" not in kinds:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout: OTEL_EXPORTER_OTLP_*


def flush() -> None:
    """Export the spans still buffered (at the worker's shutdown)."""
    if _tracer is None:
        return
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    force_flush = getattr(provider, "force_flush", None)
    if force_flush is not None:
        force_flush(5000)


class Source:
    """Where a job was read: what its process span needs besides the Job."""

    __slots__ = ("group", "headers", "offset", "partition", "topic")

    def __init__(self, headers: KafkaHeaders, topic: str, partition: int, offset: int, group: str) -> None:
        self.headers = headers
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.group = group


class AttemptSpan:
    """The CONSUMER span of one attempt: current while its handler runs."""

    __slots__ = ("context", "headers", "ids", "span", "traceparent")

    def __init__(self, span: Any, context: Any) -> None:
        sc = span.get_span_context()
        self.span = span
        self.context = context
        self.ids = (f"{sc.trace_id:032x}", f"{sc.span_id:016x}")
        self.traceparent = f"00-{self.ids[0]}-{self.ids[1]}-{int(sc.trace_flags):02x}"
        self.headers: list[Header] = [("traceparent", self.traceparent.encode())]
        state = sc.trace_state.to_header()
        if state:
            self.headers.append(("tracestate", state.encode()))

    def attach(self) -> object:
        from opentelemetry import context

        return context.attach(self.context)

    def detach(self, token: object) -> None:
        from opentelemetry import context

        context.detach(token)  # type: ignore[arg-type]

    def end(self, result: Result) -> None:
        if result["status"] == "FAILED":
            from opentelemetry.trace import Status, StatusCode

            failure = result.get("failure")
            error_type = failure["type"] if failure else "Error"
            message = failure["message"] if failure else ""
            self.span.set_attribute("error.type", error_type or "Error")
            self.span.set_status(Status(StatusCode.ERROR, (message or "")[:1000]))
        self.span.end()


def begin(job: Job, source: Source) -> AttemptSpan | None:
    """Start the process span of an attempt: parent and link the job's `traceparent` (its header,
    else its Avro field)."""
    tracer = _get_tracer()
    if tracer is None:
        return None
    from opentelemetry import trace
    from opentelemetry.trace import Link, SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    pairs = source.headers.items() if isinstance(source.headers, dict) else source.headers or ()
    for key, value in pairs:
        if key in ("traceparent", "tracestate") and value is not None:
            carrier[key] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if "traceparent" not in carrier and job.get("traceparent"):
        carrier = {"traceparent": str(job.get("traceparent"))}
    parent = TraceContextTextMapPropagator().extract(carrier) if carrier else None
    remote = trace.get_current_span(parent).get_span_context() if parent is not None else None
    span = tracer.start_span(
        f"process {source.topic}",
        context=parent,
        kind=SpanKind.CONSUMER,
        links=[Link(remote)] if remote is not None and remote.is_valid else None,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": source.topic,
            "messaging.destination.partition.id": str(source.partition),
            "messaging.kafka.offset": source.offset,
            "messaging.consumer.group.name": source.group,
            "messaging.message.id": job["jobId"],
            "legato.run.id": job["runId"],
            "legato.job.id": job["jobId"],
            "legato.step.id": job["stepId"],
            "legato.attempt": job["attempt"],
            "legato.action": job["action"],
            "legato.workflow.id": job.get("workflowId") or "",
        },
    )
    return AttemptSpan(span, trace.set_span_in_context(span))
