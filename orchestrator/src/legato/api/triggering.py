"""What a single trigger and each item of a batch trigger share: the body's rules, its fingerprint,
admission control and the answers about a held Idempotency-Key. One copy, so the two cannot drift.
"""

import hashlib
from typing import Any

import orjson

from legato import metrics
from legato.api.errors import ApiError
from legato.api.services import Services

REUSED = "Idempotency-Key was already used with a different request body"
BUSY = "a request with this Idempotency-Key is still being processed"
BUSY_RETRY_AFTER_S = 1

# The fields of a single trigger's body (its key and correlation id are headers), as OpenAPI says.
BODY_FIELDS = ("input", "priority")
BODY_PROPERTIES: dict[str, Any] = {
    "input": {},
    "priority": {"type": "integer", "minimum": 1, "maximum": 5, "description": "1 highest"},
}


def trigger_body(
    body: Any, where: str = "body", fields: tuple[str, ...] = BODY_FIELDS
) -> tuple[Any, int | None]:
    """The run's input, and its priority (None: the workflow's); ApiError 422 naming the field."""
    if body is None:
        return None, None
    if not isinstance(body, dict):
        raise ApiError(422, f'{where} must be a JSON object like {{"input": ...}}')
    extra = set(body) - set(fields)
    if extra:
        takes = ", ".join(f"'{f}'" for f in fields[:-1]) + f" and '{fields[-1]}'"
        raise ApiError(422, f"{where}: unknown field(s) {sorted(extra)}; it takes {takes}")
    priority = body.get("priority")
    if priority is not None and (type(priority) is not int or not 1 <= priority <= 5):
        raise ApiError(422, f"{where}.priority: must be an integer from 1 (highest) to 5")
    return body.get("input"), priority


def body_fingerprint(body: Any) -> str:
    """sha256 of the canonical body (keys sorted): the same JSON in any key order is the same body."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def admit(s: Services, workflow_id: str, runs: int = 1) -> None:
    """429 with Retry-After while too much work has not started (flow.backlog); nothing is stored.
    `runs`: how many runs the request would start (each is counted as refused)."""
    refusal = s.backlog.check(workflow_id)
    if refusal is None:
        return
    metrics.child(metrics.ADMISSION_REFUSALS, workflow_id, refusal.scope).inc(runs)
    raise ApiError(
        429,
        refusal.message(workflow_id),
        {"Retry-After": str(refusal.retry_after_s)},
        {"backlog": refusal.backlog, "maxBacklog": refusal.limit, "scope": refusal.scope},
    )
