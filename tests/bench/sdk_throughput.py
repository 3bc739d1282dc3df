"""No-op throughput of each worker SDK, measured the same way for all three.

For each language: N `echo` jobs are produced to fresh topics first, then the SDK's conformance
worker (`worker-sdk-<lang>/conformance/run-worker`) starts; the figure is N divided by the time from
its start to the last result read back (so it includes start-up and the consumer-group join).
Bounded: N jobs and a deadline per language; the worker is stopped at the end.

The worker process's CPU time (user + system, from /proc/<pid>/stat) is read when its first and
its last result arrive: CPU per job is that difference over the jobs in between, so the start-up
(imports, JIT, group join) is left out, as in the "first to last result" rate.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import NamedTuple

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from legato_protocol import Job, decode_result, encode_job

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 6
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (its threads included)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


class Figures(NamedTuple):
    with_start: float
    """jobs/s, process start to last result"""
    steady: float
    """jobs/s, first to last result"""
    cpu_ms_per_job: float
    """the worker's CPU ms per job, first to last result"""


def worker_topics(tag: str, bootstrap: str) -> tuple[dict[str, str], str, str]:
    """A conformance worker's environment on topics of its own (created here, named after `tag`):
    (env, the `echo` action's job topic, the results topic)."""
    env = {
        **os.environ,
        "LEGATO_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "LEGATO_JOBS_TOPIC": f"{tag}-jobs",
        "LEGATO_RESULTS_TOPIC": f"{tag}-results",
        "LEGATO_GROUP_PREFIX": f"{tag}-workers",
        "LEGATO_JOB_PARTITIONS": str(PARTITIONS),
        "LEGATO_LOG_LEVEL": "WARNING",
    }
    topic, results = f"{tag}-jobs.echo", f"{tag}-results"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics(
        [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in (topic, results)]
    ).values():
        f.result(30)
    return env, topic, results


def measure(language: str, bootstrap: str, jobs: int, timeout: float) -> Figures:
    tag = f"sdkbench-{language}-{uuid.uuid4().hex[:6]}"
    env, topic, results = worker_topics(tag, bootstrap)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": True})
    now = int(time.time() * 1000)
    for i in range(jobs):
        run_id = str(uuid.uuid4())
        job: Job = {
            "jobId": str(uuid.uuid4()),
            "runId": run_id,
            "stepId": "s",
            "attempt": 1,
            "action": "echo",
            "payload": str(i),
            "workflowId": "bench",
            "workflowVersion": 1,
            "queue": topic,
            "traceparent": None,
            "correlationId": None,
            "createdAt": now,
            "deadlineAt": None,
        }
        while True:
            try:
                producer.produce(topic, encode_job(job), run_id.encode())
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{tag}-reader",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([results])
    worker = subprocess.Popen(
        [str(REPO / f"worker-sdk-{language}" / "conformance" / "run-worker")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.monotonic()
    seen = 0
    first = last = 0.0
    cpu_first = cpu_last = 0.0
    try:
        deadline = started + timeout
        while seen < jobs and time.monotonic() < deadline:
            for m in consumer.consume(1000, timeout=0.2):
                if m.error() is None and decode_result(m.value())["status"] == "COMPLETED":
                    seen += 1
                    if not first:
                        first = time.monotonic()
                        cpu_first = cpu_seconds(worker.pid)
            if seen >= jobs:
                last = time.monotonic()
                cpu_last = cpu_seconds(worker.pid)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(60)
        consumer.close()
    if seen < jobs:
        raise RuntimeError(f"{language}: only {seen} of {jobs} results in {timeout}s")
    # the first result is one of the jobs: jobs - 1 were answered between the two readings
    return Figures(
        jobs / elapsed,
        (jobs - 1) / max(last - first, 1e-9),
        (cpu_last - cpu_first) * 1000 / (jobs - 1),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_SDK_JOBS", "20000")))
    parser.add_argument("--languages", default="python,node,java")
    parser.add_argument("--timeout", type=float, default=180)
    args = parser.parse_args()
    bootstrap = os.environ.get("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    print(
        f"\nWorker SDK no-op throughput: {args.jobs} pre-produced echo jobs, {PARTITIONS} partitions, "
        f"concurrency 16, one worker process, {os.cpu_count()} cores"
    )
    print("-" * 88)
    print(
        f"{'SDK':<8}{'jobs/s, process start to last result':>38}{'first to last result':>24}"
        f"{'CPU ms/job':>18}"
    )
    for language in args.languages.split(","):
        f = measure(language, bootstrap, args.jobs, args.timeout)
        print(f"{language:<8}{f.with_start:>38,.0f}{f.steady:>24,.0f}{f.cpu_ms_per_job:>18.3f}")
    print("-" * 88)
    return 0


if __name__ == "__main__":
    sys.exit(main())
