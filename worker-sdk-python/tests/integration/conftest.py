"""An in-process Worker on real Kafka, plus a job producer and a result reader for assertions."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest
from confluent_kafka import Consumer, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from legato_protocol import (
    Cancel,
    Job,
    Progress,
    Result,
    decode_results_record,
    encode_cancel,
    encode_job,
    is_progress,
    topics,
)
from legato_worker import Worker, WorkerSettings

DEADLINE_S = 30.0


def wait_until(condition: Callable[[], bool], timeout: float = DEADLINE_S, what: str = "") -> None:
    """Poll `condition` until it holds; fail with `what` at the deadline."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


class KafkaSide:
    """The orchestrator's side of the wire for one test: produces Jobs and Cancels, reads Results,
    Progress records and the DLT."""

    wait_until = staticmethod(wait_until)

    def __init__(self, bootstrap: str, settings: WorkerSettings) -> None:
        self.bootstrap = bootstrap
        self.settings = settings
        self.producer = Producer({"bootstrap.servers": bootstrap})
        self._readers: dict[str, Consumer] = {}
        self.results: dict[str, Result] = {}
        self.progress: dict[str, list[Progress]] = {}
        self.dead: list[Message] = []

    def create_topics(
        self,
        actions: list[str],
        partitions: int = 1,
        *,
        results: bool = True,
        results_config: dict[str, str] | None = None,
    ) -> None:
        """Job topics of `actions`, the jobs DLT and the control topic (one partition); the results
        topic too unless `results=False`."""
        new = [
            NewTopic(n, num_partitions=partitions, replication_factor=1)
            for n in [topics.job_topic(self.settings.jobs_topic, a) for a in actions]
            + [topics.jobs_dlt_topic(self.settings.jobs_topic)]
        ]
        new.append(NewTopic(self.settings.control_topic, num_partitions=1, replication_factor=1))
        if results:
            new.append(self.results_topic_spec(results_config))
        self._create(new)

    def create_results_topic(self) -> None:
        self._create([self.results_topic_spec(None)])

    def results_topic_spec(self, config: dict[str, str] | None) -> NewTopic:
        return NewTopic(
            self.settings.results_topic, num_partitions=1, replication_factor=1, config=config or {}
        )

    def _create(self, new: list[NewTopic]) -> None:
        admin = AdminClient({"bootstrap.servers": self.bootstrap})  # must outlive the futures
        for future in admin.create_topics(new).values():
            future.result(timeout=DEADLINE_S)

    def job(
        self,
        action: str,
        payload: Any,
        *,
        topic_action: str | None = None,
        flush: bool = True,
        payload_text: str | None = None,
        heartbeat_timeout_ms: int | None = None,
        start_to_close_ms: int | None = None,
        last_heartbeat_details: str | None = None,
    ) -> Job:
        run_id = str(uuid.uuid4())
        job: Job = {
            "jobId": str(uuid.uuid4()),
            "runId": run_id,
            "stepId": "0",
            "attempt": 1,
            "action": action,
            "payload": json.dumps(payload) if payload_text is None else payload_text,
            "workflowId": "it",
            "workflowVersion": 1,
            "queue": topics.job_topic(self.settings.jobs_topic, topic_action or action),
            "traceparent": None,
            "correlationId": "corr-" + run_id[:8],
            "createdAt": int(time.time() * 1000),
            "deadlineAt": None,
            "startToCloseMs": start_to_close_ms,
            "heartbeatTimeoutMs": heartbeat_timeout_ms,
            "lastHeartbeatDetails": last_heartbeat_details,
        }
        self.producer.produce(job["queue"], encode_job(job), run_id)
        if flush:
            self.producer.flush(DEADLINE_S)
        return job

    def cancel(self, job: Job, reason: str = "RunCancelled") -> None:
        """A Cancel for `job` on the control topic, keyed by jobId (as the orchestrator writes it)."""
        cancel: Cancel = {
            "jobId": job["jobId"],
            "runId": job["runId"],
            "stepId": job["stepId"],
            "attempt": job["attempt"],
            "action": job["action"],
            "reason": reason,
            "message": "cancelled by the test",
            "at": int(time.time() * 1000),
        }
        self.producer.produce(self.settings.control_topic, encode_cancel(cancel), job["jobId"])
        self.producer.flush(DEADLINE_S)

    def raw(self, action: str, value: bytes, key: bytes) -> None:
        self.producer.produce(topics.job_topic(self.settings.jobs_topic, action), value, key)
        self.producer.flush(DEADLINE_S)

    def _reader(self, topic: str) -> Consumer:
        if topic not in self._readers:
            consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"reader-{uuid.uuid4()}"})
            partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
            consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
            self._readers[topic] = consumer
        return self._readers[topic]

    def _drain(self) -> None:
        for msg in self._reader(self.settings.results_topic).consume(100, timeout=0.05):
            if msg.error() is None:
                record = decode_results_record(msg.value())
                if is_progress(record):
                    progress = cast(Progress, record)
                    self.progress.setdefault(progress["jobId"], []).append(progress)
                else:
                    result = cast(Result, record)
                    self.results[result["jobId"]] = result
        dlt = topics.jobs_dlt_topic(self.settings.jobs_topic)
        self.dead.extend(m for m in self._reader(dlt).consume(100, 0.05) if m.error() is None)

    def result(self, job: Job, timeout: float = DEADLINE_S) -> Result:
        def arrived() -> bool:
            if job["jobId"] not in self.results:
                self._drain()
            return job["jobId"] in self.results

        wait_until(arrived, timeout, f"the result of job {job['jobId']} ({job['action']})")
        return self.results[job["jobId"]]

    def dead_letters(self, count: int, timeout: float = DEADLINE_S) -> list[Message]:
        def arrived() -> bool:
            self._drain()
            return len(self.dead) >= count

        wait_until(arrived, timeout, f"{count} message(s) on the jobs DLT")
        return self.dead

    def committed(self, action: str, partition: int = 0) -> int:
        group = topics.worker_group(self.settings.group_prefix, action)
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        try:
            topic = topics.job_topic(self.settings.jobs_topic, action)
            [tp] = consumer.committed([TopicPartition(topic, partition)], timeout=10)
            return int(tp.offset)
        finally:
            consumer.close()

    def close(self) -> None:
        for consumer in self._readers.values():
            consumer.close()


