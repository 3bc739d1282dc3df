"""`legato actions limits set | show | clear` and `--rate LIMIT/PERIOD` (flow control, issue 21): the
rate parser on its own (properties), then the commands against a real orchestrator, with the
priority and the `waitingFor` of runs and steps that `trigger` and `runs` show."""

import re
from typing import Any

import httpx
import pytest
from cli_runner import Cli, run_cli
from hypothesis import given
from hypothesis import strategies as st

from harness.api import define, unique, wait_run
from harness.waiting import until
from legato.cli.rates import MAX_LIMIT, MAX_PERIOD_S, Rate, parse_rate, period_text, rate_text

limits = st.integers(1, MAX_LIMIT)
whole_periods = st.integers(1, MAX_PERIOD_S)
any_periods = st.one_of(
    whole_periods.map(float), st.integers(1, MAX_PERIOD_S * 1000).map(lambda ms: ms / 1000)
)
REFUSALS = r"^(not a rate: give LIMIT/PERIOD|the limit must be 1 to|the period must be (more than 0|a whole))"
UNITS = {"ms": 0, "s": 1, "m": 60, "h": 3600, "d": 86400}  # seconds per unit (ms: count / 1000)


# -- the parser -------------------------------------------------------------------------------------


@pytest.mark.unit
@given(limits, any_periods)
def test_a_printed_rate_reads_back_as_the_same_rate(limit: int, period: float) -> None:
    text = rate_text(limit, period)
    assert re.fullmatch(r"\d+/\d+(\.\d+)?(s|m|h|d)", text), text  # no exponent, one unit
    assert parse_rate(text) == Rate(limit, period)


@pytest.mark.unit
@given(limits, st.integers(1, 100_000), st.sampled_from(sorted(UNITS)))
def test_a_written_rate_means_its_count_per_its_period(limit: int, count: int, unit: str) -> None:
    text = f"{limit}/{count}{unit}"
    seconds = count / 1000 if unit == "ms" else count * UNITS[unit]
    if seconds > MAX_PERIOD_S:
        with pytest.raises(ValueError, match="at most 86,400s"):
            parse_rate(text)
        return
    rate = parse_rate(text)
    assert rate == Rate(limit, seconds)
    assert parse_rate(rate_text(rate.limit, rate.period_seconds)) == rate  # the canonical form too
    assert rate.body() == {"limit": limit, "periodSeconds": seconds}


@pytest.mark.unit
@given(
    st.one_of(st.text(max_size=20), st.from_regex(r"-?\d{0,7}/\d{0,6}(\.\d{0,3})?[a-z]{0,2}", fullmatch=True))
)
def test_any_text_is_a_rate_within_bounds_or_a_value_error(text: str) -> None:
    try:
        rate = parse_rate(text)
    except ValueError as exc:
        refusal = str(exc)
    else:
        assert 1 <= rate.limit <= MAX_LIMIT
        assert 0 < rate.period_seconds <= MAX_PERIOD_S
        return
    assert re.match(REFUSALS, refusal), refusal  # it says what is wrong


@pytest.mark.unit
@pytest.mark.parametrize(
    "text",
    [
        "",
        "10",
        "10/",
        "/1s",
        "10/1",  # no unit
        "10/1x",
        "10/1 s",
        "10 per 1s",
        "1.5/1s",  # a count is whole
        "-1/1s",
        "10/-1s",
        "10/1e3s",
        "10/.5s",
        "0/1s",
        f"{MAX_LIMIT + 1}/1s",
        "10/0s",
        "10/0ms",
        "10/0.0005s",  # the API keeps whole milliseconds
        "10/1.5ms",
        "10/1.0000000000000000000000000001s",  # exact: no rounding makes it 1s
        "10/2d",
        "10/86401s",
        "10/1s/1s",
        "\u0661\u0660/1s",  # digits, but not ASCII ones
    ],
)
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=REFUSALS):
        parse_rate(text)


