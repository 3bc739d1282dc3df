"""Option values the commands share, checked before any request: times (`--since`), JSON given
inline or as `@file`, JSON objects from `--file`, and `--filter key=value` selections of runs."""

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from legato.cli.client import CliError, ExitCode
from legato.payloads import InvalidValue, JsonLimits, parse_checked

DURATION = re.compile(r"^(\d+)([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

# `--filter` keys (and friendlier aliases) -> the run-list filter fields of the API.
RUN_FILTER_KEYS = {
    "status": "status",
    "workflow": "workflowId",
    "workflowId": "workflowId",
    "version": "version",
    "since": "createdAfter",
    "createdAfter": "createdAfter",
    "before": "createdBefore",
    "createdBefore": "createdBefore",
    "run": "runId",
    "runId": "runId",
    "key": "idempotencyKey",
    "idempotencyKey": "idempotencyKey",
    "correlation": "correlationId",
    "correlationId": "correlationId",
    "schedule": "scheduleId",
    "scheduleId": "scheduleId",
    "trigger": "triggerId",
    "triggerId": "triggerId",
    "q": "q",
}
TIME_FIELDS = {"createdAfter", "createdBefore"}
# The API applies its configured size and depth; these only bound what the CLI itself encodes.
CLIENT_JSON_LIMITS = JsonLimits(max_bytes=1 << 40, max_depth=512)


def usage(message: str) -> CliError:
    return CliError(message, ExitCode.USAGE)


def since(raw: str | None, option: str = "--since") -> str | None:
    """A duration back from now (30s, 15m, 2h, 1d, 1w) or an ISO time (no zone: UTC), as ISO 8601."""
    if raw is None:
        return None
    m = DURATION.match(raw.strip())
    if m:
        at = datetime.now(UTC) - timedelta(**{UNITS[m[2]]: int(m[1])})
        return at.isoformat()
    try:
        at = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise usage(
            f"{option} {raw!r}: give an ISO time (2026-11-22T10:00) or a duration (30m, 2h, 1d)"
        ) from None
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).isoformat()


def read_text(path: str, option: str) -> str:
    """A file's text; `-` is standard input."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise usage(f"{option} {path}: cannot read the file ({reason})") from None


def json_value(raw: str, option: str) -> Any:
    """JSON given inline, or `@path` (`@-`: standard input), through the checks the API applies to
    a trigger's input: NaN, 1e400 or a decimal a float would round are refused here, not changed
    on their way (Python's json would send them as NaN, Infinity and a shorter number)."""
    text = read_text(raw[1:], option) if raw.startswith("@") else raw
    try:
        return parse_checked(text, CLIENT_JSON_LIMITS, option)
    except InvalidValue as exc:
        where = f"{raw[1:]}: " if raw.startswith("@") else ""
        raise usage(f"{exc.path}: {where}{exc.problem}") from None


def json_object_file(path: str, option: str = "--file") -> dict[str, Any]:
    """A JSON object read from a file (`-`: standard input), through the same checks as `json_value`
    (a spec's `input` reaches the API exactly as written)."""
    text = read_text(path, option)
    where = "stdin" if path == "-" else path
    try:
        value = parse_checked(text, CLIENT_JSON_LIMITS, "")
    except InvalidValue as exc:
        field = exc.path.lstrip(".")  # `input.items[3]`, or nothing for the whole text
        raise usage(f"{option} {where}: {field + ': ' if field else ''}{exc.problem}") from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else orjson.dumps(value).decode()[:40]
        raise usage(f"{option} {where}: give a JSON object ({{...}}), not {kind}")
    return value


def run_filter(pairs: list[str]) -> dict[str, Any]:
    """`--filter status=FAILED --filter workflow=orders` -> the API's filter body. `status` may repeat
    or be a comma list; times take what --since takes."""
    body: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise usage(f"--filter {pair!r}: give key=value (e.g. status=FAILED)")
        field = RUN_FILTER_KEYS.get(key)
        if field is None:
            known = ", ".join(k for k, v in RUN_FILTER_KEYS.items() if k == v or k in ("workflow", "since"))
            raise usage(f"--filter {key!r}: not a filter (use {known})")
        if field == "status":
            body.setdefault("status", []).extend(s.strip().upper() for s in value.split(",") if s.strip())
        elif field == "version":
            if not value.isdigit():
                raise usage(f"--filter version={value!r}: give a number")
            body[field] = int(value)
        elif field in TIME_FIELDS:
            body[field] = since(value, f"--filter {key}")
        else:
            body[field] = value
    return body
