"""A group coordinator that is not ready (a broker just formatted, or restarted) kills no process.

librdkafka's admin ListConsumerGroupOffsets crashes its process (SIGSEGV) when the answer is
NOT_COORDINATOR (docs/failure-handling.md, "Kafka group coordinators"); the orchestrator reads
committed offsets through a group consumer instead. Each start here is on a broker formatted a
moment before, when every group's coordinator is still being loaded.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.private_stack import PrivateStack
from harness.processes import child_exits, children
from harness.services import require_stack
from harness.waiting import until
from harness.workers import running_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LOGS = Path(__file__).parents[2] / ".legato" / "logs" / "tests"
# Before the workaround 4 starts in 5 lost their engine; the acceptance runs 20 by hand
# (docs/failure-handling.md). test_broker_failover.py makes another fresh start, on three brokers
# just formatted, and checks the same.
FRESH_STARTS = 1


def lag_sampled(orch: Orchestrator, topic: str) -> bool:
    """The engine's sampler has read the committed offsets behind `topic`'s lag gauge."""
    text = httpx.get(f"{orch.url}/metrics", timeout=10).text
    return any(
        line.startswith("legato_consumer_lag_messages{") and f'topic="{topic}"' in line
        for line in text.splitlines()
    )


def serve_on_a_fresh_broker() -> list[str]:
    """Start `legato serve` on a broker formatted a moment before, await the engine's first sample
    of committed offsets; the engine's exits it logged meanwhile."""
    stack = PrivateStack()
    try:
        stack.start("kafka")
        orch = Orchestrator(LOGS, kafka=stack.kafka, **stack.client_env())
        try:
            orch.start()
            results = orch.env["LEGATO_RESULTS_TOPIC"]
            until(lambda: lag_sampled(orch, results), 60, "the results topic's lag sampled")
            assert orch.process is not None and orch.process.poll() is None, orch.log_tail()
            return child_exits(orch.log_path.read_text(errors="replace"))
        finally:
            orch.drop()
    finally:
        stack.destroy()


@contextmanager
def asking_for_workers(orch: Orchestrator) -> Iterator[None]:
    """GET /workers over and over (its lag is read again whenever the last read failed)."""
    done = threading.Event()

    def ask() -> None:
        with httpx.Client(base_url=orch.url, timeout=10) as api:
            while not done.is_set():
                try:
                    api.get("/workers")
                except httpx.HTTPError:
                    done.wait(0.1)  # the API is gone: the test's own checks say so

    thread = threading.Thread(target=ask, name="asking-for-workers", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(15)


def test_serve_on_freshly_formatted_brokers_never_loses_its_engine() -> None:
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    exits = {start: serve_on_a_fresh_broker() for start in range(FRESH_STARTS)}
    assert exits == {start: [] for start in range(FRESH_STARTS)}, "exit codes of the engine per start"


def test_broker_restart_kills_no_process(private_kafka: tuple[PrivateStack, Orchestrator]) -> None:
    stack, orch = private_kafka
    assert orch.process is not None
    wid, action, late = unique("coord"), unique("coord-a"), unique("coord-late")
    with httpx.Client(base_url=orch.url, timeout=30) as api:
        define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
        with running_worker(orch, {action: lambda p: p + 1}):
            assert wait_run(api, trigger(api, wid, 1))["output"] == 2  # the group has committed
        engines = children(orch.process.pid)
        logged = orch.log_path.stat().st_size

        stack.stop("kafka")
        with asking_for_workers(orch):  # the API reads offsets the moment the broker answers again
            stack.start("kafka")  # same data: every group's coordinator is loaded again
            until(lambda: api.get("/readyz").status_code == 200, 60, "Kafka back")

        def workers_answer() -> bool:  # the API process reads committed offsets too
            got = api.get("/workers")
            return got.status_code == 200 and got.json()["lagError"] is None

        until(workers_answer, 60, "GET /workers with the lag of every action")
        # a definition made after the restart: its topic's lag is read by a sample that ran after it
        define(api, {"id": unique("coord-w"), "steps": [{"action": late, "stepIndex": 0}]})
        late_topic = f"{orch.env['LEGATO_JOBS_TOPIC']}.{late}"
        until(lambda: lag_sampled(orch, late_topic), 60, "a sample of the engine after the restart")
        with running_worker(orch, {action: lambda p: p + 1}):
            assert wait_run(api, trigger(api, wid, 2), timeout=90)["output"] == 3
        assert api.get("/metrics").status_code == 200

    assert orch.process.poll() is None, orch.log_tail()
    assert children(orch.process.pid) == engines, orch.log_tail()
    with orch.log_path.open("rb") as log:
        log.seek(logged)
        assert child_exits(log.read().decode(errors="replace")) == [], orch.log_tail()
