"""Workflow versions and statistics, and the overview of the last minutes."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from legato.api.errors import ApiError
from legato.api.models import Overview, WorkflowStatsPage, WorkflowVersions, problem
from legato.api.workflows import services
from legato.runs import stats
from legato.runs.filters import InvalidFilter

router = APIRouter(tags=["statistics"])

WINDOW_PATTERN = r"^[1-9][0-9]{0,5}[smhd]$"
LONGEST_STATS = 90 * 86400
LONGEST_OVERVIEW = 86400


def _window(raw: str, longest: int) -> int:
    try:
        return stats.window_seconds(raw, longest)
    except InvalidFilter as exc:
        raise ApiError(422, str(exc)) from exc


@router.get(
    "/workflow/stats",
    summary="Per defined workflow: runs started, completed, failed, cancelled in the window; running now",
    description="`failureRate` = failed / (completed + failed) in the window (null when none ended).",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "windowSeconds": 86400,
                        "workflows": [
                            {
                                "workflowId": "orders",
                                "latestVersion": 3,
                                "started": 1200,
                                "completed": 1150,
                                "failed": 12,
                                "cancelled": 1,
                                "running": 37,
                                "failureRate": 0.0103,
                            }
                        ],
                    }
                }
            }
        }
    },
)
def workflow_stats(
    request: Request,
    window: Annotated[str, Query(pattern=WINDOW_PATTERN, description="30m, 24h, 7d (at most 90d)")] = "24h",
) -> WorkflowStatsPage:
    seconds = _window(window, LONGEST_STATS)
    found = stats.workflow_stats(services(request).pool, seconds)
    return WorkflowStatsPage.model_validate({"windowSeconds": seconds, "workflows": found})


@router.get(
    "/workflow/{workflow_id}/versions",
    summary="Every version of a workflow definition, oldest first, with createdAt",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "id": "orders",
                        "versions": [
                            {
                                "version": 1,
                                "createdAt": "2026-01-01T09:00:00+00:00",
                                "steps": [{"id": "charge"}],
                            }
                        ],
                    }
                }
            }
        },
        404: problem("workflow not defined"),
    },
)
def workflow_versions(request: Request, workflow_id: str) -> WorkflowVersions:
    if "\x00" in workflow_id:
        raise ApiError(422, "workflow id must not contain NUL")
    found = stats.versions(services(request).pool, workflow_id)
    if not found:
        raise ApiError(404, f"workflow {workflow_id} is not defined")
    return WorkflowVersions.model_validate({"id": workflow_id, "versions": found})


@router.get(
    "/stats/overview",
    summary="Per minute: runs started/finished, steps completed/failed; step latency percentiles",
    description=(
        "Latencies (seconds) over the newest 50,000 attempts that ended in the window: "
        "`executionSeconds` = finished - started (the start a worker reports for attempts longer "
        "than about a second; otherwise from the dispatch, so it includes time in Kafka), "
        "`queueSeconds` = started - dispatched (attempts with a reported start: null when none). Steps are "
        "read from attempts that still hold their payload: `stepWindowSeconds` is at most "
        "LEGATO_JOB_PAYLOAD_RETENTION_HOURS."
    ),
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "windowSeconds": 3600,
                        "stepWindowSeconds": 3600,
                        "minutes": [
                            {
                                "at": "2026-01-05T10:00:00+00:00",
                                "runsStarted": 50,
                                "runsFinished": 48,
                                "stepsCompleted": 150,
                                "stepsFailed": 2,
                            }
                        ],
                        "latency": {
                            "sampled": 9000,
                            "executionSeconds": {"p50": 0.012, "p95": 0.2, "p99": 1.5},
                            "queueSeconds": {"p50": 0.004, "p95": 0.02, "p99": 0.1},
                        },
                    }
                }
            }
        }
    },
)
def overview(
    request: Request,
    window: Annotated[str, Query(pattern=WINDOW_PATTERN, description="15m, 1h, 24h (at most 24h)")] = "1h",
) -> Overview:
    s = services(request)
    seconds = _window(window, LONGEST_OVERVIEW)
    return Overview.model_validate(stats.overview(s.pool, seconds, s.settings.retention.job_payload_hours))
