"""Typed handlers in a module with `from __future__ import annotations`: string hints resolved."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from legato_protocol import Job
from legato_worker._executor import _await_here
from legato_worker._handlers import registered, run_sync

pytestmark = pytest.mark.unit


def job(payload: object) -> Job:
    return {
        "jobId": "j",
        "runId": "r",
        "stepId": "s",
        "attempt": 1,
        "action": "a",
        "payload": json.dumps(payload),
        "workflowId": "wf",
        "workflowVersion": 1,
        "queue": "workflow-jobs.a",
        "createdAt": 1,
    }


class Parcel(BaseModel):
    weight: float


def weigh(parcel: Parcel) -> Parcel:
    return Parcel(weight=parcel.weight * 2)


def test_string_hints_of_module_level_types_are_resolved() -> None:
    entry = registered(weigh)
    assert entry.handler is not weigh
    result = run_sync(entry.handler, job({"weight": "1.5"}), "w", _await_here)
    assert result["output"] is not None and json.loads(result["output"]) == {"weight": 3.0}
    failed = run_sync(entry.handler, job({}), "w", _await_here)
    assert failed["failure"] is not None
    assert failed["failure"]["message"] == "input: weight: Field required"
