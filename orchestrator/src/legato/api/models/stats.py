# ruff: noqa: N815 - the API's field names
"""Answers of the statistics: per workflow, per minute, and a workflow's versions."""

from legato.api.models._base import Answer, Timestamp
from legato.api.models.workflows import WorkflowStep


class WorkflowStats(Answer):
    workflowId: str
    latestVersion: int
    started: int
    completed: int
    failed: int
    cancelled: int
    running: int
    failureRate: float | None  # failed / (completed + failed); null when none ended


class WorkflowStatsPage(Answer):
    windowSeconds: int
    workflows: list[WorkflowStats]


class DefinitionVersion(Answer):
    version: int
    createdAt: Timestamp
    steps: list[WorkflowStep]


class WorkflowVersions(Answer):
    id: str
    versions: list[DefinitionVersion]


class OverviewMinute(Answer):
    at: Timestamp
    runsStarted: int
    runsFinished: int
    stepsCompleted: int
    stepsFailed: int


class Percentiles(Answer):
    """Seconds; null when no attempt was sampled."""

    p50: float | None
    p95: float | None
    p99: float | None


class Latency(Answer):
    sampled: int
    executionSeconds: Percentiles
    queueSeconds: Percentiles


class Overview(Answer):
    windowSeconds: int
    stepWindowSeconds: int
    minutes: list[OverviewMinute]
    latency: Latency
