"""The harness side of the conformance suite: one SDK's run-worker process, and the wire to it.

The harness plays the orchestrator: it produces Jobs (encoded with legato_protocol) straight
onto the job topics, Cancels onto the module's control topic, and reads Results, Progress records
(protocol v2) and dead letters back, so every SDK is judged on its bytes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from confluent_kafka import Consumer, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewPartitions, NewTopic

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
from legato_protocol.kafka_security import KafkaSecurity

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("python", "node", "java")
ACTIONS = (
    "echo",
    "fail",
    "fail-plain",
    "nonretryable",
    "slow",
    "big",
    "nan",
    "recurse",
    "count",
    "heartbeat",
    "wait-cancel",
    "ignore-cancel",
)
READER_STALL_S = 15.0  # a harness reader that read nothing this long checks that nothing waits for it
DEADLINE_S = 60.0  # a condition wait: as long as a JVM start and a group join take on a loaded CI box


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def headers_of(msg: Message) -> dict[str, str]:
    raw = msg.headers() or []
    pairs = raw.items() if isinstance(raw, dict) else raw
    return {k: v.decode() if isinstance(v, bytes) else (v or "") for k, v in pairs}


def security_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The LEGATO_KAFKA_* settings (besides the address) of this process: kafka-client.env under make."""
    source = os.environ if environ is None else environ
    return {k: v for k, v in source.items() if k.startswith("LEGATO_KAFKA_") and "BOOTSTRAP" not in k}


