"""What the engine tells its observers: metrics (engine.metrics_observer) and traces
(engine.tracing_observer) watch the engine; the engine does not call them by name.

The engine and the state machine import neither Prometheus nor OpenTelemetry: they call these
methods at fixed points, once per batch, tick or publication and never per result, after the
transaction they are about has committed. `EngineObserver` does nothing; an observer overrides what
it wants, and `Observers` tells several. The engine process builds them (engine.process).
"""

from collections import Counter as Tally
from collections.abc import Sequence

from confluent_kafka import Message

from legato.workflow.model import RunUpdate
from legato.workflow.outcomes import Outcomes
from legato_protocol import Progress, Result

Decoded = Sequence[tuple[Message, Result | Progress]]


class EngineObserver:
    def failed(self, outage: bool) -> None:
        """An engine iteration failed (and is retried); `outage`: the engine pauses until it is over."""

    def healthy(self) -> None:
        """The engine works again after a failure (and at its start)."""

    def progress_received(self, kinds: "Tally[tuple[str, ...]]") -> None:
        """A batch's progress records, by kind."""

    def results_processed(self, decoded: Decoded, start_ns: int) -> None:
        """A batch of decoded records was applied (or isolated); it started at `start_ns` (epoch ns)."""

    def batch_written(self, results: int, seconds: float) -> None:
        """One batch transaction with `results` results committed in `seconds`."""

    def decided(self, outcomes: Outcomes) -> None:
        """What a committed transaction decided about attempts."""

    def committed(self, results: int, runs: Sequence[RunUpdate], started: Sequence[str] = ()) -> None:
        """A batch (or a tick: no results) committed; `runs` ended in it, and child runs of the
        workflows `started` (one entry per run) started."""

    def jobs_published(self, count: int) -> None:
        """Jobs handed to Kafka."""

    def dead_lettered(self, kind: str, count: int) -> None:
        """Records Kafka acknowledged on a DLT (`job`: dead jobs; `result`: poison results)."""

    def result_isolated(self) -> None:
        """A result that could not be applied alone went to the results DLT; the engine went on."""

    def runs_stuck(self, count: int) -> None:
        """Runs found with nothing to run, or with an attempt nobody reported on (resumed)."""

    def withdrawn(self, count: int) -> None:
        """Cancel records published on the control topic."""


class Observers(EngineObserver):
    """Tells each of `observers`, in order."""

    def __init__(self, *observers: EngineObserver) -> None:
        self._all = observers

    def failed(self, outage: bool) -> None:
        for o in self._all:
            o.failed(outage)

    def healthy(self) -> None:
        for o in self._all:
            o.healthy()

    def progress_received(self, kinds: "Tally[tuple[str, ...]]") -> None:
        for o in self._all:
            o.progress_received(kinds)

    def results_processed(self, decoded: Decoded, start_ns: int) -> None:
        for o in self._all:
            o.results_processed(decoded, start_ns)

    def batch_written(self, results: int, seconds: float) -> None:
        for o in self._all:
            o.batch_written(results, seconds)

    def decided(self, outcomes: Outcomes) -> None:
        for o in self._all:
            o.decided(outcomes)

    def committed(self, results: int, runs: Sequence[RunUpdate], started: Sequence[str] = ()) -> None:
        for o in self._all:
            o.committed(results, runs, started)

    def jobs_published(self, count: int) -> None:
        for o in self._all:
            o.jobs_published(count)

    def dead_lettered(self, kind: str, count: int) -> None:
        for o in self._all:
            o.dead_lettered(kind, count)

    def result_isolated(self) -> None:
        for o in self._all:
            o.result_isolated()

    def runs_stuck(self, count: int) -> None:
        for o in self._all:
            o.runs_stuck(count)

    def withdrawn(self, count: int) -> None:
        for o in self._all:
            o.withdrawn(count)
