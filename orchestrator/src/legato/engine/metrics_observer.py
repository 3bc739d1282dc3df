"""The engine's Prometheus metrics (docs/observability.md), as an observer of the engine.

One increment per label set per batch: the tallies a transaction made (workflow.outcomes) become
label sets here, with the workers' error types bounded (metrics.error_type). Also counts the jobs
Kafka did not take (kafka.publisher's SendCounter).
"""

from collections import Counter as Tally
from collections.abc import Sequence

from legato import metrics
from legato.engine.observer import EngineObserver
from legato.workflow.model import RunUpdate
from legato.workflow.outcomes import Outcomes


def _bounded(tally: "Tally[tuple[str, ...]]") -> "Tally[tuple[str, ...]]":
    """The same counts, with each error type (the second label) bounded to a known label value."""
    out: Tally[tuple[str, ...]] = Tally()
    for (action, error_type), n in tally.items():
        out[(action, metrics.error_type(error_type))] += n
    return out


class MetricsObserver(EngineObserver):
    def failed(self, outage: bool) -> None:
        if outage:
            metrics.ENGINE_PAUSED.set(1)
        metrics.ENGINE_ERRORS.inc()

    def healthy(self) -> None:
        metrics.ENGINE_PAUSED.set(0)

    def progress_received(self, kinds: "Tally[tuple[str, ...]]") -> None:
        metrics.count(metrics.PROGRESS_RECORDS, kinds)

    def batch_written(self, results: int, seconds: float) -> None:
        metrics.BATCH_SECONDS.observe(seconds)
        metrics.BATCH_SIZE.observe(results)

    def decided(self, outcomes: Outcomes) -> None:
        metrics.count(metrics.ATTEMPTS, outcomes.attempts)
        if outcomes.retries:
            metrics.count(metrics.RETRIES, _bounded(outcomes.retries))
        if outcomes.dead:
            metrics.count(metrics.DEAD_LETTERS, _bounded(outcomes.dead))
        metrics.count(metrics.ATTEMPT_TIMEOUTS, outcomes.timeouts)
        for action, seconds in outcomes.queue:
            metrics.child(metrics.STEP_QUEUE_SECONDS, action).observe(seconds)
        for action, seconds in outcomes.execution:
            metrics.child(metrics.STEP_EXECUTION_SECONDS, action).observe(seconds)
        if outcomes.clock_ahead:
            metrics.CLOCK_SKEW_SKIPS.inc(outcomes.clock_ahead)

    def committed(self, results: int, runs: Sequence[RunUpdate], started: Sequence[str] = ()) -> None:
        metrics.RESULTS_APPLIED.inc(results)
        if runs:
            metrics.count(metrics.RUNS_FINISHED, Tally((r.workflow_id, r.status) for r in runs))
        if started:
            metrics.runs_started(started)

    def jobs_published(self, count: int) -> None:
        metrics.JOBS_PUBLISHED.inc(count)

    def dead_lettered(self, kind: str, count: int) -> None:
        metrics.child(metrics.DLT_RECORDS, kind).inc(count)

    def result_isolated(self) -> None:
        metrics.POISON_RESULTS.inc()

    def runs_stuck(self, count: int) -> None:
        metrics.RUNS_STUCK.inc(count)

    def withdrawn(self, count: int) -> None:
        metrics.ATTEMPTS_WITHDRAWN.inc(count)

    # kafka.publisher.SendCounter
    def unacknowledged(self) -> None:
        metrics.JOBS_UNACKNOWLEDGED.inc()

    def refused(self) -> None:
        metrics.JOBS_REFUSED.inc()