@pytest.mark.unit
def test_common_rates() -> None:
    assert parse_rate("10/1s") == Rate(10, 1)
    assert parse_rate(" 100/1m ") == Rate(100, 60)
    assert parse_rate("5/30s") == Rate(5, 30)
    assert parse_rate("5/s") == Rate(5, 1)  # one unit when no count is written
    assert parse_rate("2/250ms") == Rate(2, 0.25)
    assert parse_rate("1/1d") == Rate(1, MAX_PERIOD_S)
    assert [period_text(p) for p in (1, 30, 60, 90, 3600, 5400, 86400, 0.25, 1.5)] == [
        "1s",
        "30s",
        "1m",
        "90s",
        "1h",
        "90m",
        "1d",
        "0.25s",
        "1.5s",
    ]
    assert Rate(10, 1.0).body() == {"limit": 10, "periodSeconds": 1}
    assert isinstance(Rate(10, 1.0).body()["periodSeconds"], int)


@pytest.mark.unit
def test_set_refuses_a_bad_rate_or_no_limit_before_any_request() -> None:
    nowhere = "http://127.0.0.1:1"  # nothing listens there: a request would be exit 5
    bad = run_cli("--api", nowhere, "actions", "limits", "set", "charge", "--rate", "10/1x")
    assert (bad.code, bad.stderr.strip()) == (
        2,
        "legato: error: --rate '10/1x': not a rate: give LIMIT/PERIOD, e.g. 10/1s, 100/1m, 5/30s "
        "(units ms, s, m, h, d)",
    )
    none = run_cli("--api", nowhere, "actions", "limits", "set", "charge")
    assert none.code == 2
    assert "give --max-concurrent N, --rate LIMIT/PERIOD or both" in none.stderr
    zero = run_cli("--api", nowhere, "actions", "limits", "set", "charge", "--max-concurrent", "0")
    assert zero.code == 2 and "--max-concurrent" in zero.stderr


# -- against a real orchestrator ----------------------------------------------------------------------


def _fields(text: str) -> dict[str, str]:
    """`name  value` lines (a piped `show`) as a dict."""
    pairs = (re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in text.splitlines() if line.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}


def _row(table: str, first: str) -> list[str]:
    found = [line.split() for line in table.splitlines() if line.split()[:1] == [first]]
    assert len(found) == 1, table
    return found[0]


@pytest.mark.integration
def test_limits_from_set_to_clear(cli: Cli, api: httpx.Client) -> None:
    action = unique("cli-charge")
    done = cli("actions", "limits", "set", action, "--max-concurrent", "3", "--rate", "100/1m")
    assert done.stdout.strip() == f"{action}: max concurrent 3, rate 100/1m"
    stored = api.get(f"/actions/{action}/limits").json()
    assert (stored["maxConcurrent"], stored["rate"]) == (3, {"limit": 100, "periodSeconds": 60})

    shown = _fields(cli("actions", "limits", "show", action).stdout)
    assert shown["action"] == action
    assert (shown["max concurrent"], shown["rate"]) == ("3", "100/1m")
    assert (shown["in flight"], shown["throttled"]) == ("0", "0")
    assert shown["tokens"] != "-"
    as_json = cli("-o", "json", "actions", "limits", "show", action).json()
    assert {k: v for k, v in as_json.items() if k != "tokens"} == {
        k: v for k, v in stored.items() if k != "tokens"
    }

    # `set` replaces: a limit not given is no limit
    cli("actions", "limits", "set", action, "--rate", "5/30s")
    assert _row(cli("actions", "limits", "show").stdout, action)[:5] == [action, "-", "5/30s", "0", "0"]
    everything = cli("-o", "json", "actions", "limits", "show").json()
    mine = [a for a in everything["items"] if a["action"] == action]
    assert [(a["maxConcurrent"], a["rate"]) for a in mine] == [(None, {"limit": 5, "periodSeconds": 30})]
    assert [a["action"] for a in everything["items"]] == sorted(a["action"] for a in everything["items"])
    half = cli("-o", "json", "actions", "limits", "set", action, "--max-concurrent", "1", "--rate", "1/0.5s")
    assert half.json()["rate"] == {"limit": 1, "periodSeconds": 0.5}

    assert cli("actions", "limits", "clear", action).stdout.strip() == f"{action}: limits cleared"
    assert api.get(f"/actions/{action}/limits").status_code == 404
    gone = cli("actions", "limits", "show", action, expect=3)
    assert gone.stderr.startswith("legato: error: ") and gone.stderr.strip().endswith("(HTTP 404)")
    assert len(gone.stderr.strip().splitlines()) == 1
    cli("actions", "limits", "clear", action, expect=3)
    assert cli("-o", "json", "actions", "limits", "clear", unique("never-limited"), expect=3).stdout == ""