def client_config(bootstrap: str, security: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    return {"bootstrap.servers": bootstrap, **KafkaSecurity.from_env(security).librdkafka_config(), **extra}


def run_worker_path(language: str) -> Path:
    return REPO / f"worker-sdk-{language}" / "conformance" / "run-worker"


class WorkerProcess:
    """`worker-sdk-<lang>/conformance/run-worker`, with its stdout lines kept for assertions."""

    def __init__(
        self, language: str, env: dict[str, str], log_path: Path, command: list[str] | None = None
    ) -> None:
        """`command` runs another program of that SDK instead (e.g. an example worker)."""
        self.language = language
        self.log_path = log_path
        self.lines: list[str] = []
        self.times: list[float] = []  # time.monotonic() each line was read, same index as lines
        self._log = log_path.open("w")
        self.proc = subprocess.Popen(
            command or [str(run_worker_path(language))],
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
            self.times.append(time.monotonic())
            self.lines.append(line.rstrip("\n"))

    def count(self, marker: str) -> int:
        """How often `marker` was printed. Substrings, not whole lines: two handler threads that
        print at once may share a line ("STARTED aSTARTED b")."""
        return sum(line.count(marker) for line in list(self.lines))

    def line_time(self, marker: str) -> float | None:
        """time.monotonic() when the first line containing `marker` was read, None if never."""
        for line, at in list(zip(self.lines, self.times, strict=False)):
            if marker in line:
                return at
        return None

    def printed(self, marker: str) -> bool:
        return self.count(marker) > 0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_for_line(self, line: str, timeout: float = DEADLINE_S) -> None:
        def seen() -> bool:
            if self.proc.poll() is not None and not self.printed(line):
                raise AssertionError(f"worker exited ({self.proc.returncode}){self.diagnostics()}")
            return self.printed(line)

        wait_until(seen, timeout, f"{line!r} on the {self.language} worker's stdout")

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        """The exit code, once the process exited and its stdout was read to the end (so every
        line it printed is in `lines`)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.language} worker still running {timeout:.0f} s after SIGTERM" + self.diagnostics()
            ) from None
        self._reader.join(timeout=5)
        return code

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
    """Topics of one conformance module: produce Jobs and Cancels, collect Results, Progress and
    DLT messages."""

    def __init__(self, bootstrap: str, prefix: str, security: Mapping[str, str] | None = None) -> None:
        self.bootstrap = bootstrap
        self.security = security_env() if security is None else dict(security)
        self.jobs_topic = f"{prefix}.jobs"
        self.results_topic = f"{prefix}.results"
        self.group_prefix = f"{prefix}.workers"
        self.control_topic = f"{prefix}.control"
        self.dlt_topic = topics.jobs_dlt_topic(self.jobs_topic)
        self.producer = Producer(self.config())
        self.results: dict[str, Result] = {}
        self.delivered: list[str] = []  # jobIds of every Result read, duplicates included
        self.result_keys: dict[str, bytes | None] = {}
        self.progress: defaultdict[str, list[Progress]] = defaultdict(list)  # per jobId, arrival order
        self.progress_keys: dict[str, bytes | None] = {}
        self.records: list[tuple[str, str]] = []  # (jobId, "RESULT" or a Progress kind), arrival order
        self.dead: list[Message] = []
        self._readers: dict[str, Consumer] = {}
        self._next_offset: dict[str, int] = {}  # per read topic: the offset after the last record read
        self.reader_errors: list[str] = []  # what the readers' consumers reported (diagnostics)
        self._send_errors: list[str] = []
        self._quiet_since: dict[str, float] = {}
        self.worker: WorkerProcess | None = None

    def config(self, **extra: Any) -> dict[str, Any]:
        return client_config(self.bootstrap, self.security, **extra)

    def env(self, worker_id: str) -> dict[str, str]:
        return {
            **self.security,
            "LEGATO_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
            "LEGATO_JOBS_TOPIC": self.jobs_topic,
            "LEGATO_RESULTS_TOPIC": self.results_topic,
            "LEGATO_CONTROL_TOPIC": self.control_topic,
            "LEGATO_GROUP_PREFIX": self.group_prefix,
            "LEGATO_JOB_PARTITIONS": "1",
            "LEGATO_WORKER_ID": worker_id,
            "LEGATO_SHUTDOWN_TIMEOUT_MS": "10000",
        }

    def create_topics(self, partitions: int = 1, *, results: bool = True) -> None:
        """Job topics get `partitions`; the results, control and DLT topics one (the readers read
        partition 0). `results=False` leaves the results topic out (the broker does not auto-create
        topics)."""
        jobs = [topics.job_topic(self.jobs_topic, a) for a in ACTIONS]
        new = [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in jobs]
        singles = (self.dlt_topic, self.control_topic)
        singles += (self.results_topic,) if results else ()
        new += [NewTopic(n, num_partitions=1, replication_factor=1) for n in singles]
        self._create(new)

    def add_partitions(self, action: str, total: int) -> None:
        """Grow `action`'s job topic to `total` partitions, and make this wire's producer see them."""
        topic = topics.job_topic(self.jobs_topic, action)
        admin = AdminClient(self.config())  # referenced until the futures resolve
        for future in admin.create_partitions([NewPartitions(topic, total)]).values():
            future.result(timeout=DEADLINE_S)
        wait_until(
            lambda: len(self.producer.list_topics(topic, timeout=5).topics[topic].partitions) == total,
            DEADLINE_S,
            f"{topic} has {total} partitions in the producer's metadata",
        )

    def create_results_topic(self) -> None:
        self._create([NewTopic(self.results_topic, num_partitions=1, replication_factor=1)])

    def _create(self, new: list[NewTopic]) -> None:
        admin = AdminClient(self.config())  # referenced until the futures resolve
        for future in admin.create_topics(new).values():
            future.result(timeout=DEADLINE_S)

    def job(
        self,
        action: str,
        payload: Any,
        *,
        topic_action: str | None = None,
        payload_text: str | None = None,
        partition: int | None = None,
        **options: Any,
    ) -> Job:
        """Produce a Job; `payload_text` replaces the JSON encoding of `payload` (e.g. with non-JSON).
        `partition` overrides the key's partition. `options` are those of `make_job` (v2 limits,
        lastHeartbeatDetails)."""
        job = self.make_job(action, payload, topic_action=topic_action, payload_text=payload_text, **options)
        self.send(job, partition)
        return job

    def make_job(
        self,
        action: str,
        payload: Any,
        *,
        topic_action: str | None = None,
        payload_text: str | None = None,
        deadline_at: int | None = None,
        start_to_close_ms: int | None = None,
        heartbeat_timeout_ms: int | None = None,
        last_heartbeat_details: str | None = None,
    ) -> Job:
        """A Job not produced yet (see `send`): e.g. to cancel it before it exists."""
        run_id = str(uuid.uuid4())
        return {
            "jobId": str(uuid.uuid4()),
            "runId": run_id,
            "stepId": f"step-{action}",
            "attempt": 2,
            "action": action,
            "payload": json.dumps(payload) if payload_text is None else payload_text,
            "workflowId": "conformance",
            "workflowVersion": 3,
            "queue": topics.job_topic(self.jobs_topic, topic_action or action),
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "correlationId": f"corr-{run_id[:8]}",
            "createdAt": now_ms(),
            "deadlineAt": deadline_at,
            "startToCloseMs": start_to_close_ms,
            "heartbeatTimeoutMs": heartbeat_timeout_ms,
            "lastHeartbeatDetails": last_heartbeat_details,
        }

    def send(self, job: Job, partition: int | None = None) -> None:
        if partition is None:
            self.producer.produce(job["queue"], encode_job(job), job["runId"], on_delivery=self._delivered)
        else:
            self.producer.produce(
                job["queue"], encode_job(job), job["runId"], partition=partition, on_delivery=self._delivered
            )
        self._flush()

    def cancel(self, job: Job, reason: str = "RunCancelled") -> Cancel:
        """Withdraw `job`: a Cancel keyed by its jobId on the control topic (as the orchestrator does)."""
        cancel: Cancel = {
            "jobId": job["jobId"],
            "runId": job["runId"],
            "stepId": job["stepId"],
            "attempt": job["attempt"],
            "action": job["action"],
            "reason": reason,
            "message": f"withdrawn by the conformance harness ({reason})",
            "at": now_ms(),
        }
        encoded = encode_cancel(cancel)
        self.producer.produce(self.control_topic, encoded, job["jobId"], on_delivery=self._delivered)
        self._flush()
        return cancel

    def raw(self, action: str, value: bytes, key: bytes) -> None:
        topic = topics.job_topic(self.jobs_topic, action)
        self.producer.produce(topic, value, key, on_delivery=self._delivered)
        self._flush()

    def _delivered(self, err: Any, msg: Message) -> None:
        if err is not None:
            self._send_errors.append(f"{msg.topic()}: {err}")

    def _flush(self) -> None:
        """Every record produced so far is in Kafka, or the test fails here, naming why (a job the
        harness never published must not pass for a worker that never answered)."""
        left = self.producer.flush(DEADLINE_S)
        errors, self._send_errors = self._send_errors, []
        if left or errors:
            raise AssertionError(f"the harness could not publish: {left} record(s) unsent, errors {errors}")

    def _reader(self, topic: str) -> Consumer:
        """A reader of partition 0 of `topic` from its start. `auto.offset.reset` is earliest: with
        librdkafka's default (latest), an offset reset (e.g. an offset validation after a broker
        restart) would jump past every record written meanwhile. `_records` drops what a reset
        reads twice; `_unstick` replaces a reader that stopped fetching (issue 26)."""
        if topic not in self._readers:
            settings = {"group.id": "unused", "auto.offset.reset": "earliest", "enable.auto.commit": False}
            consumer = Consumer(self.config(**settings))
            consumer.assign([TopicPartition(topic, 0, 0)])
            self._readers[topic] = consumer
        return self._readers[topic]

    def _records(self, topic: str, timeout: float) -> list[Message]:
        """The records of `topic` not read before, in order; errors are kept for the diagnostics."""
        fresh: list[Message] = []
        reader = self._reader(topic)
        for msg in reader.consume(100, timeout=timeout):
            err = msg.error()
            if err is not None:
                self.reader_errors.append(f"{time.strftime('%H:%M:%S')} {topic}: {err}")
                continue
            offset = msg.offset()
            if offset is None or offset < self._next_offset.get(topic, 0):
                continue
            self._next_offset[topic] = offset + 1
            fresh.append(msg)
        now = time.monotonic()
        if fresh or topic not in self._quiet_since:
            self._quiet_since[topic] = now
        elif now - self._quiet_since[topic] >= READER_STALL_S:
            self._quiet_since[topic] = now
            self._unstick(reader, topic)
        return fresh

    def _unstick(self, reader: Consumer, topic: str) -> None:
        """A reader that read nothing for READER_STALL_S while its partition has records past its
        position is replaced by a new one from that position, and says so in the diagnostics and
        on stderr. Seen after broker restarts (issue 26): the librdkafka reader's handle stayed at
        its position with answers waiting behind it, and could not even list its own offsets,
        while a new consumer read them at once. The worker's answers must not wait on it."""
        probe = Consumer(self.config(**{"group.id": "unused", "enable.auto.commit": False}))
        try:
            end = int(probe.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1])
        except KafkaException:
            return
        finally:
            probe.close()
        at = self._next_offset.get(topic, 0)
        if end <= at:
            return
        note = f"{time.strftime('%H:%M:%S')} {topic}: reader fetched nothing for {READER_STALL_S:.0f} s"
        note += f" with records {at}..{end - 1} waiting; a new reader reads from {at}"
        self.reader_errors.append(note)
        print(f"conformance harness: {note}", file=sys.stderr, flush=True)
        del self._readers[topic]
        reader.close()
        replacement = self._reader(topic)
        replacement.assign([TopicPartition(topic, 0, at)])

    def _drain(self) -> None:
        for msg in self._records(self.results_topic, 0.05):
            record = decode_results_record(msg.value())
            if is_progress(record):
                progress = cast(Progress, record)
                self.progress[progress["jobId"]].append(progress)
                self.progress_keys[progress["jobId"]] = msg.key()
                self.records.append((progress["jobId"], progress["kind"]))
                continue
            result = cast(Result, record)
            self.results[result["jobId"]] = result
            self.result_keys[result["jobId"]] = msg.key()
            self.delivered.append(result["jobId"])
            self.records.append((result["jobId"], "RESULT"))
        self.dead += self._records(self.dlt_topic, 0.05)

    def _diagnostics(self) -> str:
        errors = "".join(f"\n  {e}" for e in self.reader_errors[-10:])
        readers = f"\n--- harness readers' errors ---{errors}" if errors else ""
        return (self.worker.diagnostics() if self.worker is not None else "") + readers

    def result(self, job: Job, timeout: float = DEADLINE_S) -> Result:
        def arrived() -> bool:
            if job["jobId"] not in self.results:
                self._drain()
            return job["jobId"] in self.results

        try:
            wait_until(arrived, timeout, f"the result of a {job['action']!r} job")
        except AssertionError as exc:
            raise AssertionError(str(exc) + self._look_for(job) + self._diagnostics()) from None
        return self.results[job["jobId"]]

    def _look_for(self, job: Job) -> str:
        """Whether the job's result is on the results topic after all (read afresh): tells a worker
        that never answered from a harness reader that missed the answer."""
        topic = self.results_topic
        reader = self._readers.get(topic)
        position = reader.position([TopicPartition(topic, 0)])[0].offset if reader is not None else None
        consumer = Consumer(self.config(**{"group.id": "unused", "enable.auto.commit": False}))
        try:
            end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
            consumer.assign([TopicPartition(topic, 0, 0)])
            read, found = 0, None
            deadline = time.monotonic() + 20
            while read < end and time.monotonic() < deadline:
                for msg in consumer.consume(500, timeout=1):
                    if msg.error() is None:
                        read = max(read, (msg.offset() or 0) + 1)
                        record = decode_results_record(msg.value())
                        if not is_progress(record) and record["jobId"] == job["jobId"]:
                            found = msg.offset()
        except KafkaException as exc:
            return f"\n--- {topic} could not be read afresh: {exc}"
        finally:
            consumer.close()
        where = "not on the topic" if found is None else f"ON the topic at offset {found}"
        return f"\n--- the result is {where} (end offset {end}; the harness reader's position {position})"

    def read_to_end(self, timeout: float = DEADLINE_S) -> None:
        """Read the results topic up to the end offset it has now: everything written before this
        call is then in `results`, `progress` and `records` (e.g. to count what came after a point,
        or to check that nothing followed a Result)."""
        consumer = Consumer(self.config(**{"group.id": "unused", "enable.auto.commit": False}))
        try:
            end = int(consumer.get_watermark_offsets(TopicPartition(self.results_topic, 0), timeout=10)[1])
        finally:
            consumer.close()

        def read() -> bool:
            self._drain()
            return self._next_offset.get(self.results_topic, 0) >= end

        try:
            wait_until(read, timeout, f"the harness reader to reach offset {end} of {self.results_topic}")
        except AssertionError as exc:
            raise AssertionError(str(exc) + self._diagnostics()) from None

    def progress_of(self, job: Job) -> list[Progress]:
        """The Progress records of `job` read so far, in arrival order (read more first: `_drain`)."""
        self._drain()
        return list(self.progress.get(job["jobId"], []))

    def await_progress(
        self, job: Job, kind: str, timeout: float = DEADLINE_S, count: int = 1
    ) -> list[Progress]:
        """Wait until `count` Progress records of `kind` arrived for `job`; returns all of its records."""

        def arrived() -> bool:
            self._drain()
            return sum(p["kind"] == kind for p in self.progress.get(job["jobId"], [])) >= count

        try:
            wait_until(arrived, timeout, f"{count} {kind} Progress record(s) of a {job['action']!r} job")
        except AssertionError as exc:
            raise AssertionError(str(exc) + self._diagnostics()) from None
        return list(self.progress[job["jobId"]])

    def kinds(self, job: Job) -> list[str]:
        """What arrived for `job` on the results topic, in order: Progress kinds and "RESULT"."""
        return [kind for job_id, kind in self.records if job_id == job["jobId"]]

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
        return self.committed_offsets(action, 1)[0]

    def committed_offsets(self, action: str, partitions: int) -> list[int]:
        """The group's committed offset of each partition of the action's topic (-1001: none)."""
        group = topics.worker_group(self.group_prefix, action)
        consumer = Consumer(self.config(**{"group.id": group}))
        try:
            topic = topics.job_topic(self.jobs_topic, action)
            wanted = [TopicPartition(topic, p) for p in range(partitions)]
            return [int(tp.offset) for tp in consumer.committed(wanted, timeout=10)]
        finally:
            consumer.close()

    def end_offsets(self, action: str, partitions: int) -> list[int]:
        consumer = Consumer(self.config(**{"group.id": "unused"}))
        try:
            topic = topics.job_topic(self.jobs_topic, action)
            return [
                consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(partitions)
            ]
        finally:
            consumer.close()

    def await_committed_to_end(self, action: str, partitions: int, timeout: float = DEADLINE_S) -> None:
        ends = self.end_offsets(action, partitions)
        seen: list[int] = []

        def caught_up() -> bool:
            seen[:] = self.committed_offsets(action, partitions)
            # a partition that never held a record has nothing to commit (-1001)
            return all(c == e or (e == 0 and c < 0) for c, e in zip(seen, ends, strict=True))

        try:
            wait_until(caught_up, timeout, f"committed offsets of {action} to reach {ends}")
        except AssertionError as exc:
            raise AssertionError(f"{exc} (committed {seen}){self._diagnostics()}") from None

    def close(self) -> None:
        for consumer in self._readers.values():
            consumer.close()
