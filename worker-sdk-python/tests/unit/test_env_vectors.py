"""The forms of a LEGATO_* value, against the vectors the orchestrator and the Node and Java SDKs are
tested against too (schemas/env/vectors.json; docs/configuration.md)."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from legato_protocol.env import Env
from legato_worker import WorkerSettings

pytestmark = pytest.mark.unit

VECTORS = json.loads((Path(__file__).resolve().parents[3] / "schemas" / "env" / "vectors.json").read_text())
DEFAULT = object()
# The SDK has variables of every form but decimals (only the orchestrator's retention settings).
FORMS = ("text", "integer", "boolean", "logLevel")


def _read(form: str, raw: str, minimum: int | None = None, maximum: int | None = None) -> object:
    """The value `raw` means in `form` (DEFAULT: it keeps the default), or the error for a variable X."""
    env = Env({"X": raw})
    try:
        if form == "text":
            return env.text("X", DEFAULT)  # type: ignore[arg-type]
        if form == "integer":
            return env.integer("X", DEFAULT, minimum=minimum, maximum=maximum)  # type: ignore[arg-type]
        if form == "boolean":
            return env.boolean("X", DEFAULT)  # type: ignore[arg-type]
        if env.get("X") is None:
            return DEFAULT
        return WorkerSettings.from_env({"LEGATO_LOG_LEVEL": raw}).log_level
    except ValueError as exc:
        return str(exc).replace("LEGATO_LOG_LEVEL", "X")


@pytest.mark.parametrize("form", FORMS)
def test_the_shared_vectors(form: str) -> None:
    vectors = VECTORS["forms"][form]
    for raw, meaning in vectors["accept"]:
        found = _read(form, raw)
        assert found == meaning and type(found) is type(meaning), raw
    for raw in vectors["refuse"]:
        assert _read(form, raw) == f"X must be {vectors['form']}, got {raw.strip()!r}", raw
    for raw in VECTORS["blank"]:
        assert _read(form, raw) is DEFAULT


def test_the_shared_range_vectors() -> None:
    for case in VECTORS["ranges"]:
        bounds = (case["minimum"], case.get("maximum"))
        for raw in case["accept"]:
            assert _read(case["form"], raw, *bounds) == int(raw)
        for raw, form in case["refuse"]:
            assert _read(case["form"], raw, *bounds) == f"X must be {form}, got {int(raw)}"


def test_the_shared_quoting_vectors() -> None:
    for raw, shown in VECTORS["quoting"]:
        assert _read("integer", raw) == f"X must be an integer, got {shown}", raw


@given(st.text(alphabet=" \t\r\n\x0b\x0c", max_size=5))
def test_a_blank_value_keeps_the_default_in_every_form(raw: str) -> None:
    for form in FORMS:
        assert _read(form, raw) is DEFAULT


@given(st.integers(), st.text(alphabet=" \t\n", max_size=3))
def test_an_integer_reads_as_itself(n: int, pad: str) -> None:
    assert _read("integer", f"{pad}{n}{pad}") == n


def test_the_metrics_port_range_names_its_bound() -> None:
    with pytest.raises(ValueError, match="LEGATO_METRICS_PORT must be at most 65535, got 65536"):
        WorkerSettings.from_env({"LEGATO_METRICS_PORT": "65536"})


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("LEGATO_JOB_PARTITIONS", "job_partitions"),
        ("LEGATO_WORKER_CONCURRENCY", "concurrency"),
        ("LEGATO_SHUTDOWN_TIMEOUT_MS", "shutdown_timeout_ms"),
        ("LEGATO_MAX_PAYLOAD_BYTES", "max_payload_bytes"),
        ("LEGATO_MAX_POLL_INTERVAL_MS", "max_poll_interval_ms"),
        ("LEGATO_SESSION_TIMEOUT_MS", "session_timeout_ms"),
        ("LEGATO_STALL_TIMEOUT_MS", "stall_timeout_ms"),
    ],
)
def test_every_integer_variable_is_at_most_2147483647(name: str, field: str) -> None:
    """As in the Node and Java SDKs (schemas/env/vectors.json, the last range)."""
    assert getattr(WorkerSettings.from_env({name: "2147483647"}), field) == 2147483647
    with pytest.raises(ValueError, match=f"^{name} must be at most 2147483647, got 2147483648$"):
        WorkerSettings.from_env({name: "2147483648"})
