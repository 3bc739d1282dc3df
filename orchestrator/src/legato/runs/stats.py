"""Counts over a time window: per workflow, and per minute for the overview; workflow versions."""

import re
from datetime import datetime
from typing import Any

from psycopg_pool import ConnectionPool

from legato.runs.filters import InvalidFilter
from legato.store import stats_sql
from legato.store.rows import fetch_all, fetch_one

WINDOW = re.compile(r"^([1-9][0-9]{0,5})([smhd])$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
LATENCY_SAMPLE = 50_000


def window_seconds(raw: str, longest: int) -> int:
    """`30m`, `1h`, `24h`, `7d` as seconds, at most `longest`."""
    m = WINDOW.match(raw)
    if m is None:
        raise InvalidFilter(f"window {raw!r}: use a number and a unit, like 30m, 1h, 24h or 7d")
    seconds = int(m.group(1)) * SECONDS[m.group(2)]
    if not 60 <= seconds <= longest:
        raise InvalidFilter(f"window {raw!r}: between 1m and {longest // 3600}h")
    return seconds


def versions(pool: ConnectionPool, workflow_id: str) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = fetch_all(conn, stats_sql.VersionRow, stats_sql.VERSIONS, (workflow_id,))
    return [
        {"version": r.version, "createdAt": r.created_at.isoformat(), "steps": r.definition.get("steps", [])}
        for r in rows
    ]


def workflow_stats(pool: ConnectionPool, window: int) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = fetch_all(conn, stats_sql.WorkflowStatsRow, stats_sql.WORKFLOW_STATS, {"window": window})
    out = []
    for r in rows:
        ended = r.completed + r.failed
        out.append(
            {
                "workflowId": r.workflow_id,
                "latestVersion": r.latest,
                "started": r.started,
                "completed": r.completed,
                "failed": r.failed,
                "cancelled": r.cancelled,
                "running": r.running,
                "failureRate": round(r.failed / ended, 4) if ended else None,
            }
        )
    return out


def _minute(at: datetime) -> str:
    return at.isoformat()


def _percentiles(values: list[float] | None) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "p99": None}
    return {"p50": values[0], "p95": values[1], "p99": values[2]}


def overview(pool: ConnectionPool, window: int, payload_retention_hours: float) -> dict[str, Any]:
    """Per minute: runs started and finished, steps completed and failed; step latencies.

    Steps are read from attempts that still hold their payload, so their window is at most the
    payload retention (`stepWindowSeconds` says how far back they reach)."""
    step_window = window
    if payload_retention_hours > 0:
        step_window = min(window, int(payload_retention_hours * 3600))
    with pool.connection() as conn:
        runs = fetch_all(conn, stats_sql.RunsMinuteRow, stats_sql.RUNS_PER_MINUTE, {"window": window})
        steps = fetch_all(conn, stats_sql.StepsMinuteRow, stats_sql.STEPS_PER_MINUTE, {"window": step_window})
        latency = fetch_one(
            conn, stats_sql.LatencyRow, stats_sql.LATENCY, {"window": step_window, "sample": LATENCY_SAMPLE}
        )
    by_minute = {s.m: (s.completed, s.failed) for s in steps}
    assert latency is not None
    return {
        "windowSeconds": window,
        "stepWindowSeconds": step_window,
        "minutes": [
            {
                "at": _minute(r.m),
                "runsStarted": r.started,
                "runsFinished": r.finished,
                "stepsCompleted": by_minute.get(r.m, (0, 0))[0],
                "stepsFailed": by_minute.get(r.m, (0, 0))[1],
            }
            for r in runs
        ],
        "latency": {
            "sampled": latency.sampled,
            "executionSeconds": _percentiles(latency.execution),
            "queueSeconds": _percentiles(latency.queue),
        },
    }
