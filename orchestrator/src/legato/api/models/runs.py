# ruff: noqa: N815 - the API's field names
"""Answers about one run: the run with its steps, its history, cancel and retry."""

from typing import Literal

from pydantic import MISSING

from legato.api.models._base import Answer, Json, Timestamp, Uuid
from legato.api.models.run_list import RunStatus


class Deadline(Answer):
    at: Timestamp
    kind: str | None


class LiveAttempt(Answer):
    """The step's newest attempt not ended: `queued` until a worker reports its start."""

    jobId: Uuid
    state: Literal["throttled", "queued", "running"]  # throttled: waits for a slot of its action
    startedAt: Timestamp | None
    heartbeatAt: Timestamp | None
    progress: Json
    workerId: str | None
    deadline: Deadline | None


class StepItems(Answer):
    """A map step's items."""

    total: int
    completed: int


class SignalName(Answer):
    name: str


class ChildWorkflow(Answer):
    id: str
    version: int | None  # None: the latest when the step starts


class RunStep(Answer):
    """`wakeAt` only for a step with a timer (a wait's wake time, a signal wait's timeout, a retry's
    next start), `items` only for a map step, `liveAttempt` only while an attempt is open, `signal`
    only for a signal step, `workflow` and `childRunId` (its latest attempt's child run) only for a
    workflow step."""

    id: str
    kind: Literal["task", "map", "wait", "signal", "workflow"]
    action: str | None
    status: str
    attempts: int
    input: Json
    output: Json
    error: Json
    startedAt: Timestamp | None
    endedAt: Timestamp | None
    waitingFor: str | None  # e.g. "a slot of action charge-card": an attempt is throttled
    wakeAt: Timestamp | MISSING = MISSING
    items: StepItems | MISSING = MISSING
    liveAttempt: LiveAttempt | MISSING = MISSING
    signal: SignalName | MISSING = MISSING
    workflow: ChildWorkflow | MISSING = MISSING
    childRunId: Uuid | None | MISSING = MISSING


class Run(Answer):
    """`parentRunId` and `parentStepId`: the run and workflow step that started this one as a
    child run (None for a run started otherwise). `scheduleId` and `scheduledAt`: the schedule and
    fire time that started it; `triggerId`: the Kafka-topic trigger whose record started it."""

    runId: Uuid
    workflowId: str
    version: int
    status: RunStatus
    input: Json
    output: Json
    error: Json
    correlationId: str | None
    createdAt: Timestamp
    updatedAt: Timestamp
    endedAt: Timestamp | None
    parentRunId: Uuid | None
    parentStepId: str | None
    scheduleId: str | None
    scheduledAt: Timestamp | None
    triggerId: str | None
    priority: int  # 1 (highest) .. 5: the order in which throttled work is admitted
    concurrencyKey: str | None  # its workflow's concurrency key, as its input rendered it
    waitingFor: str | None  # why a PENDING run has not started (its concurrency key is at its limit)
    steps: list[RunStep]


class RunEvent(Answer):
    id: int
    at: Timestamp
    type: str
    stepId: str | None
    attempt: int | None
    data: Json


class RunEvents(Answer):
    runId: str  # as the path gave it
    events: list[RunEvent]


class RunChange(Answer):
    """What a cancel, retry, pause or resume did: `changed` false when the run already was where
    it asked (cancelled, running again, paused, running). `retriedSteps` only when a retry re-runs steps."""

    runId: Uuid
    status: RunStatus
    changed: bool
    retriedSteps: list[str] | MISSING = MISSING


class SignalSent(Answer):
    """`duplicate`: a signal with this signalId was received before (this one changed nothing).
    `consumedBy`: the step that was waiting and took it at once; None when it is kept for a step
    that has not started waiting yet (or when it is a duplicate)."""

    runId: Uuid
    name: str
    signalId: str
    duplicate: bool
    consumedBy: str | None


class ReceivedSignal(Answer):
    signalId: str
    name: str
    payload: Json
    receivedAt: Timestamp
    consumedAt: Timestamp | None
    stepId: str | None  # the step that took it


class RunSignals(Answer):
    runId: Uuid
    signals: list[ReceivedSignal]
    more: bool  # the run received more than were listed
