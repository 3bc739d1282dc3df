"""The orchestrator's settings: the forms of a LEGATO_* value (the SDKs' vectors, then Hypothesis),
the groups read from their flat variables, and `legato serve` refusing a bad value in one line."""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import ValidationError, create_model

from legato import env_forms
from legato.settings import (
    ApiSettings,
    KafkaSettings,
    RetentionSettings,
    Settings,
    SettingsError,
    variables,
)

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
VECTORS = json.loads((REPO / "schemas" / "env" / "vectors.json").read_text())
# The orchestrator has variables of every form but booleans (LEGATO_CREATE_TOPICS is the SDKs').
FORMS = ("text", "integer", "decimal", "logLevel")


@dataclass(frozen=True)
class Refused:
    line: str  # the error, for a variable named X


def _read(form: str, raw: str, minimum: int | None = None, maximum: int | None = None) -> object:
    """The value `raw` means in `form` ("DEFAULT" when it keeps the default), or its Refused line."""
    validator = {
        "text": env_forms.Text,
        "integer": env_forms.Integer(minimum, maximum),
        "decimal": env_forms.Decimal(minimum),
        "logLevel": env_forms.LogLevel,
    }[form]
    one = create_model("One", X=(Annotated[Any, validator], "DEFAULT"))
    try:
        return one(X=raw).X  # type: ignore[attr-defined]
    except ValidationError as exc:
        (line,) = env_forms.describe(exc)
        return Refused(line)


@pytest.mark.parametrize("form", FORMS)
def test_the_shared_vectors(form: str) -> None:
    vectors = VECTORS["forms"][form]
    for raw, meaning in vectors["accept"]:
        assert _read(form, raw) == meaning, raw
    for raw in vectors["refuse"]:
        assert _read(form, raw) == Refused(f"X must be {vectors['form']}, got {raw.strip()!r}"), raw
    for raw in VECTORS["blank"]:
        assert _read(form, raw) == "DEFAULT"


def test_the_shared_range_vectors() -> None:
    for case in VECTORS["ranges"]:
        bounds = (case["minimum"], case.get("maximum"))
        for raw in case["accept"]:
            assert _read(case["form"], raw, *bounds) == int(raw)
        for raw, form in case["refuse"]:
            assert _read(case["form"], raw, *bounds) == Refused(f"X must be {form}, got {int(raw)}")


def test_the_shared_quoting_vectors() -> None:
    for raw, shown in VECTORS["quoting"]:
        assert _read("integer", raw) == Refused(f"X must be an integer, got {shown}"), raw


padding = st.text(alphabet=" \t\r\n", max_size=3)


@given(st.integers(), padding, padding)
def test_an_integer_reads_as_itself_whatever_surrounds_it(n: int, before: str, after: str) -> None:
    assert _read("integer", f"{before}{n}{after}") == n
    assert _read("integer", f"{before}+{abs(n)}{after}") == abs(n)


@given(st.text(max_size=12))
@example("1_000")
@example("\uff11\uff12")  # full-width digits
@example("0\x1f")  # a separator str.strip() trims
def test_an_integer_is_plain_decimal_digits_and_nothing_else(raw: str) -> None:
    found = _read("integer", raw)
    if not raw.strip():
        assert found == "DEFAULT"
    elif re.fullmatch(r"[+-]?[0-9]+", raw.strip()):
        assert found == int(raw.strip())  # trimmed as str.strip() trims (\x1f too)
    else:
        assert found == Refused(f"X must be an integer, got {raw.strip()!r}")


@given(st.integers(-1000, 1000), st.integers(-1000, 1000), st.integers(0, 500))
def test_a_range_names_the_bound_it_misses(n: int, minimum: int, width: int) -> None:
    maximum = minimum + width
    found = _read("integer", str(n), minimum, maximum)
    if n < minimum:
        assert found == Refused(f"X must be at least {minimum}, got {n}")
    elif n > maximum:
        assert found == Refused(f"X must be at most {maximum}, got {n}")
    else:
        assert found == n


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**9), max_value=10**9))
def test_a_decimal_reads_as_its_value(number: Any) -> None:
    text = f"{number:f}"
    assert _read("decimal", f" {text} ") == float(text)


@given(st.floats(allow_nan=True, allow_infinity=True).map(repr).filter(lambda t: "e" in t or t[-1] in "nf"))
def test_a_decimal_has_no_exponent_nor_infinity(text: str) -> None:
    assert _read("decimal", text) == Refused(f"X must be a decimal number, got {text!r}")


@given(st.text(alphabet=" \t\r\n\x0b\x0c", max_size=5))
def test_a_blank_value_keeps_the_default_in_every_form(raw: str) -> None:
    for form in FORMS:
        assert _read(form, raw) == "DEFAULT"


