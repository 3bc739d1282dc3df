"""The engine's health, shared by its two loops (the results loop, engine.loop, and the housekeeping
thread, engine.housekeeper): healthy while neither is paused by an outage.

Each loop runs its work through `until_done`: an outage (legato.faults) pauses that loop and retries
the same work with backoff, never skipping it; any other error is a bug or bad data, which the
caller decides whether to skip. The engine is reported unhealthy as soon as one loop is paused, and
healthy again only when no loop is.
"""

import logging
import threading
from collections.abc import Callable

from legato.engine.observer import EngineObserver
from legato.faults import is_outage

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 0.1
LONGEST_PAUSE_S = 5.0


class Health:
    def __init__(
        self, observer: EngineObserver, on_health: Callable[[bool], None], stop: threading.Event
    ) -> None:
        self._observer = observer
        self._on_health = on_health
        self._stop = stop
        self._lock = threading.Lock()
        self._paused: set[str] = set()
        self._reported: bool | None = None

    def until_done(self, loop: str, work: Callable[[], None], skip_on_bug: bool = True) -> bool:
        """Run `work` for `loop` until it succeeds (True). An outage pauses the loop, never skips the
        work; another error is logged and, with `skip_on_bug`, skipped (False); without it, the work
        is retried after a pause (a result batch isolates its messages one by one when retried).
        False also when the engine stops first."""
        delay = FIRST_PAUSE_S
        while not self._stop.is_set():
            try:
                work()
            except Exception as exc:
                outage = is_outage(exc)
                self._observer.failed(outage)
                if outage:
                    self._set(loop, paused=True)
                    log.warning("engine paused, retrying in %.1fs: %s", delay, exc)
                else:
                    log.exception("engine error (not an outage)")
                    if skip_on_bug:
                        return False
                self._stop.wait(delay)
                delay = min(delay * 2, LONGEST_PAUSE_S)
                continue
            self._set(loop, paused=False)
            return True
        return False

    def _set(self, loop: str, paused: bool) -> None:
        with self._lock:
            if paused:
                self._paused.add(loop)
            else:
                self._paused.discard(loop)
            healthy = not self._paused
            if healthy == self._reported:
                return
            self._reported = healthy
        if healthy:
            self._observer.healthy()
        self._on_health(healthy)
