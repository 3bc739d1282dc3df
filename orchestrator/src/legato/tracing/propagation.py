"""W3C Trace Context in Kafka headers, Avro fields and the runs table (docs/observability.md)."""

from collections.abc import Mapping, Sequence

from opentelemetry.context import Context
from opentelemetry.trace import SpanContext, get_current_span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_W3C = TraceContextTextMapPropagator()
Header = tuple[str, str | bytes | None]
KafkaHeaders = dict[str, str | bytes | None] | Sequence[Header] | None


def traceparent(sc: SpanContext) -> str:
    return f"00-{sc.trace_id:032x}-{sc.span_id:016x}-{int(sc.trace_flags):02x}"


def stored(sc: SpanContext) -> str:
    """What runs.trace_context holds: the traceparent, and the tracestate after a newline."""
    state = sc.trace_state.to_header()
    return f"{traceparent(sc)}\n{state}" if state else traceparent(sc)


def from_stored(text: str | None) -> Context | None:
    if not text:
        return None
    parent, _, state = text.partition("\n")
    return extract({"traceparent": parent, "tracestate": state} if state else {"traceparent": parent})


def extract(carrier: Mapping[str, str]) -> Context | None:
    """The remote parent `carrier` holds (headers with `traceparent`), None if it holds none."""
    ctx = _W3C.extract(carrier)
    return ctx if get_current_span(ctx).get_span_context().is_valid else None


def kafka_headers(sc: SpanContext) -> list[Header]:
    headers: list[Header] = [("traceparent", traceparent(sc).encode())]
    state = sc.trace_state.to_header()
    if state:
        headers.append(("tracestate", state.encode()))
    return headers


def from_kafka(headers: KafkaHeaders, field: str | None) -> Context | None:
    """The parent a record carries: its `traceparent` header, else the Avro `traceparent` field."""
    carrier: dict[str, str] = {}
    pairs = headers.items() if isinstance(headers, dict) else headers or ()
    for key, value in pairs:
        if key in ("traceparent", "tracestate") and value is not None:
            carrier[key] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if "traceparent" not in carrier and field:
        carrier = {"traceparent": field}
    return extract(carrier) if carrier else None


def span_context(ctx: Context | None) -> SpanContext | None:
    return None if ctx is None else get_current_span(ctx).get_span_context()
