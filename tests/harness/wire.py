"""A worker played by the test on the wire: read Jobs, write Progress and Results, read Cancels.

For engine tests that need an attempt to start, heartbeat, go silent or answer late at exactly the
moment the test chooses (the SDKs' own behaviour is the conformance suite's business).
"""

import time
import uuid
from typing import Any, Literal

from confluent_kafka import Consumer, Producer, TopicPartition

from harness.orchestrator import Orchestrator
from legato_protocol import (
    Cancel,
    Failure,
    Job,
    Progress,
    Result,
    decode_cancel,
    decode_job,
    encode_progress,
    encode_result,
    topics,
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class WireWorker:
    """One action's consumer-group member, plus a reader of the whole control topic."""

    def __init__(self, orch: Orchestrator, action: str) -> None:
        env = orch.env
        self.orch = orch
        self.action = action
        self.results_topic = env["LEGATO_RESULTS_TOPIC"]
        self.jobs = Consumer(
            {
                **orch.kafka_config(),
                "group.id": topics.worker_group(env["LEGATO_GROUP_PREFIX"], action),
                "auto.offset.reset": "earliest",
                "enable.auto.commit": True,
            }
        )
        self.jobs.subscribe([topics.job_topic(env["LEGATO_JOBS_TOPIC"], action)])
        self.control = Consumer(
            {**orch.kafka_config(), "group.id": f"wire-{uuid.uuid4().hex}", "enable.auto.commit": False}
        )
        self.control.assign([TopicPartition(env["LEGATO_CONTROL_TOPIC"], 0, 0)])
        self.producer = Producer(orch.kafka_config())
        self.cancels: list[Cancel] = []

    def next_job(self, timeout: float = 30) -> Job:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.jobs.poll(0.2)
            if msg is not None and not msg.error():
                return decode_job(msg.value())
        raise AssertionError(f"no job within {timeout:.0f} s")

    def no_job(self, seconds: float) -> None:
        """Assert that no job arrives for `seconds` (a bounded observation, not a wait for a state)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            msg = self.jobs.poll(0.2)
            if msg is not None and not msg.error():
                raise AssertionError(f"unexpected job {decode_job(msg.value())}")

    def progress(
        self,
        job: Job,
        kind: str,
        details: str | None = None,
        started_at: int | None = None,
        clock_offset_ms: int = 0,
    ) -> None:
        """A Progress record from a worker whose clock is `clock_offset_ms` off: its times and its
        Kafka record's timestamp (the producer's clock) are."""
        now = now_ms() + clock_offset_ms
        record: Progress = {
            "jobId": job["jobId"],
            "runId": job["runId"],
            "stepId": job["stepId"],
            "attempt": job["attempt"],
            "action": job["action"],
            "kind": kind,  # type: ignore[typeddict-item]
            "details": details,
            "reason": "DeadlinePassed" if kind == "SKIPPED" else None,
            "workerId": "wire-worker",
            "sdk": "test/0",
            "startedAt": started_at or now,
            "at": now,
        }
        self._send(job, encode_progress(record), timestamp=now)

    def complete(self, job: Job, output: str) -> None:
        self._answer(job, "COMPLETED", output, None)

    def fail(self, job: Job, error_type: str, message: str) -> None:
        failure: Failure = {
            "type": error_type,
            "message": message,
            "nonRetryable": False,
            "details": None,
            "stackTrace": None,
        }
        self._answer(job, "FAILED", None, failure)

    def _answer(
        self, job: Job, status: Literal["COMPLETED", "FAILED"], output: str | None, failure: Failure | None
    ) -> None:
        result: Result = {
            "jobId": job["jobId"],
            "runId": job["runId"],
            "stepId": job["stepId"],
            "attempt": job["attempt"],
            "action": job["action"],
            "status": status,
            "output": output,
            "failure": failure,
            "workerId": "wire-worker",
            "sdk": "test/0",
            "startedAt": now_ms(),
            "finishedAt": now_ms(),
        }
        self._send(job, encode_result(result))

    def _send(self, job: Job, value: bytes, timestamp: int = 0) -> None:
        self.producer.produce(self.results_topic, value=value, key=job["runId"].encode(), timestamp=timestamp)
        assert self.producer.flush(10) == 0

    def cancel_for(self, job_id: str, timeout: float = 10) -> Cancel:
        """The Cancel record withdrawing `job_id`, once the orchestrator has published it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [c for c in self.cancels if c["jobId"] == job_id]
            if found:
                return found[0]
            msg = self.control.poll(0.2)
            if msg is not None and not msg.error():
                self.cancels.append(decode_cancel(msg.value()))
        raise AssertionError(f"no Cancel for job {job_id} within {timeout:.0f} s; saw {self.cancels}")

    def close(self) -> None:
        self.jobs.close()
        self.control.close()


def step_of(run: dict[str, Any]) -> dict[str, Any]:
    step: dict[str, Any] = run["steps"][0]
    return step
