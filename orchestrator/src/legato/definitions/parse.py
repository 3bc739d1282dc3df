"""Turn a request body into a Definition, or say exactly which field is wrong.

Two formats, which may not be mixed:
- the seed's linear list: every step has `stepIndex`; step N+1 depends on step N;
- (the graph format builds on `id` + `dependsOn`, see docs/workflow-definitions.md).
"""

import re
from typing import Any

from legato.definitions.model import Definition, RetryPolicy, StepDef
from legato_worker.protocol.topics import valid_action

MAX_STEPS = 500
RESERVED_IDS = frozenset({"run", "runs"})
WORKFLOW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
STEP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
DEFAULT_TIMEOUT_S = 300.0
MAX_TIMEOUT_S = 7 * 24 * 3600.0
STEP_FIELDS = {"id", "action", "stepIndex", "dependsOn", "retry", "timeoutSeconds"}
RETRY_FIELDS = {
    "maxAttempts",
    "initialDelayMs",
    "backoffCoefficient",
    "maxDelayMs",
    "jitter",
    "nonRetryableErrors",
}

Loc = tuple[str | int, ...]


class DefinitionError(ValueError):
    """A definition is invalid; `loc` is the path of the offending field in the body."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _number(value: Any, loc: Loc, lo: float, hi: float, integer: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(loc, "must be a number")
    if integer and not isinstance(value, int):
        raise DefinitionError(loc, "must be an integer")
    if not lo <= value <= hi:
        raise DefinitionError(loc, f"must be between {lo:g} and {hi:g}")
    return float(value)


def _retry(raw: Any, loc: Loc) -> RetryPolicy:
    if raw is None:
        return RetryPolicy()
    if not isinstance(raw, dict):
        raise DefinitionError(loc, "must be an object")
    for key in raw:
        if key not in RETRY_FIELDS:
            raise DefinitionError((*loc, key), f"unknown field; allowed: {sorted(RETRY_FIELDS)}")
    d = RetryPolicy()
    errors = raw.get("nonRetryableErrors", [])
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        raise DefinitionError((*loc, "nonRetryableErrors"), "must be a list of error type names")
    initial = int(
        _number(raw.get("initialDelayMs", d.initial_delay_ms), (*loc, "initialDelayMs"), 0, 86_400_000, True)
    )
    max_delay = int(
        _number(
            raw.get("maxDelayMs", max(d.max_delay_ms, initial)), (*loc, "maxDelayMs"), 0, 86_400_000, True
        )
    )
    if max_delay < initial:
        raise DefinitionError((*loc, "maxDelayMs"), "must be at least initialDelayMs")
    return RetryPolicy(
        max_attempts=int(
            _number(raw.get("maxAttempts", d.max_attempts), (*loc, "maxAttempts"), 1, 100, True)
        ),
        initial_delay_ms=initial,
        backoff_coefficient=_number(
            raw.get("backoffCoefficient", d.backoff_coefficient), (*loc, "backoffCoefficient"), 1, 10, False
        ),
        max_delay_ms=max_delay,
        jitter=_number(raw.get("jitter", d.jitter), (*loc, "jitter"), 0, 1, False),
        non_retryable_errors=frozenset(errors),
    )


def _step(raw: Any, i: int) -> dict[str, Any]:
    loc: Loc = ("steps", i)
    if not isinstance(raw, dict):
        raise DefinitionError(loc, "each step must be an object")
    for key in raw:
        if key not in STEP_FIELDS:
            raise DefinitionError((*loc, key), f"unknown field; allowed: {sorted(STEP_FIELDS)}")
    action = raw.get("action")
    if not isinstance(action, str) or not valid_action(action):
        raise DefinitionError(
            (*loc, "action"),
            "must be a name of 1-100 letters, digits, '_' or '-', starting with a letter (not 'DLT')",
        )
    index = raw.get("stepIndex")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int) or index < 0):
        raise DefinitionError((*loc, "stepIndex"), "must be a non-negative integer")
    step_id = raw.get("id")
    if step_id is not None and (not isinstance(step_id, str) or not STEP_ID.match(step_id)):
        raise DefinitionError((*loc, "id"), "must be 1-100 letters, digits, '.', '_' or '-'")
    deps = raw.get("dependsOn")
    if deps is not None and (not isinstance(deps, list) or not all(isinstance(d, str) for d in deps)):
        raise DefinitionError((*loc, "dependsOn"), "must be a list of step ids")
    timeout = _number(
        raw.get("timeoutSeconds", DEFAULT_TIMEOUT_S), (*loc, "timeoutSeconds"), 0.1, MAX_TIMEOUT_S, False
    )
    return {
        "id": step_id,
        "action": action,
        "index": index,
        "deps": deps,
        "retry": _retry(raw.get("retry"), (*loc, "retry")),
        "timeout_ms": int(timeout * 1000),
    }


def _linear(workflow_id: str, parsed: list[dict[str, Any]]) -> Definition:
    seen: dict[int, int] = {}
    for i, p in enumerate(parsed):
        if p["index"] is None:
            raise DefinitionError(
                ("steps", i, "stepIndex"), "missing; every step of a linear workflow needs one"
            )
        if p["deps"] is not None:
            raise DefinitionError(("steps", i, "dependsOn"), "not allowed together with stepIndex")
        if p["index"] in seen:
            raise DefinitionError(
                ("steps", i, "stepIndex"),
                f"duplicate stepIndex {p['index']} (also steps[{seen[p['index']]}])",
            )
        seen[p["index"]] = i
    ordered = sorted(parsed, key=lambda p: p["index"])
    actions = [p["action"] for p in ordered]
    ids: list[str] = []
    for p in ordered:
        default = p["action"] if actions.count(p["action"]) == 1 else f"{p['action']}-{p['index']}"
        ids.append(p["id"] or default)
    for i, step_id in enumerate(ids):
        if ids.index(step_id) != i:
            raise DefinitionError(("steps", parsed.index(ordered[i]), "id"), f"duplicate step id {step_id!r}")
    steps = tuple(
        StepDef(
            id=ids[n],
            action=p["action"],
            index=p["index"],
            depends_on=(ids[n - 1],) if n else (),
            retry=p["retry"],
            timeout_ms=p["timeout_ms"],
        )
        for n, p in enumerate(ordered)
    )
    return Definition(workflow_id=workflow_id, steps=steps)


def parse_definition(body: Any) -> Definition:
    if not isinstance(body, dict):
        raise DefinitionError((), "the body must be a JSON object")
    for key in body:
        if key not in ("id", "steps"):
            raise DefinitionError((key,), "unknown field; allowed: ['id', 'steps']")
    workflow_id = body.get("id")
    if workflow_id in RESERVED_IDS:
        raise DefinitionError(("id",), f"{workflow_id!r} is reserved by the API; choose another id")
    if not isinstance(workflow_id, str) or not WORKFLOW_ID.match(workflow_id):
        raise DefinitionError(
            ("id",), "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    raw_steps = body.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise DefinitionError(("steps",), "must be a non-empty list of steps")
    if len(raw_steps) > MAX_STEPS:
        raise DefinitionError(("steps",), f"too many steps ({len(raw_steps)}); the limit is {MAX_STEPS}")
    parsed = [_step(raw, i) for i, raw in enumerate(raw_steps)]
    return _linear(workflow_id, parsed)
