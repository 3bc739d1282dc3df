"""`legato` as an API client: workflows, runs (filters, bulk dry runs, cancel), trigger --wait,
events --follow, and the exit codes of docs/cli.md."""

import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cli_runner import Cli, run_cli

from harness.api import define, events, trigger, unique, wait_run
from harness.cli import legato
from harness.orchestrator import LEGATO, Orchestrator, free_port
from harness.waiting import until
from harness.workers import running_worker
from legato_worker import NonRetryableError

pytestmark = pytest.mark.integration


def _graph_workflow(wid: str, action: str) -> dict[str, Any]:
    return {
        "id": wid,
        "steps": [
            {"id": "fetch", "action": action},
            {"id": "left", "action": action, "dependsOn": ["fetch"]},
            {"id": "right", "action": action, "dependsOn": ["fetch"]},
            {"id": "join", "action": action, "dependsOn": ["left", "right"]},
        ],
    }


def test_workflows_define_list_show_and_graph(cli: Cli, orchestrator: Orchestrator, tmp_path: Path) -> None:
    wid, action = unique("cli-graph"), unique("cli-act")
    path = tmp_path / "wf.json"
    path.write_bytes(orjson.dumps(_graph_workflow(wid, action)))

    defined = legato(orchestrator, "workflows", "apply", "-f", str(path))  # a real subprocess
    assert defined.stdout.strip() == f"{wid} version 1: defined"
    assert "unchanged" in legato(orchestrator, "workflows", "define", "-f", str(path)).stdout

    table = cli("workflows", "list").stdout
    assert any(line.split()[:3] == [wid, "1", "4"] for line in table.splitlines())
    listed = cli("--output", "json", "workflows", "list").json()
    assert httpx.get(f"{orchestrator.url}/workflow/").json() == listed

    shown = cli("-o", "json", "workflows", "show", wid, "--version", "1").json()
    assert shown == httpx.get(f"{orchestrator.url}/workflow/{wid}").json()
    assert "join" in cli("workflows", "show", wid).stdout

    mermaid = cli("workflows", "graph", wid, "--format", "mermaid").stdout.splitlines()
    assert mermaid[0] == "flowchart TD"
    nodes = {line.split("[")[0].strip(): line for line in mermaid[1:5]}
    assert [
        f'["{s} ({action})"]' in nodes[f"s{i}"] for i, s in enumerate(["fetch", "left", "right", "join"])
    ] == [True] * 4
    assert sorted(mermaid[5:]) == sorted(["    s0 --> s1", "    s0 --> s2", "    s1 --> s3", "    s2 --> s3"])
    layers = cli("workflows", "graph", wid).stdout.splitlines()
    assert layers[1].split()[:2] == ["1", "fetch"]
    assert layers[4].split()[:2] == ["3", "join"]


def test_runs_list_filters_show_and_bulk_retry_dry_run(
    cli: Cli, api: httpx.Client, orchestrator: Orchestrator
) -> None:
    wid, action = unique("cli-runs"), unique("cli-pay")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    healthy = [False]

    def pay(payload: dict[str, Any]) -> dict[str, Any]:
        if payload["fail"] and not healthy[0]:
            raise NonRetryableError("card declined", type="CardDeclined")
        return {"paid": payload["n"]}

    with running_worker(orchestrator, {action: pay}):
        failed = [trigger(api, wid, {"n": n, "fail": True}) for n in range(2)]
        done = trigger(api, wid, {"n": 9, "fail": False})
        for run_id in [*failed, done]:
            wait_run(api, run_id)

        body = cli("-o", "json", "runs", "list", "--status", "FAILED", "--workflow", wid).json()
        assert sorted(r["runId"] for r in body["runs"]) == sorted(failed)
        completed = cli(
            "-o", "json", "runs", "list", "--status", "completed", "--workflow", wid, "--since", "1h"
        )
        assert [r["runId"] for r in completed.json()["runs"]] == [done]
        assert cli("-o", "json", "runs", "list", "--workflow", wid, "--limit", "1").json()["nextCursor"]
        assert (
            cli("-o", "json", "runs", "list", "--workflow", wid, "--since", "2099-01-01").json()["runs"] == []
        )

        table = cli("runs", "list", "--workflow", wid, "--status", "FAILED").stdout
        rows = [line.split() for line in table.splitlines()[1:]]
        assert sorted(r[0] for r in rows) == sorted(failed)
        assert {r[3] for r in rows} == {"FAILED"}
        assert "CardDeclined: card declined" in table

        shown = cli("runs", "show", failed[0]).stdout
        assert "FAILED" in shown
        assert "card declined" in shown
        assert cli("-o", "json", "runs", "show", done).json()["output"] == {"paid": 9}

        dry = legato(
            orchestrator,
            "runs",
            "retry",
            "--filter",
            "status=FAILED",
            "--filter",
            f"workflow={wid}",
            "--dry-run",
        )
        assert dry.stdout.strip() == "2 run(s) would be retried"
        as_json = cli(
            "-o",
            "json",
            "runs",
            "retry",
            "--filter",
            f"workflow={wid}",
            "--filter",
            "status=FAILED",
            "--dry-run",
        )
        assert as_json.json()["changed"] == 2
        assert as_json.json()["dryRun"] is True
        assert {api.get(f"/workflow/run/{r}").json()["status"] for r in failed} == {
            "FAILED"
        }  # nothing changed

        healthy[0] = True
        retried = cli("runs", "retry", "--filter", f"workflow={wid}", "--filter", "status=FAILED")
        assert retried.stdout.strip() == "2 run(s) retried"
        for run_id in failed:
            assert wait_run(api, run_id, {"COMPLETED"})["output"] == {"paid": failed.index(run_id)}
    assert cli(
        "runs", "retry", "--filter", f"workflow={wid}", "--filter", "status=FAILED", "--dry-run"
    ).stdout.strip() == ("0 run(s) would be retried")


