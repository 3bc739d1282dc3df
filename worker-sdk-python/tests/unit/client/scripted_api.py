"""A scripted HTTP server on 127.0.0.1 for the client's unit tests: each request gets the next
scripted answer and is recorded (method, path, headers, body) for assertions."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stream: list[str] | None = None
    """Server-Sent Events text chunks, sent with text/event-stream; the connection then closes."""
    hold: threading.Event | None = None
    """Keep the stream open (after its chunks) until this is set."""
    hang_up: bool = False
    """Close the connection without answering."""


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class ScriptedApi:
    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.seen: list[Seen] = []
        self.releases: list[threading.Event] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def _next(self, seen: Seen) -> Answer:
        with self._lock:
            self.seen.append(seen)
            if not self.answers:
                return Answer(500, {"detail": f"nothing scripted for {seen.method} {seen.path}"})
            return self.answers.pop(0)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                answer = api._next(Seen(self.command, self.path, dict(self.headers.items()), body))
                if answer.hang_up:
                    self.close_connection = True
                    return
                if answer.stream is not None:
                    self._stream(answer)
                    return
                data = json.dumps(answer.body).encode() if answer.body is not None else b""
                self.send_response(answer.status)
                for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, answer: Answer) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for chunk in answer.stream or []:
                    self.wfile.write(chunk.encode())
                    self.wfile.flush()
                if answer.hold is not None:
                    answer.hold.wait()
                self.close_connection = True

            do_GET = _serve  # noqa: N815
            do_POST = _serve  # noqa: N815

        return Handler


def sse(event_id: int | None, event: str, data: Any) -> str:
    """One SSE message as the orchestrator writes it."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def history_event(event_id: int, type: str) -> str:
    return sse(event_id, type, {"id": event_id, "type": type, "stepId": None, "attempt": None, "data": None})


def run_json(run_id: str, status: str, output: Any = None, error: Any = None) -> dict[str, Any]:
    return {
        "runId": run_id,
        "workflowId": "w",
        "version": 1,
        "status": status,
        "input": None,
        "output": output,
        "error": error,
        "steps": [],
    }
