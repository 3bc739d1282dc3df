"""What a test reads: a run and its steps, as `GET /workflow/run/{id}` and its events show them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from legato_worker._client_errors import RunCancelled, RunFailed
from legato_worker.testing._store import ENDED_RUN, Run, Step


class TestStep:
    """One step of a run: `status`, `attempts`, `input`, `output`, `error`; `items` for a map
    (each `{"status", "attempts", "output", "error"}`, in item order); `child_run` for a workflow
    step (its latest attempt's child run); `wake_at` while a timer is set."""

    __test__ = False  # not a pytest test class

    def __init__(self, step: Step, runs: Callable[[UUID], TestRun]) -> None:
        self._step = step
        self._runs = runs

    @property
    def id(self) -> str:
        return self._step.id

    @property
    def kind(self) -> str:
        return self._step.kind

    @property
    def action(self) -> str | None:
        return self._step.action

    @property
    def status(self) -> str:
        return self._step.status

    @property
    def attempts(self) -> int:
        return self._step.attempts

    @property
    def input(self) -> Any:
        return self._step.input

    @property
    def output(self) -> Any:
        return self._step.output

    @property
    def error(self) -> Any:
        return self._step.error

    @property
    def items(self) -> list[dict[str, Any]]:
        return [
            {"status": i.status, "attempts": i.attempts, "output": i.output, "error": i.error}
            for _, i in sorted(self._step.items.items())
        ]

    @property
    def child_run(self) -> TestRun | None:
        child = self._step.child_run_id
        return None if child is None else self._runs(child)

    @property
    def wake_at(self) -> datetime | None:
        ms = self._step.wake_at_ms
        return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)

    def __repr__(self) -> str:
        return f"TestStep(id={self.id!r}, status={self.status!r}, attempts={self.attempts})"


class TestRun:
    """A run in a TestEnvironment. Its attributes are live: they show the run as it is now."""

    __test__ = False

    def __init__(self, run: Run, runs: Callable[[UUID], TestRun]) -> None:
        self._run = run
        self._runs = runs

    @property
    def run_id(self) -> str:
        return str(self._run.run_id)

    @property
    def workflow_id(self) -> str:
        return self._run.ref.workflow_id

    @property
    def version(self) -> int:
        return self._run.ref.version

    @property
    def status(self) -> str:
        return self._run.status

    @property
    def input(self) -> Any:
        return self._run.input

    @property
    def output(self) -> Any:
        return self._run.output

    @property
    def error(self) -> Any:
        return self._run.error

    @property
    def concurrency_key(self) -> str | None:
        return self._run.concurrency_key

    @property
    def steps(self) -> dict[str, TestStep]:
        return {k: TestStep(s, self._runs) for k, s in self._run.steps.items()}

    @property
    def history(self) -> list[dict[str, Any]]:
        """The run's events, oldest first: `{"id", "at", "type", "stepId", "attempt", "data"}` as
        `GET /workflow/run/{runId}/events` answers them (`at` on the virtual clock)."""
        return list(self._run.events)

    @property
    def event_types(self) -> list[str]:
        return [e["type"] for e in self._run.events]

    @property
    def parent(self) -> TestRun | None:
        parent = self._run.parent
        return None if parent is None else self._runs(parent[0])

    def result(self) -> Any:
        """The output of a COMPLETED run; raises RunFailed or RunCancelled as the client does, and
        RuntimeError for a run that has not ended (say what it waits for)."""
        if self.status == "COMPLETED":
            return self.output
        if self.status == "FAILED":
            raise RunFailed(self)
        if self.status == "CANCELLED":
            raise RunCancelled(self)
        assert self.status not in ENDED_RUN
        open_steps = [f"{s.id} ({s.status})" for s in self._run.steps.values() if s.status not in _DONE]
        raise RuntimeError(f"run {self.run_id} is {self.status}; open steps: {', '.join(open_steps)}")

    def __repr__(self) -> str:
        return f"TestRun(run_id={self.run_id!r}, workflow_id={self.workflow_id!r}, status={self.status!r})"


_DONE = ("COMPLETED", "SKIPPED", "FAILED", "DEAD_LETTERED", "CANCELLED", "PENDING")
