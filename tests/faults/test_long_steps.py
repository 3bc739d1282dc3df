"""Long heartbeating steps through orchestrator faults: none times out while its worker beats.

The engine claims a heartbeat deadline only once it has read every report written before it
(engine.caught_up). Each test here breaks that reading in one way — an orchestrator `kill -9` and
restart (its consumer waits out the old member's session), a database outage with a backlog of
reports, a second orchestrator frozen while it owns results partitions — while Python SDK workers
heartbeat every second against a 3 s heartbeat timeout. Every step must finish on its first attempt.
"""

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition

from harness.api import define, events, trigger, unique, wait_run
from harness.orchestrator import LOGS, Orchestrator
from harness.private_stack import PrivateStack
from harness.services import require_stack
from harness.waiting import until
from harness.workers import StartedWorker, running_worker
from legato_worker import AttemptCancelled, JobContext

pytestmark = [pytest.mark.integration, pytest.mark.slow]

HEARTBEAT_S = 3  # the SDK beats every heartbeatSeconds / 3: 1 s
BEAT_S = 0.25  # one unit of work between heartbeat() calls


def beating(payload: dict[str, Any], ctx: JobContext) -> dict[str, Any]:
    start = int((ctx.last_heartbeat_details or {}).get("done", 0))
    for i in range(start, payload["beats"]):
        if ctx.cancelled.wait(BEAT_S):
            raise AttemptCancelled(ctx.cancel_reason)
        ctx.heartbeat({"done": i + 1})
    return {"attempt": ctx.attempt, "resumedFrom": start}


def long_step(api: httpx.Client, action: str) -> str:
    wid = unique("long")
    step = {"id": "long", "action": action, "heartbeatSeconds": HEARTBEAT_S, "retry": {"maxAttempts": 3}}
    define(api, {"id": wid, "steps": [step]})
    return wid


def progress(orch: Orchestrator, run_id: str) -> int:
    """The last heartbeat's `done` of the run's live attempt, read in the database (an API may be
    frozen or restarting)."""
    rows = orch.sql(
        "SELECT (details::jsonb ->> 'done')::int FROM jobs WHERE run_id = %s AND state = 'DISPATCHED'", run_id
    )
    return int(rows[0][0] or 0) if rows else 0


def reports_written(orch: Orchestrator) -> Callable[[], int]:
    """A counter of the records written to the results topic (its end offsets, summed)."""
    topic = orch.env["LEGATO_RESULTS_TOPIC"]
    consumer = Consumer({**orch.kafka_config(), "group.id": unique("ends")})
    partitions = [
        TopicPartition(topic, p) for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions
    ]

    def written() -> int:
        return sum(consumer.get_watermark_offsets(tp, timeout=5)[1] for tp in partitions)

    return written


def assert_first_attempts(api: httpx.Client, runs: list[str]) -> None:
    for run_id in runs:
        run = wait_run(api, run_id, timeout=120)
        timed_out = [e["data"]["type"] for e in events(api, run_id) if e["type"] == "STEP_TIMED_OUT"]
        assert run["status"] == "COMPLETED" and timed_out == [], (run, timed_out)
        assert run["output"]["attempt"] == 1 and run["steps"][0]["attempts"] == 1, run


def test_heartbeating_steps_outlive_two_orchestrator_kills(fresh_orchestrator: Orchestrator) -> None:
    orch, action = fresh_orchestrator, unique("beating")
    with httpx.Client(base_url=orch.url, timeout=30) as api, running_worker(orch, {action: beating}):
        wid = long_step(api, action)
        runs = [trigger(api, wid, {"beats": 120}) for _ in range(3)]  # 30 s of work each
        for _ in range(2):
            seen = {r: progress(orch, r) for r in runs}
            until(lambda: all(progress(orch, r) > seen[r] for r in runs), 60, "progress applied")  # noqa: B023
            orch.kill()  # its engine's group member lives on until its session times out (10 s)
            orch.start()
        assert_first_attempts(api, runs)