class RunningWorker:
    """A Worker whose `start()` runs on a background thread, as in a real process."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.worker.start()
        except BaseException as exc:
            self.error = exc

    def stop(self, timeout: float = DEADLINE_S) -> None:
        self.worker.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "worker did not stop"
        assert self.error is None, f"worker failed: {self.error!r}"


@pytest.fixture
def settings(kafka_bootstrap: str, unique_prefix: str) -> WorkerSettings:
    return WorkerSettings(
        bootstrap_servers=kafka_bootstrap,
        jobs_topic=f"{unique_prefix}.jobs",
        results_topic=f"{unique_prefix}.results",
        control_topic=f"{unique_prefix}.control",
        group_prefix=f"{unique_prefix}.workers",
        job_partitions=2,
        worker_id="it-worker",
        concurrency=4,
        shutdown_timeout_ms=10_000,
    )


@pytest.fixture
def kafka(kafka_bootstrap: str, settings: WorkerSettings) -> Iterator[KafkaSide]:
    side = KafkaSide(kafka_bootstrap, settings)
    yield side
    side.close()


@pytest.fixture
def run_worker() -> Iterator[Callable[[Worker], RunningWorker]]:
    started: list[RunningWorker] = []

    def run(worker: Worker) -> RunningWorker:
        running = RunningWorker(worker)
        started.append(running)
        return running

    yield run
    for running in started:
        if running.thread.is_alive():
            running.stop()
