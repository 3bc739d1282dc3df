"""What one transaction decided about attempts, tallied while it is written.

The state machine fills an `Outcomes` as it decides (attempts ended, retries, dead letters, timeouts,
queue and execution times, clock-skewed skips); the engine hands it to its observers once the
transaction has committed, so nothing is counted for a batch that rolled back. Plain tallies: the
metrics observer turns them into label sets (engine.metrics_observer), one increment per label set.
"""

from collections import Counter as Tally
from collections.abc import Iterable

from legato.workflow.model import Claimed, DeadLetter


class Outcomes:
    __slots__ = ("attempts", "clock_ahead", "dead", "execution", "queue", "retries", "timeouts")

    def __init__(self) -> None:
        self.attempts: Tally[tuple[str, ...]] = Tally()  # (action, completed | failed | timed_out)
        self.retries: Tally[tuple[str, ...]] = Tally()  # (action, the worker's error type)
        self.dead: Tally[tuple[str, ...]] = Tally()  # (action, error type)
        self.timeouts: Tally[tuple[str, ...]] = Tally()  # (action, deadline kind)
        self.queue: list[tuple[str, float]] = []  # (action, seconds)
        self.execution: list[tuple[str, float]] = []
        self.clock_ahead = 0  # attempts skipped by workers whose clock is ahead of the database's

    def decided(self, claimed: Iterable[Claimed], dead_letters: Iterable[DeadLetter]) -> None:
        """`claimed`: attempts whose outcome was planned; each failure was either retried or
        dead-lettered (`dead_letters`); an attempt that expired in its queue is queued again
        (neither)."""
        dead = set()
        for dl in dead_letters:
            dead.add(dl.claimed.job_id)
            self.dead[(dl.claimed.action, dl.error_type)] += 1
        for c in claimed:
            status = c.status
            if status == "COMPLETED":
                self.attempts[(c.action, "completed")] += 1
                continue
            if status == "FAILED":
                self.attempts[(c.action, "failed")] += 1
            if c.requeue or c.job_id in dead:
                continue
            self.retries[(c.action, str((c.failure or {}).get("type") or "Error"))] += 1

    def timed_out(self, action: str, kind: str) -> None:
        self.timeouts[(action, kind)] += 1
        self.attempts[(action, "timed_out")] += 1
