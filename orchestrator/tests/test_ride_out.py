"""faults.ride_out: an outage is waited out (bounded), anything else fails at once."""

import time

import psycopg
import pytest

from legato.faults import ride_out

pytestmark = pytest.mark.unit


class Flaky:
    """Fails with `error` the first `failures` calls, then answers how much time was left."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self, time_left: float) -> float:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return time_left


def test_an_outage_is_waited_out() -> None:
    call = Flaky(3, psycopg.OperationalError("connection lost"))
    assert 0 < ride_out(call, "test", seconds=5) < 5
    assert call.calls == 4


def test_a_data_error_fails_at_once() -> None:
    call = Flaky(1, psycopg.errors.CheckViolation("bad value"))
    with pytest.raises(psycopg.errors.CheckViolation):
        ride_out(call, "test", seconds=5)
    assert call.calls == 1


def test_a_statement_timeout_is_not_waited_out() -> None:
    call = Flaky(1, psycopg.errors.QueryCanceled("statement timeout"))
    with pytest.raises(psycopg.errors.QueryCanceled):
        ride_out(call, "test", seconds=5)
    assert call.calls == 1


def test_an_outage_longer_than_the_limit_fails_once_the_time_is_up() -> None:
    call = Flaky(10**6, psycopg.OperationalError("still down"))
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        ride_out(call, "test", seconds=0.5)
    assert 0.3 <= time.monotonic() - started < 5  # waited, and stopped waiting
    assert call.calls > 1
