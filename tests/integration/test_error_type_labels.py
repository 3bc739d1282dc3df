"""Error types come from workers: as metric labels they are a bounded set (the first
ERROR_TYPES_KEPT distinct types keep their names, any later one is counted as `other`)."""

from typing import Any

import httpx
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato.metrics import ERROR_TYPES_KEPT, OTHER_ERROR_TYPE
from legato_worker import NonRetryableError

pytestmark = pytest.mark.integration


def _fail_as(payload: Any) -> Any:
    raise NonRetryableError("refused", type=f"Refusal{payload}")


def test_worker_error_types_are_a_bounded_set_of_labels(
    fresh_orchestrator: Orchestrator, own_api: httpx.Client
) -> None:
    bounded, api = fresh_orchestrator, own_api
    wid, action = unique("kinds"), unique("kinds-a")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    distinct = ERROR_TYPES_KEPT + 15
    runs = [trigger(api, wid, n) for n in range(distinct)]
    with running_worker(bounded, {action: _fail_as}):
        for run_id in runs:
            assert wait_run(api, run_id)["status"] == "FAILED"

    def labels() -> dict[str, float]:
        out: dict[str, float] = {}
        for line in api.get("/metrics").text.splitlines():
            if line.startswith("legato_dead_letters_total{") and f'action="{action}"' in line:
                kind = line.split('error_type="', 1)[1].split('"', 1)[0]
                out[kind] = float(line.rsplit(" ", 1)[1])
        return out

    until(lambda: sum(labels().values()) == distinct, 30, "every dead letter counted")
    seen = labels()
    assert len(seen) == ERROR_TYPES_KEPT + 1, sorted(seen)
    assert seen[OTHER_ERROR_TYPE] == distinct - ERROR_TYPES_KEPT
    assert all(v == 1 for k, v in seen.items() if k != OTHER_ERROR_TYPE)
