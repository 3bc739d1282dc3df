"""The harness side of the client conformance suite: one SDK's `conformance/run-client` process.

The driver reads one JSON command per line and answers each with one JSON line: `{"ok": value}` or
`{"error": {"type", "status", "message"}}` (tests/clients/README.md). The same commands go to every
SDK, so the three clients are judged on the same requests against the same orchestrator.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("python", "node", "java")
FIRST_ANSWER_S = 300.0  # the Java driver builds the SDK on its first start (mvn package)
ANSWER_S = 60.0  # any later answer: a result awaited for up to 30 s plus a JVM's pauses


class DriverError(AssertionError):
    pass


class ClientDriver:
    def __init__(self, language: str, api_url: str, api_key: str | None, log: Path) -> None:
        self.language = language
        env = {k: v for k, v in os.environ.items() if k not in ("LEGATO_API_URL", "LEGATO_API_KEY")}
        env["LEGATO_API_URL"] = api_url
        if api_key is not None:
            env["LEGATO_API_KEY"] = api_key
        self._log = log.open("ab")
        self._process = subprocess.Popen(
            [str(REPO / f"worker-sdk-{language}" / "conformance" / "run-client")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
        )
        self._lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._answered = False

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(b"")

    def send(self, op: str, **args: Any) -> dict[str, Any]:
        """The driver's answer to one command: {"ok": ...} or {"error": {...}}."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"op": op, **args}).encode() + b"\n")
        self._process.stdin.flush()
        try:
            line = self._lines.get(timeout=ANSWER_S if self._answered else FIRST_ANSWER_S)
        except queue.Empty:
            raise DriverError(f"{self.language} driver: no answer to {op} ({self._log.name})") from None
        if not line:
            raise DriverError(
                f"{self.language} driver exited (code {self._process.wait()}); see {self._log.name}"
            )
        self._answered = True
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ok(self, op: str, **args: Any) -> Any:
        answer = self.send(op, **args)
        if "error" in answer:
            raise DriverError(f"{self.language} {op}: {answer['error']}")
        return answer["ok"]

    def error(self, op: str, **args: Any) -> dict[str, Any]:
        answer = self.send(op, **args)
        if "error" not in answer:
            raise DriverError(f"{self.language} {op}: expected an error, got {answer}")
        error: dict[str, Any] = answer["error"]
        return error

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            code = self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        self._log.close()
        if self._process.stdout is not None:
            self._process.stdout.close()
        if code != 0:
            raise DriverError(f"{self.language} driver exited with {code} at end of input")
