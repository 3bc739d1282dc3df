"""Lone-job latency of each worker SDK: one `echo` job at a time, produce to result read back.

For each language the SDK's conformance worker (`worker-sdk-<lang>/conformance/run-worker`) starts
on fresh topics; once it answers a warm-up job (it has joined its group), N jobs are produced at a
steady rate (default 200 at 20/s, far below any SDK's throughput, so each job finds the worker
idle). A job's latency is the time from its produce() call to its Result arriving at this
process's consumer: the worker's fetch, handler and produce, plus the broker's two hops and this
process's own client (the same for every SDK and every version of one). Reported as p50 / p99 / max.

This process's clients are set for latency themselves (no linger, Nagle off), so what it measures
is the worker's part.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid

from confluent_kafka import Consumer, Producer
from sdk_throughput import PARTITIONS, REPO, worker_topics

from legato_protocol import Job, decode_result, encode_job

WARM_UP_S = 60.0


def _job(topic: str) -> Job:
    return {
        "jobId": str(uuid.uuid4()),
        "runId": str(uuid.uuid4()),
        "stepId": "s",
        "attempt": 1,
        "action": "echo",
        "payload": "1",
        "workflowId": "latency",
        "workflowVersion": 1,
        "queue": topic,
        "traceparent": None,
        "correlationId": None,
        "createdAt": int(time.time() * 1000),
        "deadlineAt": None,
    }


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return sorted_ms[min(len(sorted_ms) - 1, max(0, round(q / 100 * len(sorted_ms)) - 1))]


def measure(language: str, bootstrap: str, jobs: int, rate: float) -> list[float]:
    """Latencies (ms) of `jobs` lone jobs sent at `rate` per second to a fresh worker of `language`."""
    tag = f"sdklat-{language}-{uuid.uuid4().hex[:6]}"
    env, topic, results = worker_topics(tag, bootstrap)
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 0,
            "socket.nagle.disable": True,
            "enable.idempotence": True,
        }
    )
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{tag}-reader",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "socket.nagle.disable": True,
            "fetch.wait.max.ms": 100,
        }
    )
    consumer.subscribe([results])
    worker = subprocess.Popen(
        [str(REPO / f"worker-sdk-{language}" / "conformance" / "run-worker")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sent: dict[str, float] = {}
    latencies: list[float] = []

    def send() -> str:
        job = _job(topic)
        sent[job["jobId"]] = time.perf_counter()
        producer.produce(topic, encode_job(job), job["runId"].encode())
        producer.poll(0)
        return job["jobId"]

    def receive(timeout: float) -> set[str]:
        answered: set[str] = set()
        msg = consumer.poll(timeout)
        while msg is not None:
            now = time.perf_counter()
            if msg.error() is None:
                job_id = decode_result(msg.value())["jobId"]
                began = sent.pop(job_id, None)
                if began is not None:
                    answered.add(job_id)
                    latencies.append((now - began) * 1000)
            msg = consumer.poll(0)
        return answered

    try:
        deadline = time.monotonic() + WARM_UP_S
        warm = send()
        while warm not in receive(0.1):  # the worker has joined its group and answers
            if time.monotonic() > deadline:
                raise RuntimeError(f"{language}: no answer to the warm-up job in {WARM_UP_S:.0f} s")
        time.sleep(1.0)
        receive(0)
        latencies.clear()
        interval = 1 / rate
        next_at = time.perf_counter()
        for _ in range(jobs):
            now = time.perf_counter()
            while now < next_at:
                receive(next_at - now)
                now = time.perf_counter()
            send()
            next_at += interval
        deadline = time.monotonic() + 10
        while sent and time.monotonic() < deadline:
            receive(0.1)
    finally:
        worker.terminate()
        worker.wait(60)
        consumer.close()
        producer.flush(10)
    if sent:
        raise RuntimeError(f"{language}: {len(sent)} of {jobs} jobs unanswered")
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="jobs per second")
    parser.add_argument("--languages", default="python,node,java")
    args = parser.parse_args()
    bootstrap = os.environ.get("LEGATO_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    print(
        f"\nWorker SDK lone-job latency: {args.jobs} echo jobs at {args.rate:g}/s, {PARTITIONS} partitions,"
        f" one worker process, {os.cpu_count()} cores (produce -> result read back)"
    )
    print("-" * 64)
    print(f"{'SDK':<8}{'p50 ms':>14}{'p99 ms':>14}{'max ms':>14}{'mean ms':>14}")
    for language in args.languages.split(","):
        ms = sorted(measure(language, bootstrap, args.jobs, args.rate))
        print(
            f"{language:<8}{percentile(ms, 50):>14.2f}{percentile(ms, 99):>14.2f}{ms[-1]:>14.2f}"
            f"{statistics.fmean(ms):>14.2f}"
        )
    print("-" * 64)
    return 0


if __name__ == "__main__":
    sys.exit(main())
