"""The ids an orchestrator log line about a run ends with (legato.tracing.log_ids)."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from legato.tracing import log_ids

pytestmark = pytest.mark.unit

RUN = "01a23428-c8d2-721d-83a0-24ee9cf3906c"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_traceparent_adds_its_trace_id() -> None:
    assert log_ids(RUN, f"00-{TRACE}-00f067aa0ba902b7-01") == f"run_id={RUN} trace_id={TRACE}"


@pytest.mark.parametrize(
    "traceparent",
    [None, "", 7, "00-" + "0" * 32 + "-00f067aa0ba902b7-01", f"00-{TRACE[:-1]}z-00f067aa0ba902b7-01", TRACE],
)
def test_without_a_valid_trace_only_the_run(traceparent: object) -> None:
    assert log_ids(RUN, traceparent) == f"run_id={RUN}"


@given(
    st.text(max_size=80)
    | st.from_regex(r"[0-9a-f_ +]{2}-[0-9a-f_ +]{32}-[0-9a-f]{16}-[0-9a-f]{2}", fullmatch=True)
)
def test_any_text_gives_the_run_and_at_most_a_well_formed_trace_id(text: str) -> None:
    line = log_ids(RUN, text)
    assert re.fullmatch(rf"run_id={RUN}( trace_id=[0-9a-f]{{32}})?", line), line
    if " trace_id=" in line:
        assert line.rsplit("=", 1)[1] in text