def test_heartbeating_steps_outlive_a_database_outage_with_a_backlog() -> None:
    require_stack()
    stack = PrivateStack()
    stack.start("postgres", "redis")
    # batches of 5: the reports written during the outage take several batches to apply
    orch = Orchestrator(LOGS, redis_url=stack.redis_url, pg_url=stack.pg_url, LEGATO_RESULT_BATCH_SIZE="5")
    orch.start()
    try:
        action = unique("beating")
        with httpx.Client(base_url=orch.url, timeout=30) as api, running_worker(orch, {action: beating}):
            wid = long_step(api, action)
            runs = [trigger(api, wid, {"beats": 80}) for _ in range(4)]
            until(lambda: all(progress(orch, r) > 0 for r in runs), 60, "every step heartbeating")
            written = reports_written(orch)
            stack.stop("postgres")
            at_outage = written()
            # 4 steps beating once a second: 16 reports written is ~4 s, past the 3 s timeout
            until(lambda: written() >= at_outage + 16, 60, "a backlog of reports older than the timeout")
            stack.start("postgres")
            assert_first_attempts(api, runs)
    finally:
        orch.stop()
        stack.destroy()


def test_heartbeating_steps_outlive_an_orchestrator_that_lags() -> None:
    """Two orchestrators, one results partition: the one that owns it is frozen (alive, in its
    group, reading nothing) for longer than the heartbeat timeout while the other one's engine
    keeps its clock running."""
    require_stack()
    orch = Orchestrator(LOGS, LEGATO_JOB_PARTITIONS="1")
    orch.start()
    twin = orch.twin()
    twin.start()
    frozen: Orchestrator | None = None
    try:
        action = unique("beating")
        with httpx.Client(base_url=orch.url, timeout=30) as api, running_worker(orch, {action: beating}):
            wid = long_step(api, action)
            runs = [trigger(api, wid, {"beats": 80}) for _ in range(3)]
            until(lambda: all(progress(orch, r) > 0 for r in runs), 60, "every step heartbeating")
            written = reports_written(orch)
            # Freeze each in turn until one stops the progress. Read after the freeze: a batch
            # committed as it landed can still look like progress, so each is asked twice.
            for candidate in (orch, twin, orch, twin):
                candidate.freeze(True)
                frozen = candidate
                seen, at = {r: progress(orch, r) for r in runs}, written()

                def moved() -> bool:
                    return any(progress(orch, r) > seen[r] for r in runs)  # noqa: B023

                # 3 steps beating once a second: 9 reports is ~3 s, the heartbeat timeout; the
                # twin's 10 s session outlasts the freeze, so it keeps its partition
                until(lambda: moved() or written() >= at + 9, 30, "progress or a frozen backlog")  # noqa: B023
                if not moved():
                    break  # the frozen one owns the partition: keep it frozen a while longer
                candidate.freeze(False)
                frozen = None
            assert frozen is not None, "neither orchestrator's engine owned the results partition"
            at = written()
            until(lambda: written() >= at + 6, 30, "reports past twice the heartbeat timeout unread")
            frozen.freeze(False)
            frozen = None
            assert_first_attempts(api, runs)
    finally:
        if frozen is not None:
            frozen.freeze(False)
        twin.stop()
        orch.drop()


def test_a_rolling_worker_restart_uses_no_attempt(fresh_orchestrator: Orchestrator) -> None:
    """Each worker is stopped (SIGTERM's path: drain 0.5 s, then its handlers are cancelled with
    WorkerShutdown) after a successor has joined: the released steps go again as the same attempt,
    resuming from their last heartbeat, on maxAttempts 1."""
    orch, action = fresh_orchestrator, unique("rolling")
    with httpx.Client(base_url=orch.url, timeout=30) as api:
        wid = unique("rolling")
        step = {"id": "long", "action": action, "heartbeatSeconds": HEARTBEAT_S, "retry": {"maxAttempts": 1}}
        define(api, {"id": wid, "steps": [step]})
        old = StartedWorker(orch, {action: beating}, shutdown_timeout_ms=500)
        try:
            runs = [trigger(api, wid, {"beats": 40}) for _ in range(3)]
            until(lambda: all(progress(orch, r) > 0 for r in runs), 60, "every step heartbeating")
            for _ in range(2):  # two rounds: a new worker joins, then the old one stops
                new = StartedWorker(orch, {action: beating}, shutdown_timeout_ms=500)
                old.stop()
                old = new
                seen = {r: progress(orch, r) for r in runs}
                until(lambda: all(progress(orch, r) > seen[r] for r in runs), 60, "the steps resumed")  # noqa: B023
            for run_id in runs:
                run = wait_run(api, run_id, timeout=120)
                assert run["status"] == "COMPLETED" and run["steps"][0]["attempts"] == 1, run
                assert run["output"]["attempt"] == 1 and run["output"]["resumedFrom"] > 0, run
                kinds = [e["data"]["type"] for e in events(api, run_id) if e["type"] == "STEP_REQUEUED"]
                assert kinds and set(kinds) == {"WorkerShutdown"}, kinds
        finally:
            old.stop()
