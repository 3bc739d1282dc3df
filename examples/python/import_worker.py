"""`import-rows`: a long step that heartbeats its progress and resumes from it after a crash.

The `data-import` workflow (examples/workflows/data-import.json) gives the step `heartbeatSeconds`:
a worker that dies mid-import stops heartbeating, the orchestrator retries the step after that long,
and the retry receives the last heartbeat's details, so it carries on from the last batch it
reported instead of starting over. `make demo` kills the worker mid-import to show it.

Run it with `python examples/python/import_worker.py` (config from LEGATO_* env vars).
"""

from typing import Any

from legato_worker import AttemptCancelled, JobContext, NonRetryableError, Worker

BATCH_SECONDS = 0.1  # the time one batch of rows takes to import


def import_rows(payload: Any, ctx: JobContext) -> dict[str, Any]:
    """Import `payload.batches` batches, one heartbeat per batch: {"done": <batches imported>}."""
    if not isinstance(payload, dict) or not isinstance(payload.get("batches"), int):
        raise NonRetryableError('expected {"batches": <int>}', type="InvalidInput")
    progress = ctx.last_heartbeat_details or {}
    start = int(progress.get("done", 0))
    print(f"import-rows: attempt {ctx.attempt} starts at batch {start}", flush=True)
    for batch in range(start, payload["batches"]):
        if ctx.cancelled.wait(BATCH_SECONDS):  # the work of one batch; wakes early on cancellation
            raise AttemptCancelled(ctx.cancel_reason)
        ctx.heartbeat({"done": batch + 1})  # coalesced by the SDK: cheap on every batch
    return {"batches": payload["batches"], "resumedFrom": start, "attempt": ctx.attempt}


def build_worker() -> Worker:
    worker = Worker()
    worker.register("import-rows", import_rows)
    return worker


if __name__ == "__main__":
    build_worker().start()
