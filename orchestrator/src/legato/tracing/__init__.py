"""OpenTelemetry tracing of the orchestrator (docs/observability.md, "Traces"); off by default.

`ENABLED` is decided once, from the standard OTEL_* variables, without importing OpenTelemetry.
Call sites check it and only then import `legato.tracing.spans` (which imports the SDK), so a
process with tracing off pays one boolean test per request or job and loads nothing.
"""

import os
import re
from collections.abc import Mapping

_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def enabled(environ: Mapping[str, str]) -> bool:
    """On when OTEL_SDK_DISABLED is not `true` and an OTLP endpoint or a traces exporter (other
    than `none`) is set."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if any(environ.get(name, "").strip() for name in _ENDPOINTS):
        return True
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    return exporter not in ("", "none")


ENABLED = enabled(os.environ)


def log_ids(run_id: object, traceparent: object = None) -> str:
    """What an orchestrator log line about a run ends with (docs/observability.md, "Logs"):
    `run_id=<id>`, and ` trace_id=<id>` when `traceparent` is a W3C traceparent of a valid trace."""
    ids = f"run_id={run_id}"
    found = _TRACEPARENT.fullmatch(traceparent) if isinstance(traceparent, str) else None
    if found is None or found[1] == "0" * 32:
        return ids
    return f"{ids} trace_id={found[1]}"
