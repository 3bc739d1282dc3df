"""The engine's spans (docs/observability.md, "Traces"), as an observer of the engine: a PRODUCER
span per job sent (kafka.publisher's SendTracer) and a CONSUMER span per result processed.

Imported by the engine process only when tracing is on (legato.tracing.ENABLED), so a process
with tracing off loads no OpenTelemetry and its hot path has no tracing call at all.
"""

from typing import Any

from confluent_kafka import KafkaError, Message

from legato.engine.observer import Decoded, EngineObserver
from legato.kafka.publisher import Headers
from legato.tracing import spans
from legato_protocol import Job


class TracingObserver(EngineObserver):
    def __init__(self, group: str) -> None:
        self._group = group

    def results_processed(self, decoded: Decoded, start_ns: int) -> None:
        if decoded:  # a CONSUMER span per result, batch start to commit
            spans.results_processed(decoded, self._group, start_ns)

    # kafka.publisher.SendTracer
    def sending(self, job: Job, trace_context: str | None) -> tuple[Any, Headers]:
        span, headers = spans.send(job, trace_context)
        return span, list(headers)

    def delivered(self, span: Any, err: KafkaError | None, msg: Message | None) -> None:
        spans.delivered(span, err, msg)

    def traceparent(self, span: Any) -> str:
        return spans.traceparent(span)
