"""Results are checked, capped and encoded before producing: the same caps in every SDK."""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from legato_protocol import Failure, Job, Result, decode_result
from legato_worker._dlt import MAX_MESSAGE_LEN
from legato_worker._envelope import (
    MAX_DETAILS_BYTES,
    MAX_MESSAGE_CHARS,
    MAX_STACK_CHARS,
    TRUNCATED,
    checked,
    seal,
    truncate,
)
from legato_worker._handlers import completed_or_serialisation_failure

pytestmark = pytest.mark.unit

JOB: Job = {
    "jobId": "j",
    "runId": "r",
    "stepId": "0",
    "attempt": 1,
    "action": "a",
    "payload": "{}",
    "workflowId": "w",
    "workflowVersion": 1,
    "queue": "q",
    "createdAt": 0,
}


def result_of(value: Any) -> Result:
    return completed_or_serialisation_failure(JOB, "worker", 0, value)


def failed_with(failure: Failure) -> Result:
    return {**result_of(None), "status": "FAILED", "output": None, "failure": failure}


@given(text=st.text(max_size=300), limit=st.integers(min_value=len(TRUNCATED), max_value=200))
def test_truncate_keeps_short_text_and_caps_long_text(text: str, limit: int) -> None:
    cut = truncate(text, limit)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith(TRUNCATED) and text.startswith(cut.removesuffix(TRUNCATED))


@settings(deadline=None, max_examples=50)  # large texts: no per-example deadline on a busy machine
@given(
    message=st.text(max_size=6000),
    stack=st.text(max_size=20_000),
    details=st.none() | st.text(max_size=70_000).map(json.dumps),
)
def test_failure_envelope_caps(message: str, stack: str, details: str | None) -> None:
    failure: Failure = {
        "type": "T",
        "message": message,
        "nonRetryable": False,
        "details": details,
        "stackTrace": stack,
    }
    decoded = decode_result(seal(failed_with(failure), 1000))
    sent = decoded["failure"]
    assert sent is not None
    assert len(sent["message"]) <= MAX_MESSAGE_CHARS
    assert sent["stackTrace"] is not None and len(sent["stackTrace"]) <= MAX_STACK_CHARS
    if details is None:
        assert sent["details"] is None
    else:
        size = len(details.encode("utf-8", "backslashreplace"))
        if size <= MAX_DETAILS_BYTES:
            assert sent["details"] == details.encode("utf-8", "backslashreplace").decode()
        else:
            assert json.loads(sent["details"] or "") == {"truncated": True, "bytes": size}


@given(size=st.integers(min_value=0, max_value=3000))
def test_output_over_the_limit_is_result_too_large(size: int) -> None:
    result = checked(result_of("x" * size), 1000)  # JSON text is size + 2 bytes
    if size + 2 <= 1000:
        assert result["status"] == "COMPLETED"
    else:
        assert result["status"] == "FAILED" and result["failure"] is not None
        assert result["failure"]["type"] == "ResultTooLarge"
        assert f"{size + 2} bytes" in result["failure"]["message"]
        assert result["failure"]["nonRetryable"] is True


def test_limit_counts_utf8_bytes() -> None:
    assert checked(result_of("é" * 499), 1000)["status"] == "COMPLETED"  # 998 + 2 bytes
    assert checked(result_of("é" * 500), 1000)["status"] == "FAILED"


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), {"x": [float("-inf")]}, "\ud800", {"\udc80": 1}]
)
def test_values_that_are_not_strict_json(value: Any) -> None:
    result = decode_result(seal(result_of(value), 1_000_000))
    assert result["status"] == "FAILED" and result["failure"] is not None
    assert (result["failure"]["type"], result["failure"]["nonRetryable"]) == ("SerializationError", True)


def test_lone_surrogate_in_a_failure_message_is_escaped_not_lost() -> None:
    failure: Failure = {"type": "T", "message": "bad \udc80 byte", "nonRetryable": False, "details": None}
    failure["stackTrace"] = None
    sent = decode_result(seal(failed_with(failure), 1000))["failure"]
    assert sent is not None and sent["message"] == "bad \\udc80 byte"


def test_dlt_error_message_cap() -> None:
    assert MAX_MESSAGE_LEN == 1024
    assert len(truncate("e" * 5000, MAX_MESSAGE_LEN)) == 1024
