"""The OpenTelemetry SDK of one process: a TracerProvider, a batch processor and an exporter."""

import logging
import os

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

log = logging.getLogger(__name__)

_provider: TracerProvider | None = None


def _exporter() -> SpanExporter:
    kinds = [k.strip().lower() for k in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")]
    if "console" in kinds and "otlp" not in kinds:
        return ConsoleSpanExporter()
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    )
    if protocol.strip() != "http/protobuf":
        log.warning(
            "OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported: spans are sent as http/protobuf", protocol
        )
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout, compression: from OTEL_EXPORTER_OTLP_*


def start(default_service: str) -> TracerProvider:
    """Install this process's provider (once); `default_service` unless OTEL_SERVICE_NAME is set."""
    global _provider
    if _provider is not None:
        return _provider
    attributes = {}
    configured = os.environ.get("OTEL_RESOURCE_ATTRIBUTES", "")
    if not os.environ.get("OTEL_SERVICE_NAME", "").strip() and f"{SERVICE_NAME}=" not in configured:
        attributes[SERVICE_NAME] = default_service
    provider = TracerProvider(resource=Resource.create(attributes))  # sampler: OTEL_TRACES_SAMPLER
    provider.add_span_processor(BatchSpanProcessor(_exporter()))  # OTEL_BSP_*
    trace.set_tracer_provider(provider)
    _provider = provider
    log.info("tracing on: spans of %s exported", provider.resource.attributes.get(SERVICE_NAME))
    return provider


def stop() -> None:
    """Export what is left (the provider also does this at exit)."""
    if _provider is not None:
        _provider.shutdown()
