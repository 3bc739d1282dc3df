"""runs.feed: what a notification on `legato_events` wakes. A payload the trigger never writes
(anyone may NOTIFY the channel) wakes every stream instead of stopping the feed's thread."""

import uuid

import pytest

from legato.runs.feed import runs_named

pytestmark = pytest.mark.unit


def test_named_runs_wake_only_their_streams() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    assert runs_named([f"{a},{b}", str(a)]) == {a, b}


@pytest.mark.parametrize("junk", ["", "not-a-uuid", f"{uuid.uuid4()},", "x" * 10_000])
def test_an_empty_or_foreign_payload_wakes_every_stream(junk: str) -> None:
    assert runs_named([str(uuid.uuid4()), junk]) is None