def test_cancel_by_id_and_the_exit_code_of_a_refused_retry(cli: Cli, api: httpx.Client) -> None:
    wid = unique("cli-cancel")
    define(api, {"id": wid, "steps": [{"action": unique("nobody-serves"), "stepIndex": 0}]})
    run_id = trigger(api, wid, 1)  # no worker: it stays RUNNING
    out = cli("runs", "cancel", run_id).stdout
    assert out.startswith(f"{run_id}: cancelled")
    assert wait_run(api, run_id)["status"] == "CANCELLED"
    again = cli("runs", "cancel", run_id)  # cancelling is idempotent
    assert again.stdout.strip() == f"{run_id}: already CANCELLED (nothing changed)"
    refused = cli("runs", "retry", run_id, expect=1)  # the API's 409: the outcome is a failure
    assert refused.stdout == ""
    assert refused.stderr.startswith("legato: error: ")
    assert "only a FAILED run can be retried" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    cli("runs", "cancel", run_id, "--filter", "status=FAILED", expect=2)


def test_trigger_wait_exit_codes(api: httpx.Client, orchestrator: Orchestrator, tmp_path: Path) -> None:
    wid, action = unique("cli-wait"), unique("cli-check")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0, "retry": {"maxAttempts": 1}}]})

    def check(payload: dict[str, Any]) -> str:
        if payload.get("bad"):
            raise ValueError("bad input")
        return f"ok {payload['n']}"

    (tmp_path / "input.json").write_text('{"n": 7}')
    with running_worker(orchestrator, {action: check}):
        ok = legato(
            orchestrator, "-o", "json", "trigger", wid, "--input", f"@{tmp_path / 'input.json'}", "--wait"
        )
        assert ok.returncode == 0
        assert orjson.loads(ok.stdout)["output"] == "ok 7"

        bad = legato(
            orchestrator, "trigger", wid, "--input", '{"bad": true}', "--wait", "--timeout", "30", check=False
        )
        assert bad.returncode == 1, bad.stderr
        assert "FAILED" in bad.stdout
        assert "bad input" in bad.stdout

        keyed = [
            run_cli(
                "--api", orchestrator.url, "trigger", wid, "--input", '{"n": 1}', "--idempotency-key", "k1"
            )
            for _ in range(2)
        ]
        assert keyed[0].code == keyed[1].code == 0
        assert keyed[0].stdout == keyed[1].stdout
    nobody = unique("cli-nobody")
    define(api, {"id": nobody, "steps": [{"action": unique("unserved"), "stepIndex": 0}]})
    late = run_cli("--api", orchestrator.url, "trigger", nobody, "--wait", "--timeout", "0.5")
    assert late.code == 1
    assert "still RUNNING after 0.5s" in late.stderr


