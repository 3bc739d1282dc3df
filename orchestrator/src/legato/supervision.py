"""The processes `legato serve` starts beside its API (the engine, the intake), each with its own
GIL: started, watched, and started again if one dies."""

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from prometheus_client import multiprocess

from legato.settings import Settings

log = logging.getLogger(__name__)

PR_SET_NAME = 15
PR_SET_PDEATHSIG = 1

# target(settings, healthy): runs until told to stop (SIGTERM), setting healthy.value to 1 or 0.
Target = Callable[[Settings, "Synchronized[int]"], None]


def die_with_parent() -> None:
    """If `legato serve` is killed (even with kill -9), its child processes go with it (Linux)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _run_named(target: Target, name: str, settings: Settings, healthy: "Synchronized[int]") -> None:
    """The child's entry: named `name` for `top`, `ps -o comm` and /proc/<pid>/comm (Linux; at
    most 15 bytes), so an operator or `make bench` can tell the engine from the intake."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    target(settings, healthy)


class ChildProcess:
    """Runs `target` in a child process and starts it again if it dies."""

    def __init__(self, target: Target, name: str, settings: Settings) -> None:
        self._target = target
        self._name = name
        self._settings = settings  # `legato serve`'s, checked at its start (pickled to the child)
        self._ctx = multiprocessing.get_context("spawn")
        self.healthy: Synchronized[int] = self._ctx.Value("b", 0)
        self._process: Any = None
        self._spawned_at = 0.0
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._keep_running, name=f"{name}-watch", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._watch.start()

    def ready(self) -> bool:
        return bool(self._process is not None and self._process.is_alive() and self.healthy.value)

    def _spawn(self) -> None:
        self._spawned_at = time.monotonic()
        self.healthy.value = 0
        self._process = self._ctx.Process(
            target=_run_named, args=(self._target, self._name, self._settings, self.healthy), name=self._name
        )
        self._process.start()

    def _keep_running(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            self._process.join(0.5)
            if self._process.is_alive() or self._stopping.is_set():
                continue
            log.error(
                "the %s process exited (code %s); starting it again", self._name, self._process.exitcode
            )
            _forget_metrics(self._process.pid)
            if time.monotonic() - self._spawned_at > 60:
                delay = 1.0  # it had been running fine: no back-off
            self._stopping.wait(delay)
            delay = min(delay * 2, 30.0)
            if not self._stopping.is_set():
                self._spawn()

    def stop(self, timeout: float = 20) -> None:
        self._stopping.set()
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
            _forget_metrics(self._process.pid)


def _forget_metrics(pid: int | None) -> None:
    """A dead process's gauges (paused, lag, outbox) leave the shared view (multiprocess 'live' modes)."""
    if pid is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
