"""The immutable step graph of one workflow version."""

import random
from dataclasses import dataclass, field
from typing import Any

from legato.definitions.expressions import Expression, Template


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often, and how far apart, a failed step is attempted again (decided by the orchestrator)."""

    max_attempts: int = 4  # the first attempt plus 3 retries
    initial_delay_ms: int = 1000
    backoff_coefficient: float = 1.0
    max_delay_ms: int = 60_000
    jitter: float = 0.0  # +/- this fraction of the delay, at random
    non_retryable_errors: frozenset[str] = frozenset()

    def delay_ms(self, failed_attempt: int) -> int:
        """Delay before the attempt that follows `failed_attempt` (1-based)."""
        base = self.initial_delay_ms * self.backoff_coefficient ** (failed_attempt - 1)
        delay = min(base, float(self.max_delay_ms))
        if self.jitter:
            delay *= 1 + random.uniform(-self.jitter, self.jitter)
        return max(0, int(delay))

    def allows_retry(self, failed_attempt: int, error_type: str, non_retryable: bool) -> bool:
        return (
            not non_retryable
            and error_type not in self.non_retryable_errors
            and failed_attempt < self.max_attempts
        )


@dataclass(frozen=True, slots=True)
class Wait:
    """A durable timer: `seconds` after the step becomes ready, or at `until_ms` (epoch ms)."""

    seconds: float | None = None
    until_ms: int | None = None

    def wake_at_ms(self, now_ms: int) -> int:
        if self.until_ms is not None:
            return self.until_ms
        return now_ms + int((self.seconds or 0) * 1000)


@dataclass(frozen=True, slots=True)
class Signal:
    """Wait for a signal of this name (POST /workflow/run/{runId}/signal/{name}); its payload is the
    step's output. No signal within `timeout_ms`: the step fails with SignalTimeout, or completes
    with `default` when one is given (`has_default`)."""

    name: str
    timeout_ms: int | None = None
    has_default: bool = False
    default: Any = None


@dataclass(frozen=True, slots=True)
class ChildWorkflow:
    """Run another workflow (its `version`, or the latest one when the step starts) with the step's
    input; the step completes with the child run's output."""

    workflow_id: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Concurrency:
    """At most `limit` runs of the workflow RUNNING (or PAUSED) per value of `key` (an expression over
    the input); over it a new run waits PENDING (`queue`), is cancelled (`cancelNewest`), or the
    oldest open run of its key is cancelled instead (`cancelOldest`)."""

    key: Expression
    limit: int
    on_limit: str


@dataclass(frozen=True, slots=True)
class StepDef:
    id: str
    action: str | None  # None for a step that runs no job (wait, signal, workflow)
    index: int
    depends_on: tuple[str, ...]
    retry: RetryPolicy
    timeout_ms: int  # startToCloseSeconds (alias timeoutSeconds): one execution, from its start
    input: Template | None = None
    schedule_to_start_ms: int | None = None  # queued, not yet started; None: no limit
    heartbeat_ms: int | None = None  # no heartbeat for this long: the attempt is dead
    when: Expression | None = None
    for_each: Expression | None = None
    max_parallel: int = 0
    continue_on_item_failure: bool = False  # a dead item leaves null in the outputs; the map goes on
    wait: Wait | None = None
    signal: Signal | None = None
    child: ChildWorkflow | None = None
    # Filled in by the parser: what evaluating this step reads from the run.
    needs: tuple[str, ...] = ()  # step ids whose outputs go into the context
    needs_input: bool = False  # the trigger input goes into the context

    @property
    def kind(self) -> str:
        if self.wait:
            return "wait"
        if self.signal:
            return "signal"
        if self.child:
            return "workflow"
        return "map" if self.for_each else "task"


@dataclass(frozen=True, slots=True)
class Definition:
    workflow_id: str
    steps: tuple[StepDef, ...]
    concurrency: Concurrency | None = None
    max_backlog: int | None = None  # work not started beyond which a trigger answers 429
    priority: int = 3  # its runs' priority when a trigger gives none
    by_id: dict[str, StepDef] = field(init=False, repr=False, compare=False)
    dependants: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    roots: tuple[str, ...] = field(init=False, repr=False, compare=False)
    sinks: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {s.id: s for s in self.steps}
        dependants: dict[str, list[str]] = {s.id: [] for s in self.steps}
        for s in self.steps:
            for dep in s.depends_on:
                dependants[dep].append(s.id)
        object.__setattr__(self, "by_id", by_id)
        object.__setattr__(self, "dependants", {k: tuple(v) for k, v in dependants.items()})
        object.__setattr__(self, "roots", tuple(s.id for s in self.steps if not s.depends_on))
        object.__setattr__(self, "sinks", tuple(k for k, v in dependants.items() if not v))
