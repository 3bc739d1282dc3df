"""Exceptions map onto the Result failure envelope exactly as docs/protocol.md says."""

import json
from typing import Any

import pytest

from legato_protocol import Failure
from legato_worker import ApplicationError, NonRetryableError
from legato_worker._errors import failure_from_exception

pytestmark = pytest.mark.unit


def raised(exc: Exception) -> Failure:
    try:
        raise exc
    except Exception as caught:
        return failure_from_exception(caught)


class PaymentTimeout(Exception):
    pass


def test_plain_exception_uses_the_class_name_and_is_retryable() -> None:
    failure = raised(RuntimeError("plain failure"))
    assert failure["type"] == "RuntimeError"
    assert failure["message"] == "plain failure"
    assert failure["nonRetryable"] is False
    assert failure["details"] is None
    assert failure["stackTrace"] is not None
    assert "RuntimeError: plain failure" in failure["stackTrace"]


def test_custom_exception_class_name() -> None:
    assert raised(PaymentTimeout("slow"))["type"] == "PaymentTimeout"


def test_application_error_with_type_and_details() -> None:
    failure = raised(ApplicationError("boom", type="ConformanceError", details={"payload": [1]}))
    assert failure["type"] == "ConformanceError"
    assert failure["message"] == "boom"
    assert failure["nonRetryable"] is False
    assert failure["details"] is not None
    assert json.loads(failure["details"]) == {"payload": [1]}


def test_application_error_without_type_uses_class_name() -> None:
    assert raised(ApplicationError("x"))["type"] == "ApplicationError"


def test_application_error_non_retryable_flag() -> None:
    assert raised(ApplicationError("x", non_retryable=True))["nonRetryable"] is True


def test_non_retryable_error() -> None:
    failure = raised(NonRetryableError("declined", type="CardDeclined", details={"code": "51"}))
    assert failure["type"] == "CardDeclined"
    assert failure["nonRetryable"] is True
    assert failure["details"] == '{"code":"51"}'
    assert isinstance(NonRetryableError("x"), ApplicationError)


def test_unserialisable_details_still_produce_an_envelope() -> None:
    details: Any = {"when": object()}
    failure = raised(ApplicationError("x", details=details))
    assert failure["details"] is not None
    assert isinstance(json.loads(failure["details"]), str)
