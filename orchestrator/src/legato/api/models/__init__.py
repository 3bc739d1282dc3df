"""The answers of the HTTP API, one module per group of routes: what /openapi.json describes and
the dashboard's types are generated from (`make api-types`)."""

from legato.api.models.attempts import Attempt, AttemptPage, StepWait
from legato.api.models.dead_letter_topics import DltImport, DltJob, DltRecord, DltRecordPage, DltRecordSummary
from legato.api.models.dead_letters import (
    DeadLetter,
    DeadLetterDetail,
    DeadLetterPage,
    ReplayAnswer,
    ReplayedRecord,
)
from legato.api.models.errors import Problem, problem
from legato.api.models.health import Health, Readiness
from legato.api.models.run_list import (
    BulkResult,
    RunCounts,
    RunError,
    RunPage,
    RunStatus,
    RunSummary,
    StatusCounts,
)
from legato.api.models.runs import (
    Deadline,
    LiveAttempt,
    Run,
    RunChange,
    RunEvent,
    RunEvents,
    RunStep,
    StepItems,
)
from legato.api.models.session import ApiKey, ApiKeys, NewApiKey, RevokedKeys, Scope, Session
from legato.api.models.stats import (
    DefinitionVersion,
    Latency,
    Overview,
    OverviewMinute,
    Percentiles,
    WorkflowStats,
    WorkflowStatsPage,
    WorkflowVersions,
)
from legato.api.models.workers import ActionWithoutWorker, ActionWorkers, WorkerMember, Workers
from legato.api.models.workflows import Definition, Definitions, DefinitionSchema, RunStarted, WorkflowStep

__all__ = [
    "ActionWithoutWorker",
    "ActionWorkers",
    "ApiKey",
    "ApiKeys",
    "Attempt",
    "AttemptPage",
    "BulkResult",
    "DeadLetter",
    "DeadLetterDetail",
    "DeadLetterPage",
    "Deadline",
    "Definition",
    "DefinitionSchema",
    "DefinitionVersion",
    "Definitions",
    "DltImport",
    "DltJob",
    "DltRecord",
    "DltRecordPage",
    "DltRecordSummary",
    "Health",
    "Latency",
    "LiveAttempt",
    "NewApiKey",
    "Overview",
    "OverviewMinute",
    "Percentiles",
    "Problem",
    "Readiness",
    "ReplayAnswer",
    "ReplayedRecord",
    "RevokedKeys",
    "Run",
    "RunChange",
    "RunCounts",
    "RunError",
    "RunEvent",
    "RunEvents",
    "RunPage",
    "RunStarted",
    "RunStatus",
    "RunStep",
    "RunSummary",
    "Scope",
    "Session",
    "StatusCounts",
    "StepItems",
    "StepWait",
    "WorkerMember",
    "Workers",
    "WorkflowStats",
    "WorkflowStatsPage",
    "WorkflowStep",
    "WorkflowVersions",
    "problem",
]
