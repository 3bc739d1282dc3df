"""Python, Node and Java workers of one action form one consumer group and share its jobs.

Each job runs on exactly one worker, whatever its language: this needs every SDK to speak the
same partition-assignment protocol (roundrobin, docs/protocol.md).
"""

import uuid
from pathlib import Path

from confluent_kafka.admin import AdminClient
from conformance_harness import (
    DEADLINE_S,
    LANGUAGES,
    Wire,
    WorkerProcess,
    client_config,
    security_env,
    wait_until,
)

from legato_protocol import topics


def _languages_with_partitions(bootstrap: str, group: str) -> set[str]:
    """Languages (from client ids `legato-<language>-...`) of members that hold partitions."""
    admin = AdminClient(client_config(bootstrap, security_env()))
    description = admin.describe_consumer_groups([group])[group].result(timeout=10)
    return {m.client_id.split("-")[1] for m in description.members if m.assignment.topic_partitions}


def test_three_languages_share_one_group(conformance_kafka: str, tmp_path: Path) -> None:
    wire = Wire(conformance_kafka, f"conf-mixed-{uuid.uuid4().hex[:8]}")
    wire.create_topics(partitions=6)
    group = topics.worker_group(wire.group_prefix, "echo")
    workers = [WorkerProcess(lang, wire.env(f"mixed-{lang}"), tmp_path / f"{lang}.log") for lang in LANGUAGES]
    try:
        # three processes start (a JVM among them) and each join rebalances the group: on a busy
        # machine that takes longer than one job's deadline
        wait_until(
            lambda: _languages_with_partitions(conformance_kafka, group) == set(LANGUAGES),
            2 * DEADLINE_S,
            "a worker of every language holding echo partitions",
        )
        jobs = [wire.job("echo", n) for n in range(60)]
        results = [wire.result(job) for job in jobs]
        assert [r["status"] for r in results] == ["COMPLETED"] * len(jobs)
        assert len({r["jobId"] for r in results}) == len(jobs)
        # 6 partitions shared by three members: every language gets jobs.
        assert {r["sdk"].split("/")[0] for r in results} == set(LANGUAGES)
        assert [w.proc.poll() for w in workers] == [None] * len(workers)  # nobody crashed
    finally:
        for w in workers:
            w.stop()
        wire.close()
