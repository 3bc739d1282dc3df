"""The immutable step graph of one workflow version."""

import random
from dataclasses import dataclass, field
from typing import Any


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
class StepDef:
    id: str
    action: str
    index: int
    depends_on: tuple[str, ...]
    retry: RetryPolicy
    timeout_ms: int


@dataclass(frozen=True, slots=True)
class Definition:
    workflow_id: str
    steps: tuple[StepDef, ...]
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

    def to_json(self) -> dict[str, Any]:
        """The normalised form stored with the version (and returned by GET /workflow/{id})."""
        return {
            "id": self.workflow_id,
            "steps": [
                {
                    "id": s.id,
                    "action": s.action,
                    "stepIndex": s.index,
                    "dependsOn": list(s.depends_on),
                    "timeoutSeconds": s.timeout_ms / 1000,
                    "retry": {
                        "maxAttempts": s.retry.max_attempts,
                        "initialDelayMs": s.retry.initial_delay_ms,
                        "backoffCoefficient": s.retry.backoff_coefficient,
                        "maxDelayMs": s.retry.max_delay_ms,
                        "jitter": s.retry.jitter,
                        "nonRetryableErrors": sorted(s.retry.non_retryable_errors),
                    },
                }
                for s in self.steps
            ],
        }
