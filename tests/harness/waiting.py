"""Await a condition with a deadline (a bounded poll, never a bare sleep standing in for it)."""

import time
from collections.abc import Callable


def until(condition: Callable[[], object], timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not met within {timeout}s")
