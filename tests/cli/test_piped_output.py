"""Tables for scripts: when stdout is not a terminal, one line per row with every value whole,
whatever COLUMNS says, so `legato dlt list | grep RUN_ID` and awk find full ids."""

import subprocess
from typing import Any

import httpx
import pytest
from cli_runner import run_cli

from harness.api import define, trigger, unique, wait_run
from harness.cli import user_env
from harness.orchestrator import LEGATO, Orchestrator
from harness.waiting import until
from harness.workers import running_worker
from legato.cli.output import plain_table

pytestmark = pytest.mark.integration

MESSAGE = "first line\nsecond line\t" + "x" * 300


def _fail(payload: Any) -> Any:
    raise ValueError(MESSAGE)


def _piped(orch: Orchestrator, command: str, columns: str = "40") -> list[str]:
    """`legato COMMAND` in a shell pipeline, as a script runs it, on a narrow COLUMNS."""
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {LEGATO} {command}"],
        env={**user_env(), **orch.env, "LEGATO_API_URL": orch.url, "COLUMNS": columns},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def dead_run(orchestrator: Orchestrator) -> dict[str, str]:
    """A failed run of a workflow and step with the longest ids allowed, dead-lettered with a long
    message that holds a newline and a tab."""
    wid = unique("p" * 119)  # 128 characters, the longest workflow id
    step = "s" * 100
    action = unique("piped")
    with httpx.Client(base_url=orchestrator.url, timeout=30) as api:
        define(api, {"id": wid, "steps": [{"id": step, "action": action, "retry": {"maxAttempts": 1}}]})
        run_id = trigger(api, wid, {"n": 1})
        with running_worker(orchestrator, {action: _fail}):
            assert wait_run(api, run_id)["status"] == "FAILED"
        until(
            lambda: api.get("/dead-letters", params={"runId": run_id}).json()["deadLetters"],
            30,
            "the dead letter",
        )
    return {"workflow": wid, "step": step, "run": run_id}


def test_dlt_list_grep_finds_the_whole_row(orchestrator: Orchestrator, dead_run: dict[str, str]) -> None:
    for listing in ("dlt list", f"dlt list --workflow {dead_run['workflow']}"):
        found = _piped(orchestrator, f"{listing} | grep {dead_run['run']}")
        assert len(found) == 1, found
        row = found[0]
        assert dead_run["workflow"] in row
        assert dead_run["step"] in row
        assert row.endswith("first line\\nsecond line\\t" + "x" * 300)


def test_awk_reads_columns_of_every_row(orchestrator: Orchestrator, dead_run: dict[str, str]) -> None:
    header, *rows = _piped(orchestrator, f"dlt list --workflow {dead_run['workflow']}", columns="20")
    assert header.split()[:4] == ["ID", "DEAD", "AT", "WORKFLOW"]  # headers keep their spaces
    assert [r.split()[2:5] for r in rows] == [[dead_run["workflow"], dead_run["run"], dead_run["step"]]]
    awk = _piped(orchestrator, f"runs list --workflow {dead_run['workflow']} | awk 'NR > 1 {{print $1}}'")
    assert awk == [dead_run["run"]]


def test_runs_show_and_list_stay_one_line_per_value(
    orchestrator: Orchestrator, dead_run: dict[str, str]
) -> None:
    shown = _piped(orchestrator, f"runs show {dead_run['run']}", columns="30")
    error = [line for line in shown if line.startswith("error")]
    assert len(error) == 1
    assert "x" * 300 in error[0]
    step_rows = [line for line in shown if line.startswith(dead_run["step"])]
    assert len(step_rows) == 1
    assert step_rows[0].split()[2] == "DEAD_LETTERED"
    assert step_rows[0].endswith("x" * 300)
    listed = _piped(orchestrator, f"runs list --workflow {dead_run['workflow']} | grep {dead_run['run']}")
    assert len(listed) == 1
    assert dead_run["workflow"] in listed[0]


def test_in_process_output_is_piped_too(orchestrator: Orchestrator, dead_run: dict[str, str]) -> None:
    result = run_cli("--api", orchestrator.url, "runs", "show", dead_run["run"])
    assert result.code == 0, result.stderr
    assert any("x" * 300 in line for line in result.stdout.splitlines())


def test_plain_table_aligns_wide_characters_and_escapes_line_breaks() -> None:
    lines = plain_table(["A", "B"], [["名前", "one\ntwo"], ["abcdef", "\u2028"]])
    assert lines == ["A       B", "名前    one\\ntwo", "abcdef  \\u2028"]
