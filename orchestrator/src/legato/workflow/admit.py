"""The result boundary: what a worker reports is checked here once, before the engine trusts it.

A COMPLETED result whose output PostgreSQL could not store (NUL characters, lone surrogates, numbers
that would change, too deep, too large) becomes a FAILED, non-retryable attempt whose error says
why (`InvalidOutput` or `PayloadTooLarge`): the run's step shows it, nothing else is held up.
Failure envelopes are made storable rather than refused: texts are cleaned and capped, details
that are not storable JSON are kept as (cleaned) text.
"""

from typing import Any

import orjson

from legato.payloads import InvalidValue, JsonLimits, PayloadTooLarge, clean_text, parse_checked
from legato_protocol import Result

MAX_ERROR_TYPE = 200
MAX_MESSAGE = 4096
MAX_STACK = 16384
MAX_DETAILS_BYTES = 65536


def admit(result: Result, limits: JsonLimits) -> Result:
    """`result` itself when it can be applied as is, else a storable copy."""
    if result["status"] == "COMPLETED":
        output = result["output"]
        if output is None:
            return result
        try:
            parse_checked(output, limits, "output")
        except InvalidValue as exc:
            error_type = "PayloadTooLarge" if isinstance(exc, PayloadTooLarge) else "InvalidOutput"
            return _failed(result, error_type, f"the worker's {exc}")
        return result
    return {**result, "output": None, "failure": _clean_failure(result["failure"], limits)}


def _failed(result: Result, error_type: str, message: str) -> Result:
    return {
        **result,
        "status": "FAILED",
        "output": None,
        "failure": {
            "type": error_type,
            "message": clean_text(message, MAX_MESSAGE),
            "nonRetryable": True,
            "details": None,
            "stackTrace": None,
        },
    }


def _clean_failure(failure: Any, limits: JsonLimits) -> Any:
    if failure is None:
        return None
    details = failure.get("details")
    if details is not None:
        try:
            bounded = JsonLimits(min(limits.max_bytes, MAX_DETAILS_BYTES), limits.max_depth)
            parse_checked(details, bounded, "details")
        except InvalidValue as exc:
            details = orjson.dumps({"invalidDetails": exc.problem}).decode()
    stack = failure.get("stackTrace")
    return {
        "type": clean_text(failure.get("type") or "Error", MAX_ERROR_TYPE),
        "message": clean_text(failure.get("message") or "", MAX_MESSAGE),
        "nonRetryable": bool(failure.get("nonRetryable")),
        "details": details,
        "stackTrace": None if stack is None else clean_text(stack, MAX_STACK),
    }
