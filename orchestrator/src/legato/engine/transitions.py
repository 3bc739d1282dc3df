"""What a batch of attempt outcomes does to runs: the engine's decisions, with no I/O.

Every function here appends to a Plan; engine.writes turns the Plan into SQL in one transaction.
"""

import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson

from legato.definitions import Definition, StepDef
from legato.engine.model import Claimed, DeadLetter, Event, NewJob, Plan, RunUpdate, StepUpdate
from legato_worker.protocol import headers
from legato_worker.protocol.topics import job_topic

# A job created for immediate publication is the engine's to publish for this long; after that the
# scheduler publishes it (this is how a job survives an orchestrator crash between commit and send).
OWNERSHIP_GRACE_MS = 3000

DefinitionLookup = Callable[[str, int], Definition]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class Planner:
    """Builds a Plan; one per batch or per trigger."""

    def __init__(self, jobs_prefix: str, now_ms: int) -> None:
        self.jobs_prefix = jobs_prefix
        self.now_ms = now_ms
        self.plan = Plan()

    def start_step(
        self,
        run_id: UUID,
        definition: Definition,
        version: int,
        step: StepDef,
        input_text: str,
        correlation_id: str | None,
    ) -> None:
        """Create attempt 1 of a step whose dependencies have all ended."""
        self.plan.steps.append(
            StepUpdate(run_id, step.id, "RUNNING", attempts=1, input=input_text, started=True)
        )
        self._new_job(run_id, definition, version, step, 1, input_text, correlation_id, 0)

    def _new_job(
        self,
        run_id: UUID,
        definition: Definition,
        version: int,
        step: StepDef,
        attempt: int,
        payload: str,
        correlation_id: str | None,
        delay_ms: int,
    ) -> None:
        immediate = delay_ms == 0
        self.plan.jobs.append(
            NewJob(
                job_id=uuid.uuid4(),
                run_id=run_id,
                step_id=step.id,
                attempt=attempt,
                action=step.action,
                topic=job_topic(self.jobs_prefix, step.action),
                payload=payload,
                timeout_ms=step.timeout_ms,
                not_before_ms=self.now_ms + (OWNERSHIP_GRACE_MS if immediate else delay_ms),
                workflow_id=definition.workflow_id,
                version=version,
                correlation_id=correlation_id,
                immediate=immediate,
            )
        )
        data = {"jobTopic": job_topic(self.jobs_prefix, step.action)}
        if delay_ms:
            data["delayMs"] = delay_ms  # type: ignore[assignment]
        self.plan.events.append(Event(run_id, "STEP_SCHEDULED", step.id, attempt, _json(data)))

    def outcome(self, c: Claimed, definition: Definition) -> None:
        step = definition.by_id[c.step_id]
        if c.status == "COMPLETED":
            self._completed(c, definition, step)
        else:
            self._failed(c, definition, step)

    def _completed(self, c: Claimed, definition: Definition, step: StepDef) -> None:
        output = c.output if c.output is not None else "null"
        self.plan.steps.append(
            StepUpdate(c.run_id, c.step_id, "COMPLETED", c.attempt, output=output, ended=True)
        )
        self.plan.events.append(Event(c.run_id, "STEP_COMPLETED", c.step_id, c.attempt))
        dependants = definition.dependants[step.id]
        if not dependants:
            # A linear workflow has exactly one sink: the last step; its output is the run's.
            self.plan.runs.append(RunUpdate(c.run_id, "COMPLETED", output=output))
            self.plan.events.append(Event(c.run_id, "RUN_COMPLETED"))
            return
        for next_id in dependants:
            nxt = definition.by_id[next_id]
            self.start_step(c.run_id, definition, c.version, nxt, output, c.correlation_id)

    def _failed(self, c: Claimed, definition: Definition, step: StepDef) -> None:
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
        if f.get("details") is not None:
            error["details"] = _parse_json(f["details"])
        if f.get("stackTrace"):
            error["stackTrace"] = f["stackTrace"]
        event_type = "STEP_TIMED_OUT" if c.status == "TIMED_OUT" else "STEP_FAILED"
        self.plan.events.append(Event(c.run_id, event_type, c.step_id, c.attempt, _json(error)))
        if step.retry.allows_retry(c.attempt, error_type, non_retryable):
            delay = step.retry.delay_ms(c.attempt)
            self.plan.steps.append(
                StepUpdate(c.run_id, c.step_id, "RETRYING", c.attempt + 1, error=_json(error))
            )
            self._new_job(
                c.run_id,
                definition,
                c.version,
                step,
                c.attempt + 1,
                c.payload,
                c.correlation_id,
                max(delay, 1),
            )
            return
        if non_retryable or error_type in step.retry.non_retryable_errors:
            reason = headers.REASON_NON_RETRYABLE
        elif c.status == "TIMED_OUT":
            reason = headers.REASON_TIMED_OUT
        else:
            reason = headers.REASON_EXHAUSTED
        error["reason"] = reason
        self.plan.steps.append(
            StepUpdate(c.run_id, c.step_id, "DEAD_LETTERED", c.attempt, error=_json(error), ended=True)
        )
        self.plan.events.append(
            Event(c.run_id, "STEP_DEAD_LETTERED", c.step_id, c.attempt, _json({"reason": reason}))
        )
        run_error = {"stepId": c.step_id, "action": c.action, **error}
        run_error.pop("stackTrace", None)
        self.plan.runs.append(RunUpdate(c.run_id, "FAILED", error=_json(run_error)))
        self.plan.events.append(Event(c.run_id, "RUN_FAILED", data=_json(run_error)))
        self.plan.dead_letters.append(DeadLetter(c, reason, error_type, message))


def _parse_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
