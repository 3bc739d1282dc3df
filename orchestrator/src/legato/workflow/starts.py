"""Starting a step whose dependencies have all ended, and ending a run: decisions, with no I/O.

A ready step is, in this order: SKIPPED if its `when` is falsy; a durable timer if it is a wait;
a wait for a signal (its output: the signal's payload); a child run (its output: the child's);
one job per item (at most `maxParallel` at once) if it has `forEach`; otherwise one job whose
payload is its rendered `input` (or the default input). A template or condition that cannot be
evaluated fails the step at once (non-retryable, no job, so nothing to dead-letter) and the run.
"""

from datetime import UTC, datetime
from typing import Any

import orjson

from legato.definitions import Definition, ExpressionError, StepDef, truthy
from legato.definitions.limits import MAX_MAP_ITEMS
from legato.payloads import InvalidValue, configured, dumps_checked
from legato.workflow.model import Ended, Event, NewChild, NewItem, RunRef, RunUpdate, StepUpdate
from legato.workflow.transitions import Planner

Context = dict[str, Any]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def context(run_input: Any, outputs: dict[str, Any]) -> Context:
    """What expressions see: the trigger input and the outputs of the steps a step needs."""
    return {"input": run_input, "steps": {k: {"output": v} for k, v in outputs.items()}}


def default_input(step: StepDef, ctx: Context) -> Any:
    """No dependency: the trigger input; one: its output; several: {dependency id: output}."""
    outputs = ctx["steps"]
    if not step.depends_on:
        return ctx["input"]
    if len(step.depends_on) == 1:
        return outputs[step.depends_on[0]]["output"]
    return {d: outputs[d]["output"] for d in step.depends_on}


class StepFailed(Exception):
    pass


def start_run(planner: Planner, run: RunRef, definition: Definition, run_input: Any) -> None:
    """A run starts: each of its root steps does."""
    ctx = context(run_input, {})
    for root in definition.roots:
        start(planner, run, definition.by_id[root], ctx)


def start(planner: Planner, run: RunRef, step: StepDef, ctx: Context, payload: str | None = None) -> None:
    """`payload`: the step's input as checked JSON text, instead of rendering its template."""
    try:
        if step.when is not None and not truthy(step.when.evaluate(ctx)):
            _skip(planner, run, step)
        elif step.wait is not None:
            _wait(planner, run, step, ctx)
        elif step.signal is not None:
            wait_for_signal(planner, run, step, 1)
        elif step.child is not None:
            value = step.input.render(ctx) if step.input else default_input(step, ctx)
            start_child(planner, run, step, 1, dumps_checked(value, configured(), f"steps.{step.id}.input"))
        elif step.for_each is not None:
            _map(planner, run, step, ctx)
        else:
            if payload is not None:
                text = payload
            else:
                value = step.input.render(ctx) if step.input else default_input(step, ctx)
                text = dumps_checked(value, configured(), f"steps.{step.id}.input")
            planner.plan.steps.append(StepUpdate(run.run_id, step.id, "RUNNING", 1, input=text, started=True))
            planner.new_job(run, step, 1, text)
    except InvalidValue as exc:  # the job could never be published, or stored
        fail_step(planner, run, step, exc.error_type, str(exc))
    except (ExpressionError, StepFailed, orjson.JSONEncodeError) as exc:
        fail_step(planner, run, step, "ExpressionError", str(exc))


def fail_step(
    planner: Planner,
    run: RunRef,
    step: StepDef,
    error_type: str,
    message: str,
    attempt: int = 0,
    extra: dict[str, Any] | None = None,
) -> None:
    """The step fails for good, and its run with it (attempt 0: it never ran)."""
    error = {"type": error_type, "message": message, "nonRetryable": attempt == 0, "attempt": attempt}
    error |= extra or {}
    planner.plan.steps.append(
        StepUpdate(run.run_id, step.id, "FAILED", attempt, error=_json(error), ended=True)
    )
    planner.plan.events.append(Event(run.run_id, "STEP_FAILED", step.id, attempt or None, _json(error)))
    planner.fail_run(run.run_id, {"stepId": step.id, "action": step.action, **error}, run.workflow_id)


def retry_or_fail(
    planner: Planner,
    run: RunRef,
    step: StepDef,
    attempt: int,
    error_type: str,
    message: str,
    extra: dict[str, Any],
) -> None:
    """A signal wait or a child run of `attempt` ended without an output: its retry policy starts it
    again after its delay (the scheduler's timer, workflow.deadlines), or the step and run fail."""
    if not step.retry.allows_retry(attempt, error_type, False):
        fail_step(planner, run, step, error_type, message, attempt, extra)
        return
    error = {"type": error_type, "message": message, "nonRetryable": False, "attempt": attempt, **extra}
    delay = max(step.retry.delay_ms(attempt), 1)
    planner.plan.steps.append(
        StepUpdate(run.run_id, step.id, "RETRYING", attempt + 1, error=_json(error), wake_in_ms=delay)
    )
    planner.plan.events.append(
        Event(run.run_id, "STEP_FAILED", step.id, attempt, _json({**error, "retryInMs": delay}))
    )


