"""Live workers per action, read from Kafka's consumer groups (no heartbeat protocol needed), with
each action's consumer lag and the actions that have jobs but no worker."""

import logging

from fastapi import APIRouter, Request

from legato.api.errors import ApiError
from legato.api.models import Workers, problem
from legato.api.workflows import services
from legato.kafka.groups import live_workers
from legato.kafka.lag import CACHE
from legato.store import workers_sql
from legato.store.rows import fetch_all

router = APIRouter(tags=["workers"])
log = logging.getLogger(__name__)

LAG_TIMEOUT_S = 3.0

EXAMPLE = {
    "actions": {
        "charge-card": {
            "group": "legato-workers.charge-card",
            "state": "STABLE",
            "workers": [{"clientId": "legato-python-host-1-4242", "host": "127.0.0.1", "language": "python"}],
            "languages": ["python"],
            "lag": 0,
            "queuedJobs": 0,
            "openJobs": 1,
        }
    },
    "noWorker": [{"action": "send-email", "lag": 12, "queuedJobs": 12, "openJobs": 12}],
    "lagError": None,
}


def language(client_id: str) -> str | None:
    """`legato-<language>-<workerId>` (every SDK names its clients so)."""
    parts = client_id.split("-", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "legato" and parts[1] else None


@router.get(
    "/workers",
    summary="Live workers per action with their languages and consumer lag; actions with jobs but no worker",
    description=(
        "`lag`: messages of the action's job topic not yet committed by its worker group (end offset "
        "- committed offset, summed over partitions; cached 2 s). Committed offsets are read group "
        "by group within 3 s, stalest first: `lag` is null for an action whose group was not read in "
        "time (read first next time), and null everywhere when Kafka did not answer, `lagError` says "
        "why. `queuedJobs`: attempts in the outbox or dispatched and "
        "not started; `openJobs`: every attempt not ended. `noWorker`: actions with queued jobs or "
        "lag and no live member."
    ),
    responses={
        200: {"content": {"application/json": {"example": EXAMPLE}}},
        503: problem("Kafka did not answer"),
    },
)
def workers(request: Request) -> Workers:
    s = services(request)
    try:
        actions = live_workers(s.groups, s.settings.kafka.group_prefix)
    except Exception as exc:  # the broker could not answer: say so
        raise ApiError(503, f"Kafka did not answer: {type(exc).__name__}") from exc
    lag: dict[str, int] = {}
    lag_error = None
    try:
        lag = CACHE.get(
            s.admin,
            s.group_offsets,
            s.settings.kafka.jobs_topic,
            s.settings.kafka.group_prefix,
            LAG_TIMEOUT_S,
        )
    except Exception as exc:  # lag is an extra: the workers are still worth answering with
        log.info("consumer lag unavailable: %s", exc)
        lag_error = f"{type(exc).__name__}: {exc}"
    with s.pool.connection() as conn:
        queued = fetch_all(conn, workers_sql.QueuedRow, workers_sql.QUEUED_BY_ACTION)
    jobs = {r.action: (r.queued_jobs, r.open_jobs) for r in queued}
    for action, info in actions.items():
        for w in info["workers"]:
            w["language"] = language(w["clientId"])
        info["languages"] = sorted({w["language"] for w in info["workers"] if w["language"]})
        info["lag"] = lag.get(action) if lag_error is None else None
        info["queuedJobs"], info["openJobs"] = jobs.get(action, (0, 0))
    idle = {a for a, info in actions.items() if not info["workers"]}
    waiting = {a for a, (_, n) in jobs.items() if n} | {a for a, n in lag.items() if n}
    no_worker = [
        {
            "action": a,
            "lag": lag.get(a) if lag_error is None else None,
            "queuedJobs": jobs.get(a, (0, 0))[0],
            "openJobs": jobs.get(a, (0, 0))[1],
        }
        for a in sorted(waiting - (set(actions) - idle))
    ]
    return Workers.model_validate({"actions": actions, "noWorker": no_worker, "lagError": lag_error})
