"""The storable offset never passes a job still in flight, whatever order jobs finish in."""

import random
import threading

import pytest

from legato_worker._offsets import OffsetTracker

pytestmark = pytest.mark.unit


def test_in_order_completion_advances_each_time() -> None:
    tracker = OffsetTracker()
    tracker.assign([0])
    state = tracker.get(0)
    for offset in (10, 11, 12):
        state.track(offset)
    state.done(10)
    assert tracker.take_storable() == [(0, 11)]
    state.done(11)
    state.done(12)
    assert tracker.take_storable() == [(0, 13)]
    assert tracker.take_storable() == []


def test_out_of_order_completion_waits_for_the_oldest() -> None:
    tracker = OffsetTracker()
    tracker.assign([3])
    state = tracker.get(3)
    for offset in (5, 6, 7, 9):  # offsets need not be contiguous (compaction, transactions)
        state.track(offset)
    state.done(7)
    state.done(6)
    assert tracker.take_storable() == []
    assert state.next_offset is None
    state.done(5)
    assert tracker.take_storable() == [(3, 8)]
    state.done(9)
    assert tracker.take_storable() == [(3, 10)]
    assert tracker.in_flight() == 0


def test_partitions_are_independent() -> None:
    tracker = OffsetTracker()
    tracker.assign([0, 1])
    a, b = tracker.get(0), tracker.get(1)
    a.track(1)
    a.track(2)
    b.track(7)
    a.done(2)
    b.done(7)
    assert tracker.take_storable() == [(1, 8)]
    assert tracker.in_flight() == 2  # offset 2 is done but waits behind offset 1


def test_completion_after_revoke_is_ignored() -> None:
    tracker = OffsetTracker()
    tracker.assign([0])
    old = tracker.get(0)
    old.track(4)
    tracker.revoke([0])
    tracker.assign([0])
    new = tracker.get(0)
    new.track(4)
    old.done(4)  # the first owner's late result must not store the new generation's offset
    assert tracker.take_storable() == []
    new.done(4)
    assert tracker.take_storable() == [(0, 5)]


def test_concurrent_random_completion_stores_everything_in_order() -> None:
    tracker = OffsetTracker()
    tracker.assign([0])
    state = tracker.get(0)
    offsets = list(range(2000))
    for offset in offsets:
        state.track(offset)
    shuffled = offsets[:]
    random.Random(7).shuffle(shuffled)
    chunks = [shuffled[i::4] for i in range(4)]
    seen: list[int] = []

    def finish(chunk: list[int]) -> None:
        for offset in chunk:
            state.done(offset)

    threads = [threading.Thread(target=finish, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        seen.extend(o for _, o in tracker.take_storable())
    for t in threads:
        t.join()
    seen.extend(o for _, o in tracker.take_storable())
    assert seen == sorted(seen)
    assert seen[-1] == 2000


def test_unowned_partitions_have_no_state() -> None:
    tracker = OffsetTracker()
    tracker.assign([1])
    state = tracker.get(1)
    assert tracker.get(0) is None  # a message of a partition not (or no longer) ours is dropped
    assert state is not None and tracker.owns(state)
    tracker.revoke([1])
    assert tracker.get(1) is None
    assert not tracker.owns(state)
