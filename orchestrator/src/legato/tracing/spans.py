"""The orchestrator's spans: the trigger (API), each job's send and each result's processing (engine).

Imported only when tracing is on (see legato.tracing).
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import orjson
from confluent_kafka import KafkaError, Message
from fastapi import Request, Response
from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from legato.tracing import propagation
from legato_protocol import Job, Progress, Result, is_progress

TRIGGER = "POST /workflow/{workflow_id}/trigger"
TRIGGER_BATCH = "POST /workflow/{workflow_id}/trigger/batch"  # its context is stored with every run
_tracer = trace.get_tracer("legato")

Trigger = Callable[[Request, str, str | None], Awaitable[Response]]


async def trigger(request: Request, workflow_id: str, handle: Trigger, name: str = TRIGGER) -> Response:
    """The SERVER span of a trigger (TRIGGER) or a batch trigger (TRIGGER_BATCH), continuing the
    caller's `traceparent`; `handle` gets the span's context to store with the run(s)."""
    span = _tracer.start_span(
        name,
        context=propagation.extract(request.headers),
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": "POST",
            "http.route": name.removeprefix("POST "),
            "url.path": request.url.path,
            "legato.workflow.id": workflow_id,
        },
    )
    try:
        response = await handle(request, workflow_id, propagation.stored(span.get_span_context()))
    except Exception as exc:
        status = int(getattr(exc, "status_code", 500))
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.record_exception(exc)
            span.set_attribute("error.type", type(exc).__name__)
            span.set_status(Status(StatusCode.ERROR, str(exc)))
        span.end()
        raise
    span.set_attribute("http.response.status_code", response.status_code)
    if response.status_code == 200 and name == TRIGGER:
        run_id = orjson.loads(bytes(response.body)).get("runId")
        span.set_attribute("legato.run.id", str(run_id))
    span.end()
    return response


def _job_attributes(job: Job) -> dict[str, Any]:
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": job["queue"],
        "messaging.message.id": job["jobId"],
        "legato.run.id": job["runId"],
        "legato.job.id": job["jobId"],
        "legato.step.id": job["stepId"],
        "legato.attempt": job["attempt"],
        "legato.action": job["action"],
        "legato.workflow.id": job["workflowId"],
    }


def send(job: Job, trace_context: str | None) -> tuple[Span, list[propagation.Header]]:
    """A job's PRODUCER span (a child of its run's trigger span, `trace_context` as stored with the
    run) and the headers that carry it."""
    span = _tracer.start_span(
        f"send {job['queue']}",
        context=propagation.from_stored(trace_context),
        kind=SpanKind.PRODUCER,
        attributes=_job_attributes(job),
    )
    return span, propagation.kafka_headers(span.get_span_context())


def traceparent(span: Span) -> str:
    return propagation.traceparent(span.get_span_context())


def delivered(span: Span, err: KafkaError | None, msg: Message | None) -> None:
    """Ends a send span when Kafka answered (or refused the record)."""
    if err is None and msg is not None:
        span.set_attribute("messaging.destination.partition.id", str(msg.partition()))
        span.set_attribute("messaging.kafka.offset", msg.offset() or 0)
    elif err is not None:
        span.set_attribute("error.type", err.name())
        span.set_status(Status(StatusCode.ERROR, err.str()))
    span.end()


def results_processed(
    decoded: Sequence[tuple[Message, Result | Progress]], group: str, start_ns: int
) -> None:
    """One CONSUMER span per result of a batch (parent and link: the result's context), from the
    batch's start to its commit."""
    for msg, record in decoded:
        if is_progress(record):
            continue
        result = cast(Result, record)
        parent = propagation.from_kafka(msg.headers(), result.get("traceparent"))
        remote = propagation.span_context(parent)
        span = _tracer.start_span(
            f"process {msg.topic()}",
            context=parent,
            kind=SpanKind.CONSUMER,
            links=[Link(remote)] if remote is not None else None,
            start_time=start_ns,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.operation.name": "process",
                "messaging.destination.name": msg.topic() or "",
                "messaging.destination.partition.id": str(msg.partition()),
                "messaging.kafka.offset": msg.offset() or 0,
                "messaging.consumer.group.name": group,
                "messaging.message.id": result["jobId"],
                "legato.run.id": result["runId"],
                "legato.job.id": result["jobId"],
                "legato.step.id": result["stepId"],
                "legato.attempt": result["attempt"],
                "legato.action": result["action"],
                "legato.result.status": result["status"],
            },
        )
        span.end()
