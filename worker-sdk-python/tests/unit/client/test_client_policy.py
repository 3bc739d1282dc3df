"""The retry policy's delays, without a server: Retry-After in both forms, and the backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from legato_worker import RateLimited
from legato_worker._http import Attempts, Call, ClientConfig, backoff, parse_retry_after

pytestmark = pytest.mark.unit

CONFIG = ClientConfig("http://api", None, max_retries=2)


def busy(retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(429, json={"detail": "busy"}, headers=headers)


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("inf") is None
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 < (parse_retry_after(in_a_minute) or 0) <= 60
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_the_backoff_doubles_from_0_2_s_to_5_s() -> None:
    assert [backoff(n) for n in range(7)] == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0]


def test_retry_after_is_the_delay_then_the_backoff_without_it() -> None:
    attempts = Attempts(Call("GET", "/x"), CONFIG)
    assert attempts.after_answer(busy("2")) == 2.0
    assert attempts.after_answer(busy(None)) == 0.4  # the second retry's backoff
    with pytest.raises(RateLimited) as raised:
        attempts.after_answer(busy("7"))
    assert raised.value.retry_after == 7.0


def test_env_gives_the_url_and_key_and_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEGATO_API_URL", raising=False)
    monkeypatch.delenv("LEGATO_API_KEY", raising=False)
    assert ClientConfig.resolve(None, None, 5, 30).api_url == "http://localhost:8080"
    assert "Authorization" not in ClientConfig.resolve(None, None, 5, 30).headers()
    monkeypatch.setenv("LEGATO_API_URL", "http://env:1/")
    monkeypatch.setenv("LEGATO_API_KEY", "k")
    assert ClientConfig.resolve(None, None, 5, 30).api_url == "http://env:1"
    assert ClientConfig.resolve("http://arg:2", "a", 5, 30).headers()["Authorization"] == "Bearer a"
