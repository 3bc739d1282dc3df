"""`legato trigger` when the API is busy (429 + Retry-After): the same request is sent again, with
the same Idempotency-Key, until it is taken or --max-wait would pass. The API here is mostly a tiny
HTTP server of the test's own on 127.0.0.1 that answers what the test scripts; the last test meets a
real orchestrator's admission control."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
import pytest
from cli_runner import Cli, run_cli

from harness.api import define, unique
from harness.waiting import until
from legato.cli.client import BUSY_DEFAULT_S, BUSY_MIN_S, retry_after
from legato.cli.trigger import GENERATED_KEY

Answer = tuple[int, dict[str, str], object]  # status, headers, JSON body

RUN_ID = "0192f0c4-5b1e-7c3a-8f00-00000000beef"
BUSY: Answer = (
    429,
    {"Retry-After": "1"},
    {"detail": "too much work not started", "backlog": 12, "maxBacklog": 10},
)
TAKEN: Answer = (200, {}, {"runId": RUN_ID})


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: object


@dataclass
class FakeApi:
    """Answers each request with the next scripted answer (the last one repeats); keeps what it saw."""

    url: str
    answers: list[Answer] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = orjson.loads(raw) if raw else None
            api.seen.append(
                Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status, headers, answer = api.answers[min(len(api.seen), len(api.answers)) - 1]
            data = orjson.dumps(answer)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer  # noqa: N815 - http.server's names

        def log_message(self, *_: object) -> None:  # quiet
            pass

    return Handler


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield api
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.mark.unit
def test_a_busy_trigger_is_sent_again_with_the_same_key(fake_api: FakeApi) -> None:
    fake_api.answers = [BUSY, TAKEN]
    started = time.monotonic()
    result = run_cli("--api", fake_api.url, "trigger", "orders", "--input", '{"n": 1}', "--priority", "2")
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == RUN_ID
    assert time.monotonic() - started >= 1  # it waited the Retry-After first
    first, second = fake_api.seen
    assert first.method == second.method == "POST"
    assert first.path == second.path == "/workflow/orders/trigger"
    assert first.body == second.body == {"input": {"n": 1}, "priority": 2}
    key = first.headers["idempotency-key"]
    assert key.startswith(GENERATED_KEY) and len(key) > len(GENERATED_KEY)
    assert second.headers["idempotency-key"] == key
    assert result.stderr.strip() == (
        "legato: the API is busy (too much work not started; backlog 12 of at most 10); trying again "
        "in 1s with the same Idempotency-Key (1s of --max-wait 60s)"
    )


@pytest.mark.unit
def test_the_key_given_is_the_key_sent_again(fake_api: FakeApi) -> None:
    fake_api.answers = [BUSY, TAKEN]
    result = run_cli("--api", fake_api.url, "-o", "json", "trigger", "orders", "-k", "order-42")
    assert result.code == 0, result.stderr
    assert result.json() == {"runId": RUN_ID}
    assert [s.headers["idempotency-key"] for s in fake_api.seen] == ["order-42", "order-42"]
    assert [s.body for s in fake_api.seen] == [{"input": None}, {"input": None}]  # no priority given


@pytest.mark.unit
def test_it_gives_up_when_the_next_wait_would_pass_max_wait(fake_api: FakeApi) -> None:
    fake_api.answers = [BUSY]  # busy for ever
    result = run_cli("--api", fake_api.url, "trigger", "orders", "--max-wait", "1.5")
    assert result.code == 5  # like an API that cannot take the request now
    assert len(fake_api.seen) == 2  # the first try, one more after 1 s; a second wait would make 2 s
    assert len({s.headers["idempotency-key"] for s in fake_api.seen}) == 1
    assert result.stderr.splitlines()[-1] == (
        "legato: error: the API is busy: too much work not started; backlog 12 of at most 10 (HTTP 429); "
        "still refused after waiting 1s, and the next try (in 1s) would pass --max-wait 1.5s: try again later"
    )


@pytest.mark.unit
def test_max_wait_zero_never_retries(fake_api: FakeApi) -> None:
    fake_api.answers = [(429, {"Retry-After": "30"}, {"detail": "busy"})]
    started = time.monotonic()
    result = run_cli("--api", fake_api.url, "trigger", "orders", "--max-wait", "0")
    assert result.code == 5
    assert time.monotonic() - started < 5  # no 30 s wait
    assert len(fake_api.seen) == 1
    assert "waiting 0s, and the next try (in 30s) would pass --max-wait 0s" in result.stderr


@pytest.mark.unit
def test_a_request_without_an_idempotency_key_is_not_retried(fake_api: FakeApi) -> None:
    fake_api.answers = [BUSY, TAKEN]
    result = run_cli("--api", fake_api.url, "runs", "list")
    assert result.code == 5
    assert len(fake_api.seen) == 1
    assert result.stderr.strip() == "legato: error: too much work not started (HTTP 429)"


@pytest.mark.unit
def test_a_priority_out_of_range_is_refused_before_any_request(fake_api: FakeApi) -> None:
    for bad in ("0", "6", "high"):
        result = run_cli("--api", fake_api.url, "trigger", "orders", "--priority", bad)
        assert result.code == 2, result.stderr
        assert "--priority" in result.stderr
    assert fake_api.seen == []


@pytest.mark.unit
def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after("1") == 1
    assert retry_after("2.5") == 2.5
    assert retry_after("0") == BUSY_MIN_S  # never a busy loop
    assert retry_after("-3") == BUSY_MIN_S
    assert retry_after(None) == BUSY_DEFAULT_S
    assert retry_after("soon") == BUSY_DEFAULT_S
    assert retry_after("nan") == BUSY_DEFAULT_S
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < retry_after(later) <= 30
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after(earlier) == BUSY_MIN_S


@pytest.mark.integration
def test_a_real_refusal_past_max_wait_stores_nothing(cli: Cli, api: httpx.Client) -> None:
    """A workflow whose backlog is full (its jobs have no worker): the API answers 429 with the
    Retry-After it computes; with --max-wait 0 the CLI gives up at once, and no run was made."""
    wid = unique("cli-full")
    define(api, {"id": wid, "maxBacklog": 1, "steps": [{"id": "s", "action": unique("cli-nobody")}]})
    try:
        # the API reads each workflow's maxBacklog with its backlog sample (every second)
        until(lambda: api.post(f"/workflow/{wid}/trigger", json={}).status_code == 429, what="a 429")
        before = len(api.get("/workflow/runs", params={"workflowId": wid}).json()["runs"])
        refused = cli("trigger", wid, "--max-wait", "0", expect=5)
        line = refused.stderr.strip()
        assert line.startswith("legato: error: the API is busy: too much work has not started yet")
        assert f"the maxBacklog of workflow {wid} is 1" in line
        assert "(HTTP 429); still refused after waiting 0s, and the next try (in " in line
        assert line.endswith("would pass --max-wait 0s: try again later")
        assert len(api.get("/workflow/runs", params={"workflowId": wid}).json()["runs"]) == before
    finally:
        cli("runs", "cancel", "--filter", f"workflow={wid}")
