"""Rows and plans the engine passes between its SQL and its decisions (plain, slotted data)."""

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID


@dataclass(slots=True)
class Claimed:
    """An attempt whose outcome this batch won (first valid outcome per attempt wins)."""

    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    action: str
    payload: str
    workflow_id: str
    version: int
    correlation_id: str | None
    status: str  # COMPLETED | FAILED | TIMED_OUT
    output: str | None = None
    failure: dict[str, Any] | None = None
    partition: int | None = None
    offset: int | None = None
    item_index: int | None = None  # the item of a forEach step this attempt ran
    details: str | None = None  # its last heartbeat details (JSON text): the next attempt resumes from them
    requeues: int = 0  # how often this attempt expired in its queue before a worker started it
    requeue: bool = False  # expired in its queue: run it again without using an execution attempt
    trace_context: str | None = None  # its run's (runs.trace_context)
    run_status: str = "RUNNING"  # its run's, as of the claim (the run is locked until commit)


@dataclass(frozen=True, slots=True)
class RunRef:
    """What the planner needs to know about a run to schedule its steps."""

    run_id: UUID
    workflow_id: str
    version: int
    correlation_id: str | None
    trace_context: str | None = None  # runs.trace_context: its jobs are traced as its children


@dataclass(frozen=True, slots=True)
class Ended:
    """A step that ended (COMPLETED or SKIPPED), or an item of a map that completed: its dependants
    (or its map) move on once this is written."""

    run: RunRef
    step_id: str
    output: str | None = None  # JSON text, when this batch knows it (saves reading it back)
    skipped: bool = False


@dataclass(slots=True)
class NewJob:
    job_id: UUID
    run_id: UUID
    step_id: str
    attempt: int
    action: str
    topic: str
    payload: str
    timeout_ms: int
    delay_ms: int  # from now (the database's clock) until the scheduler owns the job
    workflow_id: str
    version: int
    correlation_id: str | None
    immediate: bool  # published by the engine right after commit
    item_index: int | None = None
    schedule_to_start_ms: int | None = None
    heartbeat_ms: int | None = None
    details: str | None = None  # last heartbeat details of an earlier attempt (JSON text)
    requeues: int = 0
    trace_context: str | None = None  # its run's: the parent of its send span (legato.tracing)
    # Its record's deadlineAt (epoch ms), the start-by time the database set (jobs.start_by); None
    # without scheduleToStartSeconds.
    start_by_ms: int | None = None
    limited: bool = False  # its action has a limit: written throttled, published once admitted


@dataclass(slots=True)
class StepUpdate:
    run_id: UUID
    step_id: str
    status: str
    attempts: int
    input: str | None = None
    output: str | None = None
    error: str | None = None
    started: bool = False
    ended: bool = False
    wake_at_ms: int | None = None  # a wait step's timer at a fixed time (`until`)
    wake_in_ms: int | None = None  # or this long from now by the database's clock (`seconds`)
    items: int | None = None  # a map step's item count (sets items_total and items_open)


@dataclass(slots=True)
class NewItem:
    run_id: UUID
    step_id: str
    item_index: int
    status: str
    attempts: int
    input: str


@dataclass(slots=True)
class ItemUpdate:
    run_id: UUID
    step_id: str
    item_index: int
    status: str
    attempts: int
    output: str | None = None
    error: str | None = None


@dataclass(slots=True)
class RunUpdate:
    run_id: UUID
    status: str
    output: str | None = None
    error: str | None = None
    workflow_id: str = ""  # for legato_runs_finished_total


@dataclass(slots=True)
class Event:
    run_id: UUID
    type: str
    step_id: str | None = None
    attempt: int | None = None
    data: str | None = None  # JSON text


@dataclass(slots=True)
class DeadLetter:
    claimed: Claimed
    reason: str
    error_type: str
    error_message: str


@dataclass(slots=True)
class Withdrawal:
    """An attempt the orchestrator no longer wants: a Cancel record for the workers."""

    job_id: UUID
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class NewChild:
    """A workflow step's attempt: a child run of `workflow_id` (`version`, or the latest) to start
    with `input` (JSON text). workflow.children starts it, in the same transaction."""

    run: RunRef
    step_id: str
    attempt: int
    workflow_id: str
    version: int | None
    input: str


@dataclass(slots=True)
class Plan:
    steps: list[StepUpdate] = field(default_factory=list)
    jobs: list[NewJob] = field(default_factory=list)
    runs: list[RunUpdate] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    items: list[NewItem] = field(default_factory=list)
    item_updates: list[ItemUpdate] = field(default_factory=list)
    ended: list[Ended] = field(default_factory=list)  # steps whose dependants may now be ready
    items_done: list[Ended] = field(default_factory=list)  # one entry per completed map item
    withdrawals: list[Withdrawal] = field(default_factory=list)  # attempts timed out: Cancel records
    children: list[NewChild] = field(default_factory=list)  # child runs to start
    # runs with a step that began waiting for a signal (settle hands it a queued one)
    signal_waits: list[RunRef] = field(default_factory=list)
    started: list[str] = field(default_factory=list)  # the workflow of each child run started

    def extend(self, other: "Plan") -> None:
        self.steps += other.steps
        self.jobs += other.jobs
        self.runs += other.runs
        self.events += other.events
        self.dead_letters += other.dead_letters
        self.items += other.items
        self.item_updates += other.item_updates
        self.withdrawals += other.withdrawals
        self.children += other.children
        self.signal_waits += other.signal_waits
        self.started += other.started
