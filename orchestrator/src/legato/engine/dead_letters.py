"""Dead-letter records: exhausted jobs (workflow-jobs.DLT) and undecodable results (workflow-results.DLT)."""

import time
from datetime import datetime

from confluent_kafka import Message

from legato.engine.model import DeadLetter
from legato.kafka.confirmed import Record
from legato_worker.protocol import Job, encode_job, headers
from legato_worker.protocol.topics import job_topic


def _ms(at: datetime | None) -> bytes:
    return str(int(at.timestamp() * 1000) if at else int(time.time() * 1000)).encode()


def job_dead_letter(
    dl: DeadLetter, jobs_prefix: str, dlt_topic: str, first_failure_at: datetime | None
) -> Record:
    c = dl.claimed
    now = int(time.time() * 1000)
    topic = job_topic(jobs_prefix, c.action)
    job: Job = {
        "jobId": str(c.job_id),
        "runId": str(c.run_id),
        "stepId": c.step_id,
        "attempt": c.attempt,
        "action": c.action,
        "payload": c.payload,
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
        (headers.ERROR_MESSAGE, dl.error_message.encode()[:4096]),
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
    if c.partition is not None:
        hdrs.append((headers.SOURCE_PARTITION, str(c.partition).encode()))
    if c.offset is not None:
        hdrs.append((headers.SOURCE_OFFSET, str(c.offset).encode()))
    return Record(dlt_topic, str(c.run_id).encode(), encode_job(job), hdrs)


def undecodable_result(msg: Message, error: str, dlt_topic: str) -> Record:
    hdrs: list[tuple[str, str | bytes | None]] = [(str(h[0]), h[1]) for h in msg.headers() or []]
    hdrs += [
        (headers.DLT_REASON, headers.REASON_UNDECODABLE.encode()),
        (headers.ERROR_TYPE, b"DecodeError"),
        (headers.ERROR_MESSAGE, error.encode()[:4096]),
        (headers.SOURCE_TOPIC, (msg.topic() or "").encode()),
        (headers.SOURCE_PARTITION, str(msg.partition()).encode()),
        (headers.SOURCE_OFFSET, str(msg.offset()).encode()),
        (headers.FAILED_AT, str(int(time.time() * 1000)).encode()),
    ]
    return Record(dlt_topic, msg.key(), msg.value(), [(str(k), v) for k, v in hdrs])
