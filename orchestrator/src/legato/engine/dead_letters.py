"""Dead-letter records: exhausted jobs (workflow-jobs.DLT) and undecodable results (workflow-results.DLT)."""

import time
from datetime import datetime

from confluent_kafka import Message

from legato.engine.model import DeadLetter
from legato.kafka.clients import MAX_MESSAGE_BYTES
from legato.kafka.confirmed import Record
from legato.payloads import clean_text, configured
from legato_worker.protocol import Job, encode_job, headers
from legato_worker.protocol.topics import job_topic

# A result the engine decoded but could not apply (a value that slipped past admission, a bug).
REASON_UNAPPLIABLE = "unappliable"
PAYLOAD_OMITTED = "legato-payload-omitted"
MAX_DLT_PAYLOAD = MAX_MESSAGE_BYTES - 48 * 1024  # room for the envelope and the headers


def _ms(at: datetime | None) -> bytes:
    return str(int(at.timestamp() * 1000) if at else int(time.time() * 1000)).encode()


def job_dead_letter(
    dl: DeadLetter, jobs_prefix: str, dlt_topic: str, first_failure_at: datetime | None
) -> Record:
    c = dl.claimed
    now = int(time.time() * 1000)
    topic = job_topic(jobs_prefix, c.action)
    payload = c.payload
    # A job Kafka refused as too large would be refused again as a dead letter: keep its size only.
    omitted = len(payload.encode()) > min(configured().max_bytes, MAX_DLT_PAYLOAD)
    if omitted:
        payload = f'{{"legatoPayloadOmitted": true, "chars": {len(c.payload)}}}'
    job: Job = {
        "jobId": str(c.job_id),
        "runId": str(c.run_id),
        "stepId": c.step_id,
        "attempt": c.attempt,
        "action": c.action,
        "payload": payload,
        "workflowId": c.workflow_id,
        "workflowVersion": c.version,
        "queue": topic,
        "traceparent": None,
        "correlationId": c.correlation_id,
        "createdAt": now,
        "deadlineAt": None,
    }
    hdrs: list[tuple[str, str | bytes | None]] = [
        (headers.DLT_REASON, dl.reason.encode()),
        (headers.ERROR_TYPE, dl.error_type.encode()),
        (headers.ERROR_MESSAGE, clean_text(dl.error_message, 1024).encode()),
        (headers.RUN_ID, str(c.run_id).encode()),
        (headers.STEP_ID, c.step_id.encode()),
        (headers.JOB_ID, str(c.job_id).encode()),
        (headers.WORKFLOW_ID, c.workflow_id.encode()),
        (headers.WORKFLOW_VERSION, str(c.version).encode()),
        (headers.ACTION, c.action.encode()),
        (headers.ATTEMPTS, str(c.attempt).encode()),
        (headers.FIRST_FAILURE_AT, _ms(first_failure_at)),
        (headers.FAILED_AT, str(now).encode()),
        (headers.SOURCE_TOPIC, topic.encode()),
    ]
    if omitted:
        hdrs.append((PAYLOAD_OMITTED, b"true"))
    if c.partition is not None:
        hdrs.append((headers.SOURCE_PARTITION, str(c.partition).encode()))
    if c.offset is not None:
        hdrs.append((headers.SOURCE_OFFSET, str(c.offset).encode()))
    return Record(dlt_topic, str(c.run_id).encode(), encode_job(job), hdrs)


def undecodable_result(msg: Message, error: str, dlt_topic: str) -> Record:
    return _result_dead_letter(msg, headers.REASON_UNDECODABLE, "DecodeError", error, dlt_topic)


def _result_dead_letter(msg: Message, reason: str, error_type: str, error: str, dlt_topic: str) -> Record:
    hdrs: list[tuple[str, str | bytes | None]] = [(str(h[0]), h[1]) for h in msg.headers() or []]
    hdrs += [
        (headers.DLT_REASON, reason.encode()),
        (headers.ERROR_TYPE, error_type.encode()),
        (headers.ERROR_MESSAGE, clean_text(error, 1024).encode()),
        (headers.SOURCE_TOPIC, (msg.topic() or "").encode()),
        (headers.SOURCE_PARTITION, str(msg.partition()).encode()),
        (headers.SOURCE_OFFSET, str(msg.offset()).encode()),
        (headers.FAILED_AT, str(int(time.time() * 1000)).encode()),
    ]
    return Record(dlt_topic, msg.key(), msg.value(), [(str(k), v) for k, v in hdrs])


def unappliable_result(msg: Message, exc: BaseException, dlt_topic: str) -> Record:
    """The original result record, with the usual provenance headers and why it was not applied."""
    return _result_dead_letter(msg, REASON_UNAPPLIABLE, type(exc).__name__, str(exc), dlt_topic)