@pytest.mark.integration
def test_an_action_name_the_api_refuses_is_a_usage_error(cli: Cli) -> None:
    refused = cli("actions", "limits", "set", "not an action!", "--max-concurrent", "1", expect=2)
    line = refused.stderr.strip()
    assert line.startswith("legato: error: path.action: ") and line.endswith("(HTTP 422)")
    assert len(line.splitlines()) == 1


def _waiting_steps(run: dict[str, Any]) -> int:
    return sum(1 for s in run.get("steps", []) if s.get("waitingFor"))


@pytest.mark.integration
def test_runs_show_their_priority_and_what_they_wait_for(cli: Cli, api: httpx.Client) -> None:
    """Runs of one customer queue behind a concurrency key (PENDING, waiting for a free slot); the
    first run's two jobs share an action limited to one in flight (no worker takes it), so one step
    waits for a slot while the other's job is published."""
    wid, action = unique("cli-flow"), unique("cli-slow")
    cli("actions", "limits", "set", action, "--max-concurrent", "1")
    define(
        api,
        {
            "id": wid,
            "concurrency": {"key": "${input.customer}", "limit": 1, "onLimit": "queue"},
            "steps": [{"id": "a", "action": action}, {"id": "b", "action": action}],
        },
    )
    first = cli("trigger", wid, "--input", '{"customer": "c-1"}', "--priority", "2").stdout.strip()
    second = cli("trigger", wid, "--input", '{"customer": "c-1"}').stdout.strip()
    try:
        # both jobs are written throttled; the engine admits one of them (the limit is 1)
        until(
            lambda: _waiting_steps(api.get(f"/workflow/run/{first}").json()) == 1,
            what="one step admitted, one throttled",
        )
        queued = wait_run(api, second, {"PENDING"})
        assert queued["waitingFor"]

        shown = cli("runs", "show", first).stdout
        assert _fields(shown)["priority"] == "2 (1 first, 5 last)"
        header = next(line for line in shown.splitlines() if line.startswith("STEP"))
        assert header.split()[-2:] == ["WAITING", "FOR"]
        run = cli("-o", "json", "runs", "show", first).json()
        waiting = [s for s in run["steps"] if s.get("waitingFor")]
        assert len(waiting) == 1 and waiting[0]["waitingFor"] in shown

        pending = _fields(cli("runs", "show", second).stdout)
        assert pending["status"] == "PENDING"
        assert pending["waiting for"] == queued["waitingFor"]
        assert pending["priority"] == "3 (1 first, 5 last)"

        listed = cli("runs", "list", "--workflow", wid, "--status", "PENDING").stdout
        assert [line.split()[0] for line in listed.splitlines()[1:]] == [second]
        assert listed.splitlines()[0].split()[6] == "PRIORITY"
        assert _row(listed, second)[3] == "PENDING"
    finally:
        cli("runs", "cancel", "--filter", f"workflow={wid}")
        cli("actions", "limits", "clear", action)


@pytest.mark.integration
def test_runs_list_prints_each_runs_priority(cli: Cli, api: httpx.Client) -> None:
    wid = unique("cli-prio")
    define(api, {"id": wid, "steps": [{"id": "nap", "wait": {"seconds": 0}}]})
    urgent = cli("trigger", wid, "--priority", "1").stdout.strip()
    usual = cli("trigger", wid).stdout.strip()
    runs = cli("-o", "json", "runs", "list", "--workflow", wid).json()["runs"]
    assert {r["runId"]: r.get("priority") for r in runs} == {urgent: 1, usual: 3}
    listed = cli("runs", "list", "--workflow", wid).stdout
    assert (_row(listed, urgent)[6], _row(listed, usual)[6]) == ("1", "3")
