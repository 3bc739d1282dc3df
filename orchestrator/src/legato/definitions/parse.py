"""Turn a request body into a Definition, or say exactly which field is wrong.

Two formats, which may not be mixed (docs/workflow-definitions.md):
- the seed's linear list: every step has `stepIndex`; step N+1 depends on step N;
- the graph: every step has an `id` and lists the steps it waits for in `dependsOn`.
Both take the same per-step fields (`input`, `when`, `forEach`, `wait`, `retry`, ...). The checks
run field by field (precise messages), then over the graph and its expressions, then the JSON
Schema served at GET /workflow/schema is applied to the whole body as well.
"""

from datetime import datetime
from typing import Any

import orjson

from legato.definitions import graph
from legato.definitions.errors import DefinitionError, Loc
from legato.definitions.expressions import (
    MAP_NAMES,
    ROOT_NAMES,
    TEMPLATE,
    Expression,
    ExpressionError,
    TemplateError,
    compile_expression,
    compile_template,
)
from legato.definitions.json_schema import check_schema
from legato.definitions.limits import (
    DEFAULT_MAX_PARALLEL,
    DEFAULT_PRIORITY,
    DEFAULT_TIMEOUT_S,
    MAX_BACKLOG,
    MAX_CONCURRENCY_LIMIT,
    MAX_ERROR_NAME,
    MAX_ERROR_NAMES,
    MAX_PARALLEL,
    MAX_STEPS,
    MAX_TEMPLATE_BYTES,
    MAX_TIMEOUT_S,
    MAX_UNTIL_MS,
    MAX_WAIT_S,
    ON_LIMIT,
    RESERVED_IDS,
    SIGNAL_NAME,
    STEP_ID,
    WORKFLOW_ID,
)
from legato.definitions.model import (
    ChildWorkflow,
    Concurrency,
    Definition,
    RetryPolicy,
    Signal,
    StepDef,
    Wait,
)
from legato_protocol.topics import valid_action

STEP_FIELDS = {
    "id",
    "action",
    "stepIndex",
    "dependsOn",
    "input",
    "when",
    "forEach",
    "maxParallel",
    "onItemFailure",
    "wait",
    "signal",
    "workflow",
    "retry",
    "timeoutSeconds",
    "startToCloseSeconds",
    "scheduleToStartSeconds",
    "heartbeatSeconds",
}
TIMEOUT_FIELDS = ("timeoutSeconds", "startToCloseSeconds", "scheduleToStartSeconds", "heartbeatSeconds")
WAIT_EXCLUDES = ("action", "forEach", "maxParallel", "onItemFailure", "retry", *TIMEOUT_FIELDS)
# What a step that runs no job cannot have; each kind's own key excludes the other kinds' keys.
KIND_KEYS = ("wait", "signal", "workflow")
SIGNAL_EXCLUDES = ("action", "input", "forEach", "maxParallel", "onItemFailure", *TIMEOUT_FIELDS)
WORKFLOW_EXCLUDES = ("action", "forEach", "maxParallel", "onItemFailure", *TIMEOUT_FIELDS)
SIGNAL_FIELDS = ("name", "timeoutSeconds", "default")
WORKFLOW_FIELDS = ("id", "version")
# A signal wait or a child run is not retried unless its step says so (a task's default is 4 attempts).
ONCE = RetryPolicy(max_attempts=1)
ITEM_FAILURE_POLICIES = ("fail", "continue")
RETRY_FIELDS = {
    "maxAttempts",
    "initialDelayMs",
    "backoffCoefficient",
    "maxDelayMs",
    "jitter",
    "nonRetryableErrors",
}

__all__ = ["DefinitionError", "parse_definition"]


