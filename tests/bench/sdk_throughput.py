"""No-op throughput of each worker SDK, measured the same way for all three.

For each language: N `echo` jobs are produced to fresh topics first, then the SDK's conformance
worker (`worker-sdk-<lang>/conformance/run-worker`) starts; the figure is N divided by the time from
its start to the last result read back (so it includes start-up and the consumer-group join).
Bounded: N jobs and a deadline per language; the worker is stopped at the end.
"""

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from legato_protocol import Job, decode_result, encode_job

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 6


def measure(language: str, bootstrap: str, jobs: int, timeout: float) -> tuple[float, float]:
    tag = f"sdkbench-{language}-{uuid.uuid4().hex[:6]}"
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
    first = 0.0
    try:
        deadline = started + timeout
        while seen < jobs and time.monotonic() < deadline:
            for m in consumer.consume(1000, timeout=0.2):
                if m.error() is None and decode_result(m.value())["status"] == "COMPLETED":
                    seen += 1
                    first = first or time.monotonic()
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(60)
        consumer.close()
    if seen < jobs:
        raise RuntimeError(f"{language}: only {seen} of {jobs} results in {timeout}s")
    return jobs / elapsed, jobs / max(time.monotonic() - first, 1e-9) if first else 0.0


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
    print("-" * 72)
    print(f"{'SDK':<8}{'jobs/s, process start to last result':>38}{'first to last result':>26}")
    for language in args.languages.split(","):
        with_start, steady = measure(language, bootstrap, args.jobs, args.timeout)
        print(f"{language:<8}{with_start:>38,.0f}{steady:>26,.0f}")
    print("-" * 72)
    return 0


if __name__ == "__main__":
    sys.exit(main())
