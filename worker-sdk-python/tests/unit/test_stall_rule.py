"""The stall rule of the consumer watch, fed scripted observations on a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from legato_worker._watch import StallRule, Verdict, watch_interval_s

pytestmark = pytest.mark.unit

TIMEOUT_MS = 30_000
INTERVAL_S = 5.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Script:
    """One consumer's checks, INTERVAL_S apart, on partition 0 (end 100 unless told)."""

    def __init__(self, timeout_ms: int = TIMEOUT_MS) -> None:
        self.clock = FakeClock()
        self.rule = StallRule(timeout_ms, self.clock)
        self.verdicts: list[Verdict] = []

    def check(
        self,
        next_offset: int = 40,
        end: int = 100,
        *,
        received: bool = False,
        held_back: bool = False,
        after_s: float = INTERVAL_S,
    ) -> Verdict:
        self.clock.now += after_s
        verdict = self.rule.check({0: next_offset}, {0: end}, received=received, held_back=held_back)
        self.verdicts.append(verdict)
        return verdict

    def stalls(self) -> int:
        return sum(v.stalled_for is not None for v in self.verdicts)

    def recoveries(self) -> int:
        return sum(v.recovered_after is not None for v in self.verdicts)


def test_the_interval_is_a_third_of_the_timeout_at_most_5_s() -> None:
    assert watch_interval_s(30_000) == 5.0
    assert watch_interval_s(15_000) == 5.0
    assert watch_interval_s(3_000) == 1.0
    assert watch_interval_s(300) == pytest.approx(0.1)
    assert watch_interval_s(0) == 5.0  # off: the records-behind gauge is still kept


def test_behind_sums_the_records_waiting_per_partition() -> None:
    rule = StallRule(TIMEOUT_MS, FakeClock())
    verdict = rule.check({0: 10, 1: 7, 2: 9}, {0: 15, 1: 7, 2: 8, 3: 50}, received=False, held_back=False)
    assert verdict.behind == 5  # partition 2's next past its end counts 0; 3 has no next: skipped
    assert verdict.waiting == (0,)
    assert rule.check({}, {}, received=False, held_back=False).behind == 0


def test_no_stall_while_positions_move() -> None:
    script = Script()
    for step in range(40):  # 200 s
        script.check(next_offset=40 + step)
    assert script.stalls() == 0
    assert not script.rule.stalled


def test_no_stall_while_records_arrive() -> None:
    script = Script()
    for _ in range(40):  # the position read may lag; a received record is progress too
        script.check(received=True)
    assert script.stalls() == 0


def test_no_stall_while_every_slot_is_busy() -> None:
    script = Script()
    for _ in range(40):
        script.check(held_back=True)
    assert script.stalls() == 0


def test_no_stall_when_nothing_waits() -> None:
    script = Script()
    for _ in range(40):
        script.check(next_offset=100, end=100)
    assert script.stalls() == 0
    assert {v.behind for v in script.verdicts} == {0}


def test_stall_after_the_timeout_counted_from_the_last_progress_check() -> None:
    script = Script()
    script.check(next_offset=39)  # t=5: first check
    script.check(next_offset=40)  # t=10: moved, the last check with progress
    for _ in range(5):  # t=15..35: no progress; since = t=10
        assert script.check().stalled_for is None
    verdict = script.check()  # t=40: 30 s without progress
    assert verdict.stalled_for == pytest.approx(30.0)
    assert (verdict.behind, verdict.waiting) == (60, (0,))
    assert script.rule.stalled
    for _ in range(20):  # still stuck: said once
        script.check()
    assert script.stalls() == 1


def test_the_first_check_without_a_previous_one_counts_from_now() -> None:
    script = Script()
    for _ in range(6):  # t=5 (since), 10 .. 30: 25 s
        assert script.check().stalled_for is None
    assert script.check().stalled_for == pytest.approx(30.0)


def test_recovery_is_reported_once_with_the_time_without_progress() -> None:
    script = Script()
    for _ in range(7):
        script.check()
    assert script.rule.stalled
    script.check()
    verdict = script.check(next_offset=41)  # fetching again, 40 s after progress stopped
    assert verdict.recovered_after == pytest.approx(40.0)
    assert not script.rule.stalled
    for step in range(10):
        script.check(next_offset=42 + step)
    assert (script.stalls(), script.recoveries()) == (1, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"received": True},
        {"held_back": True},
        {"next_offset": 100},  # nothing waits any more
    ],
)
def test_a_stall_ends_on_progress_on_busy_slots_or_an_empty_backlog(change: dict[str, Any]) -> None:
    script = Script()
    for _ in range(7):
        script.check()
    assert script.rule.stalled
    assert script.check(**change).recovered_after is not None
    assert script.recoveries() == 1


def test_a_new_stall_after_recovery_is_reported_again() -> None:
    script = Script()
    for _ in range(7):
        script.check()
    script.check(received=True)
    for _ in range(7):
        script.check()
    assert (script.stalls(), script.recoveries()) == (2, 1)


def test_held_back_checks_restart_the_count() -> None:
    script = Script()
    for _ in range(5):  # 20 s without progress
        script.check()
    script.check(held_back=True)
    for _ in range(5):  # since = the held-back check
        assert script.check().stalled_for is None
    assert script.check().stalled_for == pytest.approx(30.0)
    assert script.stalls() == 1


def test_a_rebalance_resets_since_and_the_previous_positions() -> None:
    script = Script()
    for _ in range(6):  # 25 s without progress
        script.check()
    script.rule.reset()
    # the new assignment's first position differs from the old one: not progress, not a stall yet
    assert script.check(next_offset=7).stalled_for is None  # since = now (no previous check)
    for _ in range(5):
        assert script.check(next_offset=7).stalled_for is None
    assert script.check(next_offset=7).stalled_for == pytest.approx(30.0)


def test_a_stall_reported_before_a_rebalance_is_not_reported_twice() -> None:
    script = Script()
    for _ in range(7):
        script.check()
    assert script.rule.stalled
    script.rule.reset()
    for _ in range(10):
        script.check()
    assert (script.stalls(), script.recoveries()) == (1, 0)
    assert script.check(received=True).recovered_after == pytest.approx(85.0)  # since the first stall


def test_timeout_0_never_stalls_but_counts_what_is_behind() -> None:
    script = Script(timeout_ms=0)
    for _ in range(100):
        assert script.check().behind == 60
    assert script.stalls() == 0
    assert not script.rule.stalled


def test_a_short_timeout_with_uneven_checks() -> None:
    script = Script(timeout_ms=300)
    script.check(after_s=0.1)
    script.check(after_s=0.1)  # since = the first check
    assert script.check(after_s=0.15).stalled_for is None  # 0.25 s
    assert script.check(after_s=0.1).stalled_for == pytest.approx(0.35)