def test_events_follow_ends_when_the_run_ends(api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, action = unique("cli-follow"), unique("cli-hold")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    release = threading.Event()

    def hold(payload: int) -> int:
        assert release.wait(30)
        return payload + 1

    with running_worker(orchestrator, {action: hold}):
        run_id = trigger(api, wid, 1)
        # several events before the CLI starts: its first page is more than one line
        until(lambda: len(events(api, run_id)) >= 2, 30, "the step scheduled")
        with subprocess.Popen(
            [str(LEGATO), "--api", orchestrator.url, "-o", "json", "runs", "events", run_id, "--follow"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as follow:
            assert follow.stdout is not None and follow.stderr is not None
            try:
                first = orjson.loads(follow.stdout.readline())
                assert first["type"] == "RUN_CREATED"
                assert follow.poll() is None  # the run has not ended: it keeps following
                release.set()
                follow.wait(timeout=30)
                # read on through the same buffered reader: communicate() reads the pipe beneath it
                # and would miss the lines readline() had already buffered
                rest, err = follow.stdout.read(), follow.stderr.read()
            finally:
                release.set()
                if follow.poll() is None:
                    follow.kill()
    assert follow.returncode == 0, err
    types = [first["type"], *(orjson.loads(line)["type"] for line in rest.splitlines())]
    assert types[-1] == "RUN_COMPLETED"
    assert types == [e["type"] for e in api.get(f"/workflow/run/{run_id}/events").json()["events"]]


def test_not_found_usage_and_unreachable_exit_codes(cli: Cli, orchestrator: Orchestrator) -> None:
    missing = cli("runs", "show", "0192f0c4-5b1e-7c3a-8f00-000000000001", expect=3)
    assert missing.stderr.strip() == (
        "legato: error: run 0192f0c4-5b1e-7c3a-8f00-000000000001 not found (HTTP 404)"
    )
    cli("workflows", "show", unique("never-defined"), expect=3)
    cli("runs", "events", "0192f0c4-5b1e-7c3a-8f00-000000000001", expect=3)
    bad_json = cli("trigger", "anything", "--input", "{nope", expect=2)
    assert "--input: not valid JSON" in bad_json.stderr
    cli("runs", "list", "--status", "SLEEPING", expect=2)  # the API's 422
    cli("runs", "list", "--since", "last tuesday", expect=2)
    cli("runs", "retry", "--filter", "colour=red", expect=2)

    port = free_port()  # nothing listens there
    down = subprocess.run(
        [str(LEGATO), "runs", "list"],
        env={"PATH": "/usr/bin:/bin", "LEGATO_API_URL": f"http://127.0.0.1:{port}"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert down.returncode == 5
    assert down.stderr.startswith(f"legato: error: cannot reach the API at http://127.0.0.1:{port}")
    assert "Traceback" not in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1


def test_workers_table_and_json(cli: Cli, api: httpx.Client, orchestrator: Orchestrator) -> None:
    wid, action = unique("cli-workers"), unique("cli-live")
    define(api, {"id": wid, "steps": [{"action": action, "stepIndex": 0}]})
    with running_worker(orchestrator, {action: lambda p: p}):
        until(
            # global options may also follow the command
            lambda: cli("workers", "--output", "json").json()["actions"].get(action, {}).get("workers"),
            30,
            "a live worker",
        )
        table = cli("workers").stdout
    row = next(line.split() for line in table.splitlines() if line.startswith(action))
    assert row[1:3] == ["1", "python"]


def test_signal_pause_resume_and_the_graph_of_the_new_step_kinds(
    cli: Cli, api: httpx.Client, tmp_path: Path
) -> None:
    child, wid = unique("cli-child"), unique("cli-approval")
    define(api, {"id": child, "steps": [{"id": "done", "wait": {"seconds": 0}}]})
    define(
        api,
        {
            "id": wid,
            "steps": [
                {"id": "approve", "signal": {"name": "approval"}},
                {"id": "ship", "workflow": {"id": child, "version": 1}, "dependsOn": ["approve"]},
            ],
        },
    )
    graph = cli("workflows", "graph", wid).stdout
    assert "approve (signal approval)" in graph and f"ship (workflow {child} v1)" in graph
    run_id = trigger(api, wid, None)
    until(
        lambda: api.get(f"/workflow/run/{run_id}").json()["steps"][0]["status"] == "WAITING", 20, "the wait"
    )
    assert cli("runs", "pause", run_id).stdout.strip() == f"{run_id}: paused, now PAUSED"
    assert (
        cli("runs", "pause", "--filter", f"workflow={wid}", "--dry-run").stdout.strip()
        == "0 run(s) would be paused"
    )
    kept = cli("runs", "signal", run_id, "approval", "--payload", '{"ok": true}', "--signal-id", "a-1").stdout
    assert kept.strip() == f"{run_id}: signal approval a-1 kept until a step waits for it"
    again = cli("runs", "signal", run_id, "approval", "--signal-id", "a-1").stdout
    assert "duplicate" in again
    assert cli("runs", "resume", "--filter", f"workflow={wid}").stdout.strip() == "1 run(s) resumed"
    assert wait_run(api, run_id)["output"] == {"ok": True}
    cli("runs", "signal", run_id, "approval", "--payload", "{bad", expect=2)
    ended = cli("runs", "signal", run_id, "approval", expect=1)
    assert "not ended" in ended.stderr
