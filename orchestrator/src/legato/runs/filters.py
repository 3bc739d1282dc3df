"""The filters of the run list, shared by the list, its counts and the bulk operations."""

import base64
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from legato.store import run_list_sql

STATUSES = ("PENDING", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "CANCELLED")
# `q` looks only at the newest runs matching the other filters: bounded work per request, in rows
# and in bytes of input read (as stored: pg_column_size). The first run of a window is always read,
# whatever its size, so paging always goes on.
SCAN_ROWS = 10_000
SCAN_BYTES = 32 * 1024 * 1024


class InvalidFilter(ValueError):
    """A filter value the API cannot use (HTTP 422); the message names it."""


@dataclass(frozen=True, slots=True)
class RunFilter:
    statuses: tuple[str, ...] = ()  # empty: every status
    workflow_id: str | None = None
    version: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    run_id: UUID | None = None
    idempotency_key: str | None = None
    correlation_id: str | None = None
    schedule_id: str | None = None
    trigger_id: str | None = None
    q: str | None = None

    def only(self, allowed: tuple[str, ...]) -> "RunFilter | None":
        """The same filter restricted to `allowed` statuses; None when nothing can match."""
        wanted = tuple(s for s in allowed if not self.statuses or s in self.statuses)
        return replace(self, statuses=wanted) if wanted else None


def parse_statuses(values: list[str] | None) -> tuple[str, ...]:
    """`status` repeated, or comma separated, or both; each one of STATUSES."""
    found: list[str] = []
    for value in values or []:
        for part in value.split(","):
            name = part.strip().upper()
            if not name:
                continue
            if name not in STATUSES:
                raise InvalidFilter(f"status {part.strip()!r} is not one of {', '.join(STATUSES)}")
            if name not in found:
                found.append(name)
    return tuple(found)


def utc(value: datetime | None) -> datetime | None:
    """A time without a zone is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def encode_cursor(created_at: datetime, run_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{run_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, _, rid = base64.urlsafe_b64decode(cursor.encode("ascii")).decode().partition("|")
        return utc(datetime.fromisoformat(at)) or datetime.now(UTC), UUID(rid)
    except ValueError as exc:  # binascii.Error and UnicodeError are ValueErrors
        raise InvalidFilter("cursor is not one this API handed out") from exc


def like_pattern(q: str) -> str:
    """`q` as an ILIKE pattern that matches it literally anywhere."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where(f: RunFilter, after: tuple[datetime, UUID] | None) -> sql.Composable:
    """The WHERE clause of the filters set in `f` but status (each status is a branch of its own)."""
    names = [name for name, value in _values(f, after).items() if value is not None]
    parts = [sql.SQL(run_list_sql.CONDITIONS[n]) for n in names if n in run_list_sql.CONDITIONS]
    return sql.SQL(" AND ").join(parts) if parts else sql.SQL("true")


def status_param(n: int) -> sql.Placeholder:
    return sql.Placeholder(f"status_{n}")


def params(f: RunFilter, after: tuple[datetime, UUID] | None) -> dict[str, Any]:
    out = {k: v for k, v in _values(f, after).items() if v is not None}
    if after is not None:
        out["after_at"], out["after_id"] = after
    for n, status in enumerate(f.statuses or STATUSES):
        out[f"status_{n}"] = status
    if f.q:
        out["pattern"] = like_pattern(f.q)
    return out


def _values(f: RunFilter, after: tuple[datetime, UUID] | None) -> dict[str, Any]:
    return {
        "workflow_id": f.workflow_id,
        "version": f.version,
        "created_after": f.created_after,
        "created_before": f.created_before,
        "run_id": f.run_id,
        "idempotency_key": f.idempotency_key,
        "correlation_id": f.correlation_id,
        "schedule_id": f.schedule_id,
        "trigger_id": f.trigger_id,
        "after": after,
    }
