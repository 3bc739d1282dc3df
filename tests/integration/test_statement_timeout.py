"""LEGATO_API_STATEMENT_TIMEOUT_MS: an API statement that runs past it answers 503 with
Retry-After (never 500, never a request hanging on), and the engine's batches have no such bound."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from harness.api import define, trigger, unique, wait_run
from harness.orchestrator import Orchestrator
from harness.services import require_stack
from harness.waiting import until
from harness.workers import running_worker

pytestmark = pytest.mark.integration

LOGS = Path(__file__).parents[2] / ".legato" / "logs" / "tests"
STATEMENT_TIMEOUT_MS = 1000


@pytest.fixture
def bounded() -> Iterator[Orchestrator]:
    """An orchestrator whose API statements may run for STATEMENT_TIMEOUT_MS."""
    require_stack()
    LOGS.mkdir(parents=True, exist_ok=True)
    orch = Orchestrator(LOGS, LEGATO_API_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS))
    orch.start()
    yield orch
    orch.drop()


@pytest.fixture
def bounded_api(bounded: Orchestrator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=bounded.url, timeout=30) as client:
        yield client


def _waiting_on_a_lock(orch: Orchestrator, longer_than_s: float) -> bool:
    """Another session of the orchestrator's database has waited on a lock for that long."""
    rows = orch.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND now() - query_start > make_interval(secs => %s)",
        longer_than_s,
    )
    return int(rows[0][0]) > 0


def test_a_statement_past_the_api_timeout_answers_503_and_the_engine_has_no_such_bound(
    bounded: Orchestrator, bounded_api: httpx.Client
) -> None:
    api = bounded_api
    wid, action = unique("slow"), unique("slow-a")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    run_id = trigger(api, wid, 1)
    with psycopg.connect(bounded.database_url) as held:
        held.execute("SELECT 1 FROM runs WHERE run_id = %s FOR UPDATE", (run_id,))
        refused = api.post(f"/workflow/run/{run_id}/cancel")  # waits on the run's lock, then runs out
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "1" and "statement timeout" in refused.json()["detail"]
        # the engine's batch waits on the same lock longer than the API may, and is not cancelled
        with running_worker(bounded, {action: lambda p: p + 1}):
            until(
                lambda: _waiting_on_a_lock(bounded, 2 * STATEMENT_TIMEOUT_MS / 1000), 60, "the engine waiting"
            )
            held.rollback()
            assert wait_run(api, run_id)["output"] == 2
    errors = [
        line for line in api.get("/metrics").text.splitlines() if line.startswith("legato_engine_errors")
    ]
    assert all(line.endswith(" 0.0") for line in errors), errors
    assert api.post(f"/workflow/run/{run_id}/cancel").status_code == 409  # the database answers again
