"""The harness side of the conformance suite: one SDK's run-worker process, and the wire to it.

The harness plays the orchestrator: it produces Jobs (encoded with legato_worker.protocol) straight
onto the job topics and reads Results and dead letters back, so every SDK is judged on its bytes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from legato_worker.protocol import Job, Result, decode_result, encode_job, topics

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("python", "node", "java")
ACTIONS = ("echo", "fail", "fail-plain", "nonretryable", "slow")
DEADLINE_S = 30.0


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def headers_of(msg: Message) -> dict[str, str]:
    raw = msg.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    return {k: v.decode() if isinstance(v, bytes) else (v or "") for k, v in pairs}


def run_worker_path(language: str) -> Path:
    return REPO / f"worker-sdk-{language}" / "conformance" / "run-worker"


class WorkerProcess:
    """`worker-sdk-<lang>/conformance/run-worker`, with its stdout lines kept for assertions."""

    def __init__(self, language: str, env: dict[str, str], log_path: Path) -> None:
        self.language = language
        self.log_path = log_path
        self.lines: list[str] = []
        self._log = log_path.open("w")
        self.proc = subprocess.Popen(
            [str(run_worker_path(language))],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, line: str, timeout: float = DEADLINE_S) -> None:
        def seen() -> bool:
            if self.proc.poll() is not None and line not in self.lines:
                raise AssertionError(f"worker exited ({self.proc.returncode}){self.diagnostics()}")
            return line in self.lines

        wait_until(seen, timeout, f"{line!r} on the {self.language} worker's stdout")

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.language} worker still running {timeout:.0f} s after SIGTERM" + self.diagnostics()
            ) from None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()

    def diagnostics(self) -> str:
        self._log.flush()
        tail = self.log_path.read_text(errors="replace").splitlines()[-25:]
        out = self.lines[-10:]
        return (
            f"\n--- {self.language} worker stdout (tail) ---\n"
            + "\n".join(out)
            + f"\n--- stderr (tail, full log {self.log_path}) ---\n"
            + "\n".join(tail)
        )


class Wire:
    """Topics of one conformance module: produce Jobs, collect Results and DLT messages."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap = bootstrap
        self.jobs_topic = f"{prefix}.jobs"
        self.results_topic = f"{prefix}.results"
        self.group_prefix = f"{prefix}.workers"
        self.dlt_topic = topics.jobs_dlt_topic(self.jobs_topic)
        self.producer = Producer({"bootstrap.servers": bootstrap})
        self.results: dict[str, Result] = {}
        self.result_keys: dict[str, bytes | None] = {}
        self.dead: list[Message] = []
        self._readers: dict[str, Consumer] = {}
        self.worker: WorkerProcess | None = None

    def env(self, worker_id: str) -> dict[str, str]:
        return {
            "LEGATO_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "LEGATO_JOBS_TOPIC": self.jobs_topic,
            "LEGATO_RESULTS_TOPIC": self.results_topic,
            "LEGATO_GROUP_PREFIX": self.group_prefix,
            "LEGATO_JOB_PARTITIONS": "1",
            "LEGATO_WORKER_ID": worker_id,
            "LEGATO_SHUTDOWN_TIMEOUT_MS": "10000",
        }

    def create_topics(self, partitions: int = 1) -> None:
        """Job topics get `partitions`; the results and DLT topics one (the readers read partition 0)."""
        jobs = [topics.job_topic(self.jobs_topic, a) for a in ACTIONS]
        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        new = [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in jobs]
        new += [
            NewTopic(n, num_partitions=1, replication_factor=1) for n in (self.dlt_topic, self.results_topic)
        ]
        for future in admin.create_topics(new).values():
            future.result(timeout=DEADLINE_S)

    def job(self, action: str, payload: Any, *, topic_action: str | None = None) -> Job:
        run_id = str(uuid.uuid4())
        job: Job = {
            "jobId": str(uuid.uuid4()),
            "runId": run_id,
            "stepId": f"step-{action}",
            "attempt": 2,
            "action": action,
            "payload": json.dumps(payload),
            "workflowId": "conformance",
            "workflowVersion": 3,
            "queue": topics.job_topic(self.jobs_topic, topic_action or action),
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "correlationId": f"corr-{run_id[:8]}",
            "createdAt": int(time.time() * 1000),
            "deadlineAt": None,
        }
        self.producer.produce(job["queue"], encode_job(job), run_id)
        self.producer.flush(DEADLINE_S)
        return job

    def raw(self, action: str, value: bytes, key: bytes) -> None:
        self.producer.produce(topics.job_topic(self.jobs_topic, action), value, key)
        self.producer.flush(DEADLINE_S)

    def _reader(self, topic: str) -> Consumer:
        if topic not in self._readers:
            consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": "unused"})
            consumer.assign([TopicPartition(topic, 0, 0)])
            self._readers[topic] = consumer
        return self._readers[topic]

    def _drain(self) -> None:
        for msg in self._reader(self.results_topic).consume(100, timeout=0.05):
            if msg.error() is None:
                result = decode_result(msg.value())
                self.results[result["jobId"]] = result
                self.result_keys[result["jobId"]] = msg.key()
        self.dead += [m for m in self._reader(self.dlt_topic).consume(100, 0.05) if not m.error()]

    def _diagnostics(self) -> str:
        return self.worker.diagnostics() if self.worker is not None else ""

    def result(self, job: Job, timeout: float = DEADLINE_S) -> Result:
        def arrived() -> bool:
            if job["jobId"] not in self.results:
                self._drain()
            return job["jobId"] in self.results

        try:
            wait_until(arrived, timeout, f"the result of a {job['action']!r} job")
        except AssertionError as exc:
            raise AssertionError(str(exc) + self._diagnostics()) from None
        return self.results[job["jobId"]]

    def dead_letters(self, count: int, timeout: float = DEADLINE_S) -> list[Message]:
        def arrived() -> bool:
            self._drain()
            return len(self.dead) >= count

        try:
            wait_until(arrived, timeout, f"{count} message(s) on {self.dlt_topic}")
        except AssertionError as exc:
            raise AssertionError(str(exc) + self._diagnostics()) from None
        return self.dead

    def committed(self, action: str) -> int:
        group = topics.worker_group(self.group_prefix, action)
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        try:
            topic = topics.job_topic(self.jobs_topic, action)
            [tp] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
            return int(tp.offset)
        finally:
            consumer.close()

    def close(self) -> None:
        for consumer in self._readers.values():
            consumer.close()
