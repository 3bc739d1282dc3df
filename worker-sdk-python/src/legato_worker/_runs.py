"""What the client reads back about runs: `Run` (one run with its steps) and `RunSummary` (a row
of the run list), each keeping the API's raw JSON; and what an ended run means for `result()`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from legato_worker._client_errors import RunCancelled, RunFailed

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED"})


@dataclass(frozen=True)
class Run:
    """A run as `GET /workflow/run/{id}` answers it; `raw` is that JSON object."""

    run_id: str
    workflow_id: str
    version: int
    status: str
    input: Any
    output: Any
    error: Any
    steps: list[dict[str, Any]]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Run:
        return cls(
            run_id=raw["runId"],
            workflow_id=raw["workflowId"],
            version=raw["version"],
            status=raw["status"],
            input=raw.get("input"),
            output=raw.get("output"),
            error=raw.get("error"),
            steps=list(raw.get("steps") or []),
            raw=raw,
        )


@dataclass(frozen=True)
class RunSummary:
    """A run as `GET /workflow/runs` lists it (no input, output or steps); `raw` is that JSON."""

    run_id: str
    workflow_id: str
    version: int
    status: str
    error: Any
    created_at: str
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunSummary:
        return cls(
            run_id=raw["runId"],
            workflow_id=raw["workflowId"],
            version=raw["version"],
            status=raw["status"],
            error=raw.get("error"),
            created_at=raw["createdAt"],
            raw=raw,
        )


def outcome(run: Run) -> Any:
    """The output of a COMPLETED run; RunFailed or RunCancelled for the others that ended."""
    if run.status == "FAILED":
        raise RunFailed(run)
    if run.status == "CANCELLED":
        raise RunCancelled(run)
    return run.output
