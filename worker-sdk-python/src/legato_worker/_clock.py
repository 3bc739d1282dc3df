"""The worker's wall clock: every time that goes on the wire or is compared with one.

`Worker(clock=...)` injects it (epoch milliseconds), e.g. to run against a skewed clock in a test;
the default is the system clock. It is read for the `deadlineAt` check, Progress `startedAt`/`at`,
Result `startedAt`/`finishedAt` and a dead letter's `legato-failed-at`. Durations (startToClose,
the lazy STARTED, heartbeat pacing, the drain limit and its grace, stall watch) never use it: they
are measured with `time.monotonic()`, which a wall-clock step (NTP, a skewed test clock) cannot
shorten or stretch.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]
"""Epoch milliseconds now."""


def system_clock() -> int:
    return time.time_ns() // 1_000_000
