"""What a batch of attempt outcomes does to runs: the engine's decisions, with no I/O.

Every function here appends to a Plan; workflow.writes turns the Plan into SQL in one transaction.
An outcome only decides about its own step (or map item): completion is recorded in `plan.ended`
and workflow.settle then works out, set-based, which dependants became ready (workflow.starts).
"""

import uuid
from collections.abc import Callable
from typing import Any

import orjson
from uuid_utils.compat import uuid7

from legato.definitions import Definition, StepDef
from legato.kafka.clients import HANDOVER_MS
from legato.workflow.model import (
    Claimed,
    DeadLetter,
    Ended,
    Event,
    ItemUpdate,
    NewJob,
    Plan,
    RunRef,
    RunUpdate,
    StepUpdate,
)
from legato_protocol import headers
from legato_protocol.topics import job_topic

# A job created for immediate publication is the engine's to publish for this long; after that the
# scheduler publishes it (this is how a job survives an orchestrator crash between commit and send).
# Longer than the producer's delivery timeout, so a job still being delivered is never sent twice.
OWNERSHIP_GRACE_MS = HANDOVER_MS

DefinitionLookup = Callable[[str, int], Definition]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _ref(c: Claimed) -> RunRef:
    return RunRef(c.run_id, c.workflow_id, c.version, c.correlation_id, c.trace_context)


