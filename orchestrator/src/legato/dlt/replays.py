"""Replay a selection of dead letters for the API: by ids, by run, or by filter.

Every record goes through `dlt.replay.replay` (via `dlt.bulk.replay_each`), the code `legato dlt
replay` runs: one transaction per record, the run locked first, the record marked replayed in the
same transaction, so replaying a record twice dispatches its step once.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool

from legato.dlt.bulk import Outcome, replay_each, select_run
from legato.dlt.listing import DeadLetterFilter, page
from legato.dlt.replay import ReplayOutcome

MAX_REPLAY = 1000

OUTCOMES = {
    ReplayOutcome.REPLAYED: "replayed",
    ReplayOutcome.ALREADY_REPLAYED: "alreadyReplayed",
    ReplayOutcome.WOULD_REPLAY: "wouldReplay",
}


@dataclass(frozen=True, slots=True)
class Selection:
    ids: list[UUID] | None = None
    run_id: UUID | None = None
    filter: DeadLetterFilter | None = None


def _result(o: Outcome) -> dict[str, Any]:
    r = o.result
    if r is None:
        return {"id": str(o.job_id), "outcome": "failed", "error": o.error}
    return {
        "id": r.record.id,
        "outcome": OUTCOMES[r.outcome],
        "runId": str(r.record.run_id),
        "stepId": r.record.step_id,
        "item": r.record.item_index,
        "replayJobId": str(r.new_job_id) if r.new_job_id else None,
        "error": None,
    }


def replay_selection(
    pool: ConnectionPool,
    jobs_prefix: str,
    selection: Selection,
    payload: str | None,
    dry_run: bool,
    limit: int,
) -> dict[str, Any]:
    """`payload`: the JSON text that replaces the step's input (checked at the API's boundary like a
    trigger's input; `null` is JSON null), or None to replay the dead job's own payload."""
    with pool.connection() as conn:
        if selection.ids is not None:
            ids = list(dict.fromkeys(selection.ids))[:limit]
        elif selection.run_id is not None:
            ids = select_run(conn, selection.run_id)[:limit]
        else:
            assert selection.filter is not None
            ids = [r.job_id for r in reversed(page(conn, selection.filter, limit, None))]  # oldest first
        outcomes = replay_each(conn, jobs_prefix, ids, payload, dry_run, float("inf"), lambda _: None)
    done = (ReplayOutcome.REPLAYED, ReplayOutcome.WOULD_REPLAY)
    return {
        "matched": len(ids),
        "replayed": sum(1 for o in outcomes if o.result is not None and o.result.outcome in done),
        "dryRun": dry_run,
        "results": [_result(o) for o in outcomes],
    }