@given(st.sampled_from(["debug", "info", "warn", "warning", "error"]), st.data())
def test_a_log_level_in_any_case(level: str, data: st.DataObject) -> None:
    cased = "".join(data.draw(st.sampled_from([c.lower(), c.upper()])) for c in level)
    assert _read("logLevel", cased) == ("WARNING" if level == "warn" else level.upper())


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No LEGATO_* variable of the orchestrator is set but those the test sets."""
    for name in variables():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_groups_read_their_flat_variables(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("LEGATO_RETENTION_DAYS", " 0.5 ")
    environ.setenv("LEGATO_RETENTION_BATCH_RUNS", "")
    environ.setenv("LEGATO_JOBS_TOPIC", "t-jobs")
    environ.setenv("LEGATO_API_PORT", "9090")
    environ.setenv("LEGATO_SESSION_TTL_HOURS", "0.25")
    environ.setenv("legato_api_host", "0.0.0.0")  # names are case-sensitive, as in every SDK
    settings = Settings.load()
    assert settings.retention == RetentionSettings(
        days=0.5, job_payload_hours=24, interval_s=60, batch_runs=500
    )
    assert settings.kafka.jobs_topic == "t-jobs"
    assert (settings.api.host, settings.api.port, settings.api.session_ttl_s) == ("127.0.0.1", 9090, 900)


def test_every_bad_variable_is_named_at_once(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("LEGATO_API_PORT", "http")
    environ.setenv("LEGATO_JOB_PARTITIONS", "0")
    environ.setenv("LEGATO_LOG_LEVEL", "loud")
    with pytest.raises(SettingsError) as raised:
        Settings.load()
    assert raised.value.problems == [
        "LEGATO_API_PORT must be an integer, got 'http'",
        "LEGATO_JOB_PARTITIONS must be at least 1, got 0",
        "LEGATO_LOG_LEVEL must be one of DEBUG, INFO, WARN, WARNING, ERROR, got 'loud'",
    ]


@pytest.mark.parametrize("variable", ["LEGATO_JOB_PARTITIONS", "LEGATO_MAX_PAYLOAD_BYTES"])
def test_a_variable_the_sdks_share_holds_what_every_sdk_can(
    environ: pytest.MonkeyPatch, variable: str
) -> None:
    environ.setenv(variable, "2147483647")
    Settings.load()
    environ.setenv(variable, "2147483648")
    with pytest.raises(SettingsError) as raised:
        Settings.load()
    assert raised.value.problems == [f"{variable} must be at most 2147483647, got 2147483648"]


def test_a_group_takes_its_fields_by_name_and_leaves_the_rest_to_the_environment(
    environ: pytest.MonkeyPatch,
) -> None:
    environ.setenv("LEGATO_API_PORT", "9191")
    settings = Settings(kafka=KafkaSettings(jobs_topic="mine"))
    assert (settings.kafka.jobs_topic, settings.kafka.results_topic) == ("mine", "workflow-results")
    assert settings.api == ApiSettings(port=9191)
    with pytest.raises(ValidationError):
        KafkaSettings(job_partitions=0)


def test_every_variable_is_a_legato_one_with_the_contracts_default() -> None:
    found = variables()
    assert all(name.startswith("LEGATO_") for name in found)
    assert found["LEGATO_RETENTION_DAYS"] == 30
    assert found["LEGATO_API_PORT"] == 8080
    assert found["LEGATO_MAX_PAYLOAD_BYTES"] == 1_000_000
    assert len(found) == 30


def _legato() -> list[str]:
    return [str(Path(sys.executable).with_name("legato"))]


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("LEGATO_API_PORT", "http", "LEGATO_API_PORT must be an integer, got 'http'"),
        ("LEGATO_RETENTION_DAYS", "1e3", "LEGATO_RETENTION_DAYS must be a decimal number, got '1e3'"),
        ("LEGATO_SCHEDULER_INTERVAL_MS", " 0 ", "LEGATO_SCHEDULER_INTERVAL_MS must be at least 1, got 0"),
        ("LEGATO_LOG_LEVEL", "trace", "LEGATO_LOG_LEVEL must be one of DEBUG, INFO, WARN, WARNING, ERROR"),
    ],
)
@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_serve_refuses_a_bad_value_in_one_line(command: str, variable: str, value: str, line: str) -> None:
    # Nothing is reached before the settings are checked: an unreachable database proves it.
    env = {**os.environ, variable: value, "LEGATO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"}
    done = subprocess.run([*_legato(), command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"legato: {line}"), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""


def _table(path: Path, heading: str) -> dict[str, str]:
    """Variable -> documented default, from the first table under `heading`."""
    text = path.read_text()
    lines = text[text.index(heading) :].splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("| `LEGATO_"))
    found = {}
    for row in lines[first:]:
        if not row.startswith("|"):
            break
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        names = re.findall(r"`(LEGATO_\w+)`", cells[0])
        defaults = cells[1].split(" / ")  # `A` / `B` | `a` / `b`, or one default for both
        found.update(
            zip(names, defaults if len(defaults) == len(names) else [cells[1]] * len(names), strict=True)
        )
    return found


def test_every_variable_is_documented_once_with_its_default() -> None:
    own = _table(REPO / "README.md", "## Configuration")
    shared = _table(REPO / "docs" / "configuration.md", "## The shared variables")
    assert not own.keys() & shared.keys()
    documented = own | shared
    for name, default in variables().items():
        assert name in documented, f"{name} is in neither README.md's table nor docs/configuration.md's"
        written = documented[name]
        if written.startswith("`"):
            number = isinstance(default, float) and default.is_integer()
            assert written == f"`{int(default) if number else default}`", name
