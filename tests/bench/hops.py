"""Where a bench run's time goes, hop by hop, from the timestamps the system itself records.

- PostgreSQL: the run's `created_at` (the trigger's transaction), each job's `finished_at` (the
  transaction that applied its result) and the run's `ended_at`;
- Kafka: each job record's and each result record's CreateTime (when the engine, resp. the worker,
  produced it), read back from the topics after the bench.

Every process runs on this one machine, so the clocks agree. Kafka's timestamps have millisecond
resolution. The hops of one run add up to its latency: the means, each times how often the hop
occurs in a run (the per-step hops once per step), add up to the mean run latency; the p50s and
p99s do not add up.
"""

import statistics
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import psycopg
from confluent_kafka import OFFSET_END, Consumer, TopicPartition

from legato.kafka.clients import connection
from legato_protocol import decode_job, decode_results_record, is_progress

STEPS = """
SELECT r.run_id, extract(epoch FROM r.created_at) * 1000, extract(epoch FROM r.ended_at) * 1000,
       j.job_id, extract(epoch FROM j.finished_at) * 1000
FROM runs AS r JOIN jobs AS j USING (run_id)
WHERE r.workflow_id = %s AND r.status = 'COMPLETED' AND j.state = 'COMPLETED'
ORDER BY r.run_id, j.created_at
"""

HOPS = (
    "trigger -> first job published",
    "job published -> result produced (worker and Kafka)",
    "result produced -> applied (engine read it)",
    "applied -> next job published",
    "last applied -> run ended",
)


def _first_times(bootstrap: str, topics: Iterable[str], since_ms: int, results: bool) -> dict[str, int]:
    """jobId -> the CreateTime of its first record in `topics` at or after `since_ms`."""
    consumer = Consumer(
        {**connection(bootstrap), "group.id": "legato-bench-hops", "enable.auto.commit": False}
    )
    try:
        wanted = [
            TopicPartition(topic, p, since_ms)
            for topic in topics
            for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ]
        starts = consumer.offsets_for_times(wanted, timeout=10)
        ends = {(tp.topic, tp.partition): consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in wanted}
        assigned = [
            tp
            for tp in starts
            if tp.offset not in (OFFSET_END, -1) and tp.offset < ends[(tp.topic, tp.partition)]
        ]
        consumer.assign(assigned)
        left = {(tp.topic, tp.partition) for tp in assigned}
        first: dict[str, int] = {}
        while left:
            for msg in consumer.consume(1000, timeout=5):
                if msg.error():
                    continue
                record: Any = decode_results_record(msg.value()) if results else decode_job(msg.value())
                if not (results and is_progress(record)):
                    first.setdefault(record["jobId"], msg.timestamp()[1])
                if (msg.offset() or 0) + 1 >= ends[(msg.topic() or "", msg.partition() or 0)]:
                    left.discard((msg.topic() or "", msg.partition() or 0))
        return first
    finally:
        consumer.close()


def hop_rows(
    conn: psycopg.Connection[Any],
    bootstrap: str,
    workflow_id: str,
    job_topics: Iterable[str],
    results_topic: str,
    since_ms: int,
) -> list[tuple[str, str]]:
    """Table rows: each hop's p50 / p99 / mean in ms over the completed runs of `workflow_id`."""
    published = _first_times(bootstrap, job_topics, since_ms, results=False)
    produced = _first_times(bootstrap, [results_topic], since_ms, results=True)
    runs: dict[UUID, tuple[float, float, list[tuple[str, float]]]] = {}
    for run_id, created, ended, job_id, finished in conn.execute(STEPS, (workflow_id,)):
        runs.setdefault(run_id, (float(created), float(ended), []))[2].append((str(job_id), float(finished)))
    samples: dict[str, list[float]] = {hop: [] for hop in HOPS}
    for created, ended, jobs in runs.values():
        if not all(job in published and job in produced for job, _ in jobs):
            continue  # a record before since_ms or lost to retention: leave the run out
        samples[HOPS[0]].append(published[jobs[0][0]] - created)
        for i, (job, finished) in enumerate(jobs):
            samples[HOPS[1]].append(produced[job] - published[job])
            samples[HOPS[2]].append(finished - produced[job])
            if i + 1 < len(jobs):
                samples[HOPS[3]].append(published[jobs[i + 1][0]] - finished)
        samples[HOPS[4]].append(ended - jobs[-1][1])
    rows = []
    for hop, values in samples.items():
        if len(values) < 2:
            continue
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        rows.append((hop, f"{cuts[49]:.1f} / {cuts[98]:.1f} / {statistics.fmean(values):.1f} ms"))
    counted = len(samples[HOPS[4]])
    return [(f"hops over {counted} runs (p50 / p99 / mean)", ""), *rows]
