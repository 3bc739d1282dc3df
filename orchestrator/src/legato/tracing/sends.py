"""A PRODUCER span per job sent (kafka.publisher's SendTracer), for whoever publishes jobs: the
engine (engine.tracing_observer) and the API (runs.first_jobs). Imported only when tracing is on."""

from typing import Any

from confluent_kafka import KafkaError, Message

from legato.tracing import spans
from legato_protocol import Job

Headers = list[tuple[str, str | bytes | None]]  # as kafka.publisher takes them


class SendSpans:
    def sending(self, job: Job, trace_context: str | None) -> tuple[Any, Headers]:
        span, headers = spans.send(job, trace_context)
        return span, list(headers)

    def delivered(self, span: Any, err: KafkaError | None, msg: Message | None) -> None:
        spans.delivered(span, err, msg)

    def traceparent(self, span: Any) -> str:
        return spans.traceparent(span)