def wait_for_signal(planner: Planner, run: RunRef, step: StepDef, attempt: int) -> None:
    """The step waits (WAITING) for its signal, until its timeout if it has one; a signal already
    queued for it is consumed in this transaction (workflow.signals)."""
    assert step.signal is not None
    timeout = step.signal.timeout_ms
    planner.plan.steps.append(
        StepUpdate(run.run_id, step.id, "WAITING", attempt, started=True, wake_in_ms=timeout)
    )
    data: dict[str, Any] = {"name": step.signal.name}
    if timeout is not None:
        data["timeoutSeconds"] = timeout / 1000
    planner.plan.events.append(Event(run.run_id, "SIGNAL_WAITING", step.id, attempt, _json(data)))
    planner.plan.signal_waits.append(run)


def start_child(planner: Planner, run: RunRef, step: StepDef, attempt: int, payload: str) -> None:
    """The step's attempt runs a child run (workflow.children starts it, in this transaction)."""
    assert step.child is not None
    planner.plan.steps.append(
        StepUpdate(run.run_id, step.id, "RUNNING", attempt, input=payload, started=True)
    )
    planner.plan.children.append(
        NewChild(run, step.id, attempt, step.child.workflow_id, step.child.version, payload)
    )


def _skip(planner: Planner, run: RunRef, step: StepDef) -> None:
    assert step.when is not None
    planner.plan.steps.append(StepUpdate(run.run_id, step.id, "SKIPPED", 0, ended=True))
    planner.plan.events.append(
        Event(run.run_id, "STEP_SKIPPED", step.id, None, _json({"when": step.when.source}))
    )
    planner.plan.ended.append(Ended(run, step.id, "null", skipped=True))


def _wait(planner: Planner, run: RunRef, step: StepDef, ctx: Context) -> None:
    assert step.wait is not None
    payload = step.input.render(ctx) if step.input else default_input(step, ctx)
    wake = step.wait.wake_at_ms(planner.now_ms)
    fixed = step.wait.until_ms is not None
    planner.plan.steps.append(
        StepUpdate(
            run.run_id,
            step.id,
            "WAITING",
            0,
            input=_json(payload),
            started=True,
            wake_at_ms=wake if fixed else None,
            wake_in_ms=None if fixed else wake - planner.now_ms,
        )
    )
    at = datetime.fromtimestamp(wake / 1000, tz=UTC).isoformat()
    planner.plan.events.append(Event(run.run_id, "TIMER_CREATED", step.id, None, _json({"wakeAt": at})))


def timer_fired(planner: Planner, run: RunRef, step_id: str) -> None:
    """The scheduler has completed the wait step (its output is its input) in SQL."""
    planner.plan.events.append(Event(run.run_id, "TIMER_FIRED", step_id))
    planner.plan.events.append(Event(run.run_id, "STEP_COMPLETED", step_id))
    planner.plan.ended.append(Ended(run, step_id))


def _map(planner: Planner, run: RunRef, step: StepDef, ctx: Context) -> None:
    assert step.for_each is not None
    items = step.for_each.evaluate(ctx)
    if not isinstance(items, list):
        raise StepFailed(f"forEach {step.for_each.source!r} gave {type(items).__name__}, not a list")
    if len(items) > MAX_MAP_ITEMS:
        raise StepFailed(f"forEach gave {len(items)} items; the limit is {MAX_MAP_ITEMS}")
    if not items:
        planner.plan.steps.append(
            StepUpdate(run.run_id, step.id, "COMPLETED", 0, input="[]", output="[]", started=True, ended=True)
        )
        planner.plan.events.append(Event(run.run_id, "STEP_COMPLETED", step.id, None, '{"items": 0}'))
        planner.plan.ended.append(Ended(run, step.id, "[]"))
        return
    payloads = []
    limits = configured()
    for index, item in enumerate(items):
        value = step.input.render({**ctx, "item": item, "index": index}) if step.input else item
        payloads.append(dumps_checked(value, limits, f"steps.{step.id}.input[{index}]"))
    planner.plan.steps.append(
        StepUpdate(run.run_id, step.id, "RUNNING", 1, input=_json(items), started=True, items=len(items))
    )
    first = min(len(items), step.max_parallel)
    for index, text in enumerate(payloads):
        now = index < first
        planner.plan.items.append(
            NewItem(run.run_id, step.id, index, "RUNNING" if now else "PENDING", int(now), text)
        )
        if now:
            planner.new_job(run, step, 1, text, item_index=index)


def map_completed(planner: Planner, run: RunRef, step_id: str, items: int) -> None:
    """Every item completed; SQL has gathered the outputs, in item order, into the step's output."""
    planner.plan.events.append(Event(run.run_id, "STEP_COMPLETED", step_id, None, _json({"items": items})))
    planner.plan.ended.append(Ended(run, step_id))


def complete_run(
    planner: Planner, run: RunRef, definition: Definition, sinks: dict[str, tuple[str, Any]]
) -> None:
    """The run's output: the single sink's output, or {sinkId: output} of the sinks not skipped."""
    if len(definition.sinks) == 1:
        status, output = sinks[definition.sinks[0]]
        result = None if status == "SKIPPED" else output
    else:
        result = {s: sinks[s][1] for s in definition.sinks if sinks[s][0] != "SKIPPED"}
    planner.plan.runs.append(
        RunUpdate(run.run_id, "COMPLETED", output=_json(result), workflow_id=run.workflow_id)
    )
    planner.plan.events.append(Event(run.run_id, "RUN_COMPLETED"))
