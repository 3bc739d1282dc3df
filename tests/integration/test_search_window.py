"""Text search (`q`) reads a window bounded in rows and in bytes of input, says when the window was
full and goes on from there; bulk operations by a search never claim `more: false` after stopping
at its window."""

import httpx
import psycopg
import pytest

from harness.api import define, trigger, unique
from harness.orchestrator import Orchestrator
from legato.runs.filters import SCAN_BYTES

pytestmark = pytest.mark.integration

BIG_INPUT_CHUNKS = 32 * 1024  # md5 hex chunks of 32 characters: a 1 MiB string, hardly compressible


def _copies(orch: Orchestrator, run_id: str, count: int, status: str) -> None:
    """`count` runs newer than `run_id`, copies of it in `status`, each input a 1 MiB string."""
    columns = [
        r[0]
        for r in orch.sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = 'runs' ORDER BY ordinal_position"
        )
    ]
    big = (
        f"(SELECT to_jsonb(string_agg(md5(random()::text), '')) FROM generate_series(1, {BIG_INPUT_CHUNKS}))"
    )
    replaced = {
        "run_id": "gen_random_uuid()",
        "input": big,
        "status": "%(status)s",
        "created_at": "now() + make_interval(secs => n)",
        "ended_at": "now() + make_interval(secs => n)",
        "idempotency_key": "NULL",
        "correlation_id": "NULL",
    }
    picked = ", ".join(replaced.get(c, c) for c in columns)
    with psycopg.connect(orch.database_url) as conn:
        conn.execute(
            f"INSERT INTO runs ({', '.join(columns)}) "
            f"SELECT {picked} FROM runs, generate_series(1, %(count)s) AS n WHERE run_id = %(run)s",
            {"status": status, "count": count, "run": run_id},
        )


@pytest.fixture(scope="module")
def big_inputs(orchestrator: Orchestrator) -> tuple[str, str, int]:
    """A workflow whose oldest run holds "needle" and whose newer FAILED runs hold more input bytes
    than one search window reads: (workflow id, the needle's run id, the newer runs)."""
    wid = unique("big")
    with httpx.Client(base_url=orchestrator.url, timeout=30) as api:
        define(api, {"id": wid, "steps": [{"action": unique("nobody"), "stepIndex": 0}]})
        needle = trigger(api, wid, {"tag": "needle"})
    stored = orchestrator.sql("SELECT pg_column_size(input) FROM runs WHERE run_id = %s", needle)
    assert stored[0][0] < 100
    _copies(orchestrator, needle, 1, "FAILED")
    [(size,)] = orchestrator.sql(
        "SELECT pg_column_size(input) FROM runs WHERE workflow_id = %s AND run_id <> %s", wid, needle
    )
    count = SCAN_BYTES // size + 8  # more than one window
    _copies(orchestrator, needle, count - 1, "FAILED")
    return wid, needle, count


def test_text_search_window_is_bounded_in_bytes(api: httpx.Client, big_inputs: tuple[str, str, int]) -> None:
    wid, needle, newer = big_inputs
    first = api.get("/workflow/runs", params={"workflowId": wid, "q": "needle"}).json()
    assert first["runs"] == [] and first["windowFull"] is True and first["nextCursor"]
    assert 1 <= first["searched"] < newer  # the bytes ran out before the rows
    found, cursor, pages = [], first["nextCursor"], 1
    while cursor and pages < 10:
        body = api.get("/workflow/runs", params={"workflowId": wid, "q": "needle", "cursor": cursor}).json()
        found += [r["runId"] for r in body["runs"]]
        cursor, pages = body["nextCursor"], pages + 1
    assert found == [needle] and pages >= 2  # paging goes on past every full window

    counts = api.get("/workflow/runs/counts", params={"workflowId": wid, "q": "needle"}).json()
    assert counts["windowFull"] is True and counts["searchWindowBytes"] == SCAN_BYTES
    assert counts["searched"] == first["searched"] and counts["counts"]["RUNNING"] == 0


def test_bulk_by_search_never_claims_no_more_after_a_full_window(
    api: httpx.Client, big_inputs: tuple[str, str, int]
) -> None:
    wid, _, _ = big_inputs
    body = {"filter": {"workflowId": wid, "q": "needle"}, "dryRun": True}
    retried = api.post("/workflow/runs/retry", json=body)
    assert retried.status_code == 200, retried.text
    assert retried.json()["matched"] == 0 and retried.json()["more"] is True  # older FAILED runs unsearched
    small = api.post("/workflow/runs/cancel", json=body).json()  # RUNNING: the needle alone, window not full
    assert small["matched"] == 1 and small["more"] is False
