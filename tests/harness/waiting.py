"""Await a condition with a deadline (a bounded poll, never a bare sleep standing in for it)."""

import time
from collections.abc import Callable


def until(condition: Callable[[], object], timeout: float = 30, what: str = "condition") -> None:
    """Poll `condition` until it holds; it is asked once more at the deadline (on a loaded machine, a
    slow poll may end past it having started long before: the state it read may be old)."""
    deadline = time.monotonic() + timeout
    while True:
        last = time.monotonic() >= deadline
        if condition():
            return
        if last:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(0.05)
