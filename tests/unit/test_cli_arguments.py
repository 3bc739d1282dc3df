"""The CLI's global options may follow the command: they move to the front, nothing else moves."""

from hypothesis import given
from hypothesis import strategies as st

from legato.cli.app import GLOBAL_OPTIONS, hoist_global_options


def test_global_options_after_the_command_move_to_the_front() -> None:
    assert hoist_global_options(["runs", "list", "--status", "FAILED", "--output", "json"]) == [
        "--output",
        "json",
        "runs",
        "list",
        "--status",
        "FAILED",
    ]
    assert hoist_global_options(["workers", "-ojson", "--api=http://h:1"]) == [
        "-ojson",
        "--api=http://h:1",
        "workers",
    ]
    assert hoist_global_options(["trigger", "w", "--", "-o", "x"]) == ["trigger", "w", "--", "-o", "x"]


words = st.sampled_from(["runs", "list", "--status", "FAILED", "-w", "x", "--dry-run", "1"])
globals_ = st.tuples(st.sampled_from(sorted(GLOBAL_OPTIONS)), st.sampled_from(["json", "http://h:1"]))


@given(st.lists(st.one_of(words.map(lambda w: [w]), globals_.map(list)), max_size=12))
def test_hoisting_keeps_every_token_and_each_group_in_order(parts: list[list[str]]) -> None:
    args = [token for part in parts for token in part]
    hoisted = hoist_global_options(args)
    options = [token for part in parts if part[0] in GLOBAL_OPTIONS for token in part]
    others = [token for part in parts if part[0] not in GLOBAL_OPTIONS for token in part]
    assert hoisted == options + others