def _number(value: Any, loc: Loc, lo: float, hi: float, integer: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(loc, "must be a number")
    if integer and not isinstance(value, int):
        raise DefinitionError(loc, "must be an integer")
    if not lo <= value <= hi:
        raise DefinitionError(loc, f"must be between {lo:g} and {hi:g}")
    return float(value)


def _retry(raw: Any, loc: Loc, default: RetryPolicy | None = None) -> RetryPolicy:
    if raw is None:
        return default or RetryPolicy()
    if not isinstance(raw, dict):
        raise DefinitionError(loc, "must be an object")
    for key in raw:
        if key not in RETRY_FIELDS:
            raise DefinitionError((*loc, key), f"unknown field; allowed: {sorted(RETRY_FIELDS)}")
    d = RetryPolicy()
    errors = raw.get("nonRetryableErrors", [])
    if not isinstance(errors, list) or not all(isinstance(e, str) for e in errors):
        raise DefinitionError((*loc, "nonRetryableErrors"), "must be a list of error type names")
    if len(errors) > MAX_ERROR_NAMES:
        raise DefinitionError((*loc, "nonRetryableErrors"), f"at most {MAX_ERROR_NAMES} names")
    for n, name in enumerate(errors):
        if not 0 < len(name) <= MAX_ERROR_NAME or not name.isprintable():
            raise DefinitionError(
                (*loc, "nonRetryableErrors", n),
                f"must be an error type name of 1-{MAX_ERROR_NAME} printable characters",
            )
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


def _wait(raw: Any, loc: Loc) -> Wait:
    if not isinstance(raw, dict) or len(raw) != 1 or not set(raw) <= {"seconds", "until"}:
        raise DefinitionError(loc, 'must be {"seconds": <number>} or {"until": "<ISO 8601 time>"}')
    if "seconds" in raw:
        return Wait(seconds=_number(raw["seconds"], (*loc, "seconds"), 0, MAX_WAIT_S, False))
    until = raw["until"]
    try:
        at = datetime.fromisoformat(until) if isinstance(until, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise DefinitionError(
            (*loc, "until"), "must be an ISO 8601 time with a UTC offset, e.g. 2030-01-01T09:00:00Z"
        )
    try:
        until_ms = int(at.timestamp() * 1000)
    except (OverflowError, ValueError):  # a date whose UTC time is outside what Python can hold
        until_ms = None
    if until_ms is None or not 0 <= until_ms <= MAX_UNTIL_MS:
        raise DefinitionError((*loc, "until"), "must be between 1970-01-01 and 9999-12-31 (UTC)")
    return Wait(until_ms=until_ms)


def _signal(raw: Any, loc: Loc) -> Signal:
    if not isinstance(raw, dict) or "name" not in raw:
        raise DefinitionError(
            loc, 'must be {"name": "<signal name>", "timeoutSeconds": <number>, "default": <JSON>}'
        )
    for key in raw:
        if key not in SIGNAL_FIELDS:
            raise DefinitionError((*loc, key), f"unknown field; allowed: {list(SIGNAL_FIELDS)}")
    name = raw["name"]
    if not isinstance(name, str) or not SIGNAL_NAME.match(name):
        raise DefinitionError((*loc, "name"), "must be 1-100 letters, digits, '.', '_' or '-'")
    timeout = raw.get("timeoutSeconds")
    timeout_ms = None
    if timeout is not None:
        timeout_ms = int(_number(timeout, (*loc, "timeoutSeconds"), 0.1, MAX_WAIT_S, False) * 1000)
    if "default" in raw:
        if timeout_ms is None:
            raise DefinitionError((*loc, "default"), "only allowed together with timeoutSeconds")
        try:
            size = len(orjson.dumps(raw["default"]))
        except orjson.JSONEncodeError as exc:
            raise DefinitionError((*loc, "default"), f"not a JSON value that can be stored ({exc})") from None
        if size > MAX_TEMPLATE_BYTES:
            raise DefinitionError((*loc, "default"), f"larger than {MAX_TEMPLATE_BYTES} bytes")
    return Signal(name, timeout_ms, "default" in raw, raw.get("default"))


def _no_retry_with_default(raw: dict[str, Any], signal: Signal | None, loc: Loc) -> dict[str, Any]:
    """A signal wait with a `default` never fails, so a retry policy would never be used: refused."""
    if signal is not None and signal.has_default and "retry" in raw:
        raise DefinitionError(
            (*loc, "retry"), "not allowed with signal.default: a wait that times out takes its default"
        )
    return {}


def _child(raw: Any, loc: Loc) -> ChildWorkflow:
    if not isinstance(raw, dict) or "id" not in raw:
        raise DefinitionError(loc, 'must be {"id": "<workflow id>", "version": <number, optional>}')
    for key in raw:
        if key not in WORKFLOW_FIELDS:
            raise DefinitionError((*loc, key), f"unknown field; allowed: {list(WORKFLOW_FIELDS)}")
    workflow_id = raw["id"]
    if workflow_id in RESERVED_IDS:
        raise DefinitionError((*loc, "id"), f"{workflow_id!r} is reserved by the API; no workflow has it")
    if not isinstance(workflow_id, str) or not WORKFLOW_ID.match(workflow_id):
        raise DefinitionError(
            (*loc, "id"),
            "must be a workflow id: 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    version = raw.get("version")
    if version is not None:
        version = int(_number(version, (*loc, "version"), 1, 2**31 - 1, True))
    return ChildWorkflow(workflow_id, version)


def _kind(raw: dict[str, Any], loc: Loc) -> tuple[Wait | None, Signal | None, ChildWorkflow | None]:
    """A step's kind: a wait, a signal, a child workflow, or (none of them) a task or a map."""
    kinds = [k for k in KIND_KEYS if k in raw]
    if len(kinds) > 1:
        raise DefinitionError((*loc, kinds[1]), f"a step is one kind: not allowed together with {kinds[0]!r}")
    excludes = {"wait": WAIT_EXCLUDES, "signal": SIGNAL_EXCLUDES, "workflow": WORKFLOW_EXCLUDES}
    for kind in kinds:
        for key in excludes[kind]:
            if key in raw:
                raise DefinitionError((*loc, key), f"not allowed on a {kind} step (it runs no job)")
    wait = _wait(raw["wait"], (*loc, "wait")) if "wait" in raw else None
    signal = _signal(raw["signal"], (*loc, "signal")) if "signal" in raw else None
    child = _child(raw["workflow"], (*loc, "workflow")) if "workflow" in raw else None
    return wait, signal, child


def _expression(raw: Any, loc: Loc) -> Expression:
    if not isinstance(raw, str) or not raw.strip():
        raise DefinitionError(loc, "must be a JMESPath expression (a non-empty string)")
    try:
        return compile_expression(raw, ROOT_NAMES)
    except ExpressionError as exc:
        raise DefinitionError(loc, str(exc)) from exc


def _step(raw: Any, i: int) -> dict[str, Any]:
    loc: Loc = ("steps", i)
    if not isinstance(raw, dict):
        raise DefinitionError(loc, "each step must be an object")
    for key in raw:
        if key not in STEP_FIELDS:
            raise DefinitionError((*loc, key), f"unknown field; allowed: {sorted(STEP_FIELDS)}")
    wait, signal, child = _kind(raw, loc)
    jobless = wait is not None or signal is not None or child is not None
    action = raw.get("action")
    if not jobless and (not isinstance(action, str) or not valid_action(action)):
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
    timeouts = _timeouts(raw, loc)
    for_each = _expression(raw["forEach"], (*loc, "forEach")) if "forEach" in raw else None
    if "maxParallel" in raw and for_each is None:
        raise DefinitionError((*loc, "maxParallel"), "only allowed together with forEach")
    max_parallel = int(
        _number(raw.get("maxParallel", DEFAULT_MAX_PARALLEL), (*loc, "maxParallel"), 1, MAX_PARALLEL, True)
    )
    on_item_failure = raw.get("onItemFailure", "fail")
    if "onItemFailure" in raw and for_each is None:
        raise DefinitionError((*loc, "onItemFailure"), "only allowed together with forEach")
    if on_item_failure not in ITEM_FAILURE_POLICIES:
        raise DefinitionError((*loc, "onItemFailure"), f"must be one of {list(ITEM_FAILURE_POLICIES)}")
    template = None
    if "input" in raw:
        try:
            size = len(orjson.dumps(raw["input"]))
        except orjson.JSONEncodeError as exc:  # nested beyond orjson's limit, or not JSON at all
            raise DefinitionError((*loc, "input"), f"not a JSON value that can be stored ({exc})") from None
        if size > MAX_TEMPLATE_BYTES:
            raise DefinitionError((*loc, "input"), f"larger than {MAX_TEMPLATE_BYTES} bytes")
        try:
            template = compile_template(raw["input"], ROOT_NAMES + (MAP_NAMES if for_each else ()))
        except TemplateError as exc:
            raise DefinitionError((*loc, "input", *exc.path), exc.message) from exc
    return {
        "id": step_id,
        "action": None if jobless else action,
        "name": action if not jobless else signal.name if signal else child.workflow_id if child else "wait",
        "index": index,
        "deps": deps,
        "retry": _retry(raw.get("retry"), (*loc, "retry"), ONCE if signal or child else None),
        **_no_retry_with_default(raw, signal, loc),
        **timeouts,
        "input": template,
        "when": _expression(raw["when"], (*loc, "when")) if "when" in raw else None,
        "for_each": for_each,
        "max_parallel": max_parallel if for_each else 0,
        "continue_on_item_failure": on_item_failure == "continue",
        "wait": wait,
        "signal": signal,
        "child": child,
        "position": i,
    }


def _seconds_ms(raw: dict[str, Any], key: str, loc: Loc) -> int | None:
    if key not in raw:
        return None
    return int(_number(raw[key], (*loc, key), 0.1, MAX_TIMEOUT_S, False) * 1000)


def _timeouts(raw: dict[str, Any], loc: Loc) -> dict[str, int | None]:
    """The three timeouts of a step's attempts; timeoutSeconds is startToCloseSeconds' old name."""
    alias = _seconds_ms(raw, "timeoutSeconds", loc)
    start_to_close = _seconds_ms(raw, "startToCloseSeconds", loc)
    if alias is not None and start_to_close is not None and alias != start_to_close:
        raise DefinitionError(
            (*loc, "timeoutSeconds"), "is the old name of startToCloseSeconds; give one of them, not both"
        )
    if start_to_close is None:
        start_to_close = alias if alias is not None else int(DEFAULT_TIMEOUT_S * 1000)
    heartbeat = _seconds_ms(raw, "heartbeatSeconds", loc)
    if heartbeat is not None and heartbeat > start_to_close:
        raise DefinitionError(
            (*loc, "heartbeatSeconds"),
            f"must not exceed startToCloseSeconds ({start_to_close / 1000:g} s): "
            "the attempt would time out before a missing heartbeat could be noticed",
        )
    return {
        "timeout_ms": start_to_close,
        "schedule_to_start_ms": _seconds_ms(raw, "scheduleToStartSeconds", loc),
        "heartbeat_ms": heartbeat,
    }


def _linear(parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order by stepIndex, give default ids, chain each step to the previous one."""
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
    names = [p["name"] for p in ordered]
    previous = None
    for p, name in zip(ordered, names, strict=True):
        p["id"] = p["id"] or (name if names.count(name) == 1 else f"{name}-{p['index']}")
        p["deps"] = [previous] if previous else []
        previous = p["id"]
    return ordered


def _graph(parsed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for p in parsed:
        i = p["position"]
        if p["id"] is None:
            raise DefinitionError(
                ("steps", i, "id"),
                "missing; every step of a graph workflow needs an id (or give every step a stepIndex)",
            )
        if p["index"] is not None:
            raise DefinitionError(
                ("steps", i, "stepIndex"), "not allowed in a graph workflow (use dependsOn)"
            )
        p["deps"] = p["deps"] or []
        p["index"] = i
    return parsed


def _check_references(p: dict[str, Any], ancestors: frozenset[str], known: set[str]) -> None:
    fields: list[tuple[Loc, Expression]] = []
    if p["input"] is not None:
        fields += [(("input", *path), e) for path, e in p["input"].paths]
    fields += [((name,), p[key]) for name, key in (("when", "when"), ("forEach", "for_each")) if p[key]]
    for where, expr in fields:
        for ref in sorted(expr.step_refs):
            if ref not in known:
                raise DefinitionError(
                    ("steps", p["position"], *where), f"{expr.source!r}: unknown step {ref!r}"
                )
            if ref not in ancestors:
                raise DefinitionError(
                    ("steps", p["position"], *where),
                    f"{expr.source!r}: step {ref!r} is not an ancestor of step {p['id']!r} "
                    "(add it to dependsOn, directly or through another step)",
                )


def _build(p: dict[str, Any], ancestors: frozenset[str], order: dict[str, int]) -> StepDef:
    exprs: list[Expression] = [e for e in (p["when"], p["for_each"]) if e is not None]
    if p["input"] is not None:
        exprs += p["input"].expressions
    default_input = p["input"] is None and p["for_each"] is None
    needs = set(p["deps"]) if default_input else set()
    for e in exprs:
        needs |= ancestors if e.reads_all_steps else e.step_refs
    return StepDef(
        id=p["id"],
        action=p["action"],
        index=p["index"],
        depends_on=tuple(p["deps"]),
        retry=p["retry"],
        timeout_ms=p["timeout_ms"],
        schedule_to_start_ms=p["schedule_to_start_ms"],
        heartbeat_ms=p["heartbeat_ms"],
        input=p["input"],
        when=p["when"],
        for_each=p["for_each"],
        max_parallel=p["max_parallel"],
        continue_on_item_failure=p["continue_on_item_failure"],
        wait=p["wait"],
        signal=p["signal"],
        child=p["child"],
        needs=tuple(sorted(needs, key=order.__getitem__)),
        needs_input=(default_input and not p["deps"]) or any(e.reads_input for e in exprs),
    )


def parse_definition(body: Any) -> Definition:
    if not isinstance(body, dict):
        raise DefinitionError((), "the body must be a JSON object")
    for key in body:
        if key not in TOP_FIELDS:
            raise DefinitionError((key,), f"unknown field; allowed: {list(TOP_FIELDS)}")
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
    linear = any(p["index"] is not None for p in parsed)
    steps = _linear(parsed) if linear else _graph(parsed)
    ids = [p["id"] for p in steps]
    first: dict[str, int] = {}
    for p in steps:
        if p["id"] in first:
            raise DefinitionError(
                ("steps", p["position"], "id"),
                f"duplicate step id {p['id']!r} (also steps[{first[p['id']]}])",
            )
        first[p["id"]] = p["position"]
    deps = [p["deps"] for p in steps]
    if not linear:
        graph.check_dependencies(ids, deps)
    ancestors = graph.ancestors(ids, deps)
    known = set(ids)
    order = {step_id: n for n, step_id in enumerate(ids)}
    for p in steps:
        _check_references(p, ancestors[p["id"]], known)
    check_schema(body)
    return Definition(
        workflow_id=workflow_id,
        steps=tuple(_build(p, ancestors[p["id"]], order) for p in steps),
        concurrency=_concurrency(body.get("concurrency")),
        max_backlog=_max_backlog(body.get("maxBacklog")),
        priority=int(_number(body.get("priority", DEFAULT_PRIORITY), ("priority",), 1, 5, True)),
    )


TOP_FIELDS = ("id", "steps", "concurrency", "maxBacklog", "priority")
CONCURRENCY_FIELDS = ("key", "limit", "onLimit")


def _max_backlog(raw: Any) -> int | None:
    return None if raw is None else int(_number(raw, ("maxBacklog",), 1, MAX_BACKLOG, True))


def _concurrency(raw: Any) -> Concurrency | None:
    """`{"key": "${input.customerId}", "limit": 1, "onLimit": "queue"}`: the key is an expression
    over the trigger input only (a run has no step output when it starts)."""
    if raw is None:
        return None
    loc: Loc = ("concurrency",)
    if not isinstance(raw, dict):
        raise DefinitionError(loc, 'must be an object like {"key": "${input.customerId}", "limit": 1}')
    for key in raw:
        if key not in CONCURRENCY_FIELDS:
            raise DefinitionError((*loc, key), f"unknown field; allowed: {list(CONCURRENCY_FIELDS)}")
    source = raw.get("key")
    m = TEMPLATE.match(source) if isinstance(source, str) else None
    if m is None:
        raise DefinitionError(
            (*loc, "key"), "must be a template string: exactly one ${<JMESPath over input>}"
        )
    try:
        key = compile_expression(m.group(1), ("input",))
    except ExpressionError as exc:
        raise DefinitionError((*loc, "key"), str(exc)) from None
    limit = int(_number(raw.get("limit", 1), (*loc, "limit"), 1, MAX_CONCURRENCY_LIMIT, True))
    on_limit = raw.get("onLimit", "queue")
    if on_limit not in ON_LIMIT:
        raise DefinitionError((*loc, "onLimit"), f"must be one of {list(ON_LIMIT)}")
    return Concurrency(key, limit, on_limit)
