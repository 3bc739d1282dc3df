"""The workflow builder: Python calls that make the definition JSON of docs/workflow-definitions.md
(graph format). A field never given is absent from the JSON; the server validates the rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from legato_worker._canonical import canonical_json


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


ABSENT: Any = _Absent()
"""The default of `input` and a signal's `default`, where None is a value (JSON null)."""


@dataclass(frozen=True)
class Retry:
    """A step's retry policy (`retry`); a field left None is the server's default."""

    max_attempts: int | None = None
    initial_delay_ms: int | None = None
    backoff_coefficient: float | None = None
    max_delay_ms: int | None = None
    jitter: float | None = None
    non_retryable_errors: Sequence[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return _fields(
            maxAttempts=self.max_attempts,
            initialDelayMs=self.initial_delay_ms,
            backoffCoefficient=self.backoff_coefficient,
            maxDelayMs=self.max_delay_ms,
            jitter=self.jitter,
            nonRetryableErrors=None if self.non_retryable_errors is None else list(self.non_retryable_errors),
        )


@dataclass(frozen=True)
class Concurrency:
    """At most `limit` open runs per `key` (a template over the input); `on_limit`: `queue`,
    `cancelNewest` or `cancelOldest` (docs/flow-control.md)."""

    key: str
    limit: int
    on_limit: str = "queue"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "limit": self.limit, "onLimit": self.on_limit}


class Workflow:
    """A workflow definition built step by step; each step method appends one step and returns
    the builder. `to_dict()` is the definition, `to_json()` its canonical JSON text."""

    def __init__(
        self,
        id: str,
        *,
        concurrency: Concurrency | Mapping[str, Any] | None = None,
        max_backlog: int | None = None,
        priority: int | None = None,
    ) -> None:
        self.id = id
        self._top = _fields(concurrency=_as_dict(concurrency), maxBacklog=max_backlog, priority=priority)
        self._steps: list[dict[str, Any]] = []

    def step(
        self,
        id: str,
        *,
        action: str,
        input: Any = ABSENT,
        depends_on: Sequence[str] | None = None,
        when: str | None = None,
        for_each: str | None = None,
        max_parallel: int | None = None,
        on_item_failure: str | None = None,
        retry: Retry | Mapping[str, Any] | None = None,
        start_to_close_seconds: float | None = None,
        schedule_to_start_seconds: float | None = None,
        heartbeat_seconds: float | None = None,
    ) -> Workflow:
        """A task step (an `action` run by a worker), or a map with `for_each`."""
        return self._add(
            id,
            depends_on,
            when,
            input,
            action=action,
            forEach=for_each,
            maxParallel=max_parallel,
            onItemFailure=on_item_failure,
            retry=_as_dict(retry),
            startToCloseSeconds=start_to_close_seconds,
            scheduleToStartSeconds=schedule_to_start_seconds,
            heartbeatSeconds=heartbeat_seconds,
        )

    def wait(
        self,
        id: str,
        *,
        seconds: float | None = None,
        until: str | datetime | None = None,
        depends_on: Sequence[str] | None = None,
        when: str | None = None,
    ) -> Workflow:
        """A durable timer: `seconds`, or `until` (ISO 8601 with an offset, or an aware datetime)."""
        if (seconds is None) == (until is None):
            raise ValueError(f"wait step {id!r}: give either seconds or until")
        if isinstance(until, datetime):
            if until.utcoffset() is None:
                raise ValueError(f"wait step {id!r}: until must be an aware datetime (with a tzinfo)")
            until = until.isoformat()
        return self._add(id, depends_on, when, ABSENT, wait=_fields(seconds=seconds, until=until))

    def signal(
        self,
        id: str,
        *,
        name: str,
        timeout_seconds: float | None = None,
        default: Any = ABSENT,
        depends_on: Sequence[str] | None = None,
        when: str | None = None,
    ) -> Workflow:
        """Wait for the signal `name` sent to the run; its payload is the step's output (`default`
        after `timeout_seconds`, when given)."""
        signal = _fields(name=name, timeoutSeconds=timeout_seconds)
        if default is not ABSENT:
            signal["default"] = default
        return self._add(id, depends_on, when, ABSENT, signal=signal)

    def child(
        self,
        id: str,
        *,
        workflow: str,
        version: int | None = None,
        input: Any = ABSENT,
        depends_on: Sequence[str] | None = None,
        when: str | None = None,
        retry: Retry | Mapping[str, Any] | None = None,
    ) -> Workflow:
        """Run the workflow `workflow` (its latest version, or `version`) as a child run; its output
        is the step's output."""
        child = _fields(id=workflow, version=version)
        return self._add(id, depends_on, when, input, workflow=child, retry=_as_dict(retry))

    def to_dict(self) -> dict[str, Any]:
        """The definition (a new dict each call); ValueError when a step depends on an unknown one."""
        known = {s["id"] for s in self._steps}
        for s in self._steps:
            unknown = [d for d in s.get("dependsOn", ()) if d not in known]
            if unknown:
                raise ValueError(f"step {s['id']!r} depends on unknown step {unknown[0]!r}")
        return {"id": self.id, **_copy(self._top), "steps": _copy(self._steps)}

    def to_json(self) -> str:
        """The canonical JSON text of `to_dict()` (keys sorted, no whitespace, UTF-8)."""
        return canonical_json(self.to_dict())

    def __repr__(self) -> str:
        return f"Workflow({self.id!r}, steps={[s['id'] for s in self._steps]})"

    def _add(
        self, id: str, depends_on: Sequence[str] | None, when: str | None, input: Any, **kind: Any
    ) -> Workflow:
        if any(s["id"] == id for s in self._steps):
            raise ValueError(f"duplicate step id {id!r} in workflow {self.id!r}")
        deps = [depends_on] if isinstance(depends_on, str) else depends_on
        step = {
            "id": id,
            **_fields(**kind),
            **_fields(dependsOn=None if deps is None else list(deps), when=when),
        }
        if input is not ABSENT:
            step["input"] = input
        self._steps.append(step)
        return self


def _fields(**values: Any) -> dict[str, Any]:
    """The JSON fields that were given (None: not given)."""
    return {k: v for k, v in values.items() if v is not None}


def _as_dict(value: Retry | Concurrency | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, Retry | Concurrency):
        return value.to_dict()
    return dict(value)


def _copy(value: Any) -> Any:
    """A deep copy of the JSON-shaped parts the builder owns (inputs are copied too: a caller that
    changes its dict later does not change a definition already returned)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
