"""The stall rule of the consumer watch (issue 26 item 2), the same in every SDK.

Pure: observations in, decisions out, time from an injected monotonic clock. `ConsumerWatch`
(`_consumer_watch.py`) gathers the observations from Kafka and turns the decisions into log lines
and metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_INTERVAL_S = 5.0


def watch_interval_s(stall_timeout_ms: int) -> float:
    """WATCH_INTERVAL: min(5 s, stall timeout / 3); 5 s when the stall warning is off (0)."""
    if stall_timeout_ms <= 0:
        return MAX_INTERVAL_S
    return min(MAX_INTERVAL_S, stall_timeout_ms / 3000)


@dataclass(frozen=True)
class Verdict:
    """What one check found and whether the stall state changed."""

    behind: int
    """Records in the assigned partitions not fetched yet (the records-behind gauge)."""
    waiting: tuple[int, ...] = ()
    """The partitions where records wait, in order."""
    stalled_for: float | None = None
    """Set when the consumer just became stalled: seconds without progress."""
    recovered_after: float | None = None
    """Set when a stall just ended: seconds since the consumer last made progress before it."""


class StallRule:
    """Decides, check by check, whether a consumer holding waiting records makes no progress."""

    def __init__(self, stall_timeout_ms: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._timeout_s = stall_timeout_ms / 1000
        self._clock = clock
        self._previous_at: float | None = None
        self._previous: Mapping[int, int] = {}
        self._since: float | None = None
        self._stalled_since: float | None = None

    @property
    def stalled(self) -> bool:
        return self._stalled_since is not None

    def reset(self) -> None:
        """After a rebalance: forget the previous check and when progress stopped.

        A stall already reported stays reported until progress (or nothing waiting) ends it."""
        self._previous_at = None
        self._previous = {}
        self._since = None

    def check(
        self, nexts: Mapping[int, int], ends: Mapping[int, int], *, received: bool, held_back: bool
    ) -> Verdict:
        """One check: `nexts[p]` the next offset the consumer hands out, `ends[p]` the high watermark
        (partitions missing from either are skipped); `received`: a record arrived since the
        previous check; `held_back`: every handler slot is busy."""
        now = self._clock()
        waiting = tuple(p for p in sorted(nexts) if p in ends and ends[p] > nexts[p])
        behind = sum(ends[p] - nexts[p] for p in waiting)
        moved = any(p in self._previous and self._previous[p] != n for p, n in nexts.items())
        previous_at, self._previous_at, self._previous = self._previous_at, now, dict(nexts)
        if self._timeout_s <= 0:
            return Verdict(behind, waiting)
        if behind > 0 and not (moved or received) and not held_back:
            if self._since is None:
                self._since = now if previous_at is None else previous_at
            if now - self._since >= self._timeout_s and self._stalled_since is None:
                self._stalled_since = self._since
                return Verdict(behind, waiting, stalled_for=now - self._since)
            return Verdict(behind, waiting)
        self._since = None
        if self._stalled_since is not None:
            began, self._stalled_since = self._stalled_since, None
            return Verdict(behind, waiting, recovered_after=now - began)
        return Verdict(behind, waiting)