class Planner:
    """Builds a Plan; one per batch (or per settle round, trigger, retry)."""

    def __init__(self, jobs_prefix: str, now_ms: int, grace_ms: int = OWNERSHIP_GRACE_MS) -> None:
        self.grace_ms = grace_ms
        self.jobs_prefix = jobs_prefix
        self.now_ms = now_ms
        self.plan = Plan()
        self._failed_runs: set[uuid.UUID] = set()

    def new_job(
        self,
        run: RunRef,
        step: StepDef,
        attempt: int,
        payload: str,
        delay_ms: int = 0,
        item_index: int | None = None,
        details: str | None = None,
        requeues: int = 0,
    ) -> None:
        assert step.action is not None
        immediate = delay_ms == 0
        topic = job_topic(self.jobs_prefix, step.action)
        self.plan.jobs.append(
            NewJob(
                job_id=uuid7(),
                run_id=run.run_id,
                step_id=step.id,
                attempt=attempt,
                action=step.action,
                topic=topic,
                payload=payload,
                timeout_ms=step.timeout_ms,
                delay_ms=self.grace_ms if immediate else delay_ms,
                workflow_id=run.workflow_id,
                version=run.version,
                correlation_id=run.correlation_id,
                immediate=immediate,
                item_index=item_index,
                schedule_to_start_ms=step.schedule_to_start_ms,
                heartbeat_ms=step.heartbeat_ms,
                details=details,
                requeues=requeues,
                trace_context=run.trace_context,
            )
        )
        data: dict[str, Any] = {"jobTopic": topic}
        if delay_ms:
            data["delayMs"] = delay_ms
        if item_index is not None:
            data["item"] = item_index
        self.plan.events.append(Event(run.run_id, "STEP_SCHEDULED", step.id, attempt, _json(data)))

    def fail_run(self, run_id: uuid.UUID, error: dict[str, Any], workflow_id: str) -> None:
        """The first failure of a run in this plan fails it; later ones are only their steps' events."""
        if run_id in self._failed_runs:
            return
        self._failed_runs.add(run_id)
        self.plan.runs.append(RunUpdate(run_id, "FAILED", error=_json(error), workflow_id=workflow_id))
        self.plan.events.append(Event(run_id, "RUN_FAILED", data=_json(error)))

    def outcome(self, c: Claimed, definition: Definition) -> None:
        step = definition.by_id[c.step_id]
        if c.status == "COMPLETED":
            self._completed(c)
        elif c.requeue:
            self._requeued(c, step)
        else:
            self._failed(c, step)

    def _requeued(self, c: Claimed, step: StepDef) -> None:
        """Expired in its queue (scheduleToStartSeconds), lost (the backstop) or released by a worker
        that shut down: the same attempt goes again, after the retry policy's delay for its number
        of requeues, resuming from its last heartbeat details (STEP_TIMED_OUT for an expiry,
        STEP_REQUEUED for a release)."""
        f = c.failure or {}
        error: dict[str, Any] = {
            "type": f.get("type"),
            "message": f.get("message"),
            "nonRetryable": False,
            "attempt": c.attempt,
            "requeues": c.requeues + 1,
        }
        if c.item_index is not None:
            error["item"] = c.item_index
        event = "STEP_TIMED_OUT" if c.status == "TIMED_OUT" else "STEP_REQUEUED"
        self.plan.events.append(Event(c.run_id, event, c.step_id, c.attempt, _json(error)))
        self._set_status(c, "RUNNING", c.attempt, error, ended=False)
        delay = max(step.retry.delay_ms(c.requeues + 1), 1)
        self.new_job(_ref(c), step, c.attempt, c.payload, delay, c.item_index, c.details, c.requeues + 1)

    def _completed(self, c: Claimed) -> None:
        output = c.output if c.output is not None else "null"
        if c.item_index is not None:
            self.plan.item_updates.append(
                ItemUpdate(c.run_id, c.step_id, c.item_index, "COMPLETED", c.attempt, output=output)
            )
            self.plan.events.append(
                Event(c.run_id, "ITEM_COMPLETED", c.step_id, c.attempt, _json({"item": c.item_index}))
            )
            self.plan.items_done.append(Ended(_ref(c), c.step_id))
            return
        self.plan.steps.append(
            StepUpdate(c.run_id, c.step_id, "COMPLETED", c.attempt, output=output, ended=True)
        )
        self.plan.events.append(Event(c.run_id, "STEP_COMPLETED", c.step_id, c.attempt))
        self.plan.ended.append(Ended(_ref(c), c.step_id, output))

    def _failed(self, c: Claimed, step: StepDef) -> None:
        f = c.failure or {}
        error_type = str(f.get("type") or "Error")
        message = str(f.get("message") or "")
        non_retryable = bool(f.get("nonRetryable"))
        error: dict[str, Any] = {
            "type": error_type,
            "message": message,
            "nonRetryable": non_retryable,
            "attempt": c.attempt,
        }
        if c.item_index is not None:
            error["item"] = c.item_index
        if f.get("details") is not None:
            error["details"] = _parse_json(f["details"])
        if f.get("stackTrace"):
            error["stackTrace"] = f["stackTrace"]
        event_type = "STEP_TIMED_OUT" if c.status == "TIMED_OUT" else "STEP_FAILED"
        self.plan.events.append(Event(c.run_id, event_type, c.step_id, c.attempt, _json(error)))
        if step.retry.allows_retry(c.attempt, error_type, non_retryable):
            self._set_status(c, "RETRYING", c.attempt + 1, error, ended=False)
            delay = max(step.retry.delay_ms(c.attempt), 1)
            self.new_job(_ref(c), step, c.attempt + 1, c.payload, delay, c.item_index, c.details)
            return
        if non_retryable or error_type in step.retry.non_retryable_errors:
            reason = headers.REASON_NON_RETRYABLE
        elif c.status == "TIMED_OUT":
            reason = headers.REASON_TIMED_OUT
        else:
            reason = headers.REASON_EXHAUSTED
        error["reason"] = reason
        self._set_status(c, "DEAD_LETTERED", c.attempt, error, ended=True)
        self.plan.dead_letters.append(DeadLetter(c, reason, error_type, message))
        if c.item_index is not None and step.continue_on_item_failure:
            # The map goes on: this item's output stays null among the gathered outputs.
            self.plan.events.append(
                Event(
                    c.run_id,
                    "ITEM_DEAD_LETTERED",
                    c.step_id,
                    c.attempt,
                    _json({"item": c.item_index, "reason": reason}),
                )
            )
            self.plan.items_done.append(Ended(_ref(c), c.step_id))
            return
        if c.item_index is not None:  # fail fast: one dead item fails the whole map step
            self.plan.steps.append(
                StepUpdate(c.run_id, c.step_id, "DEAD_LETTERED", 1, error=_json(error), ended=True)
            )
        self.plan.events.append(
            Event(c.run_id, "STEP_DEAD_LETTERED", c.step_id, c.attempt, _json({"reason": reason}))
        )
        run_error = {"stepId": c.step_id, "action": c.action, **error}
        run_error.pop("stackTrace", None)
        self.fail_run(c.run_id, run_error, c.workflow_id)

    def _set_status(self, c: Claimed, status: str, attempts: int, error: dict[str, Any], ended: bool) -> None:
        if c.item_index is None:
            self.plan.steps.append(
                StepUpdate(c.run_id, c.step_id, status, attempts, error=_json(error), ended=ended)
            )
        else:
            self.plan.item_updates.append(
                ItemUpdate(c.run_id, c.step_id, c.item_index, status, attempts, error=_json(error))
            )


def _parse_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
