"""`legato schedules ...` against a real orchestrator: create, apply, list, show, pause, resume,
trigger, backfill and delete; `legato runs list --schedule`; the file errors and the exit codes of
docs/cli.md. The schedule fires hourly on 29 February only, so none fires by itself during a test
(but on a leap day): `trigger` and `backfill` make the runs."""

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cli_runner import Cli, run_cli

from harness.api import define, unique, wait_run
from harness.cli import legato
from harness.orchestrator import Orchestrator

pytestmark = pytest.mark.integration


def _write(path: Path, body: Any) -> str:
    path.write_bytes(orjson.dumps(body))
    return str(path)


def _row(table: str, first: str) -> list[str]:
    """The one line of a piped table whose first column is `first`, split on spaces."""
    found = [line.split() for line in table.splitlines() if line.split()[:1] == [first]]
    assert len(found) == 1, table
    return found[0]


LEAP_HOURS = "0 * 29 2 *"  # on the hour, on 29 February


def _clear_of_the_hour(margin_s: float = 90) -> None:
    """On a leap day the schedule fires on the hour (UTC): when the next hour is this close, let it
    pass first, so that the test's runs are the ones `trigger` and `backfill` start (at most 91 s)."""
    now = time.gmtime()
    left = 3600 - time.time() % 3600
    if (now.tm_mon, now.tm_mday) == (2, 29) and left < margin_s:
        time.sleep(left + 1)


def test_a_schedule_from_create_to_delete(
    cli: Cli, api: httpx.Client, orchestrator: Orchestrator, tmp_path: Path
) -> None:
    wid, sid = unique("cli-sched-wf"), unique("cli-sched-" + "l" * 70)  # 89 characters
    # its runs wait for a signal: they stay RUNNING, for `runs cancel --filter schedule=ID`
    define(api, {"id": wid, "steps": [{"id": "approve", "signal": {"name": "go"}}]})
    spec = {"id": sid, "workflowId": wid, "cron": LEAP_HOURS, "input": {"n": 1}, "overlap": "skip"}
    path = _write(tmp_path / "schedule.json", spec)
    _clear_of_the_hour()

    created = legato(orchestrator, "schedules", "create", "-f", path).stdout  # a real subprocess
    assert created.startswith(f"{sid}: created, next fire ")
    refused = cli("schedules", "create", "-f", path, expect=1)  # the id exists: the API's 409
    assert refused.stderr.startswith("legato: error: ") and "(HTTP 409)" in refused.stderr

    stored = api.get(f"/schedules/{sid}").json()
    # piped, on a narrow terminal's COLUMNS: one whole row per line all the same
    row = _row(legato(orchestrator, "schedules", "list", env={"COLUMNS": "30"}).stdout, sid)
    assert row == [sid, wid, *LEAP_HOURS.split(), "(UTC)", "skip", "no", stored["nextFireTimes"][0], "-"]
    assert cli("-o", "json", "schedules", "list").json() == api.get("/schedules").json()
    assert cli("-o", "json", "schedules", "show", sid).json() == api.get(f"/schedules/{sid}").json()
    shown = cli("schedules", "show", sid).stdout.splitlines()
    assert shown[:3] == [
        f"schedule         {sid}",
        f"workflow         {wid}",
        f"cron             {LEAP_HOURS}",
    ]
    assert 'input            {"n":1}' in shown
    header = shown.index("NEXT FIRES")
    assert shown[header + 1 : header + 6] == stored["nextFireTimes"]
    assert shown[-1] == "no fire yet"

    # apply: PUT with the id from the file (stdin here), then a new id is created
    spec |= {"overlap": "allowAll", "input": {"n": 2}}
    applied = run_cli("--api", orchestrator.url, "schedules", "apply", "-f", "-", stdin=orjson.dumps(spec))
    assert applied.code == 0, applied.stderr
    assert applied.stdout.startswith(f"{sid}: updated, next fire ")
    assert api.get(f"/schedules/{sid}").json()["overlap"] == "allowAll"
    other = unique("cli-sched-other")
    path2 = _write(tmp_path / "other.json", {**spec, "id": other, "paused": True})
    assert cli("schedules", "apply", "-f", path2).stdout.strip() == f"{other}: created, paused"
    cli("schedules", "delete", other)

    fired = cli("schedules", "trigger", sid).stdout.split()
    assert fired[:2] == [f"{sid}:", "fire"]
    assert fired[3:5] == ["started", "run"]
    run_id = fired[5]
    assert wait_run(api, run_id, {"RUNNING"})["input"] == {"n": 2}
    as_json = cli("-o", "json", "schedules", "trigger", sid).json()
    assert as_json["outcome"] == "started"
    wait_run(api, as_json["runId"], {"RUNNING"})
    from_schedule = _row(cli("runs", "show", run_id).stdout, "schedule")
    assert from_schedule == ["schedule", sid, "(fire", "time", f"{fired[2]})"]

    window = ("--start", "2024-02-29T00:00:00Z", "--end", "2024-02-29T03:00:00Z")
    backfilled = cli("schedules", "backfill", sid, *window).stdout.strip()
    assert (
        backfilled
        == f"{sid}: 3 fire(s): 3 started, 0 buffered, 0 skipped, 0 failed, 0 fired before (left alone)"
    )
    again = cli("-o", "json", "schedules", "backfill", sid, *window, "--overlap", "bufferAll").json()
    assert (again["fires"], again["started"], again["alreadyFired"]) == (3, 0, 3)
    listed = cli("-o", "json", "runs", "list", "--schedule", sid).json()["runs"]
    assert len(listed) == 5
    assert run_id in {r["runId"] for r in listed}
    assert cli("-o", "json", "runs", "list", "--schedule", other).json()["runs"] == []
    table = cli("runs", "list", "--schedule", sid).stdout.splitlines()
    assert len(table) == 6  # the header and one line per run
    shown = cli("schedules", "show", sid).stdout.splitlines()
    header = next(i for i, line in enumerate(shown) if line.startswith("FIRE TIME"))
    fires = [line.split() for line in shown[header + 1 :]]
    # newest fire time first: the two manual fires (now), then the backfilled ones (2024's leap day)
    assert [f[1:3] for f in fires] == [["manual", "started"]] * 2 + [["backfill", "started"]] * 3
    assert fires[1][:5] == [fired[2], "manual", "started", run_id, "RUNNING"]
    assert [f[0] for f in fires[2:]] == [f"2024-02-29T0{h}:00:00+00:00" for h in (2, 1, 0)]

    paused = cli("schedules", "pause", sid, "--note", "maintenance window")
    assert paused.stdout.strip() == f"{sid}: paused (maintenance window)"
    row = _row(cli("schedules", "list").stdout, sid)
    assert row[row.index("(UTC)") + 1 :][:3] == ["allowAll", "yes", "-"]  # no next fire while paused
    shown = cli("schedules", "show", sid).stdout.splitlines()
    assert "paused           yes (maintenance window)" in shown
    assert "no next fire time (paused)" in shown
    assert cli("schedules", "resume", sid).stdout.startswith(f"{sid}: resumed, next fire ")

    assert cli("schedules", "delete", sid).stdout.strip() == f"{sid}: deleted"
    cli("schedules", "show", sid, expect=3)
    cli("schedules", "delete", sid, expect=3)
    # the runs it started stay
    assert len(cli("-o", "json", "runs", "list", "--schedule", sid).json()["runs"]) == 5
    dry = cli("runs", "cancel", "--filter", f"schedule={sid}", "--dry-run").stdout
    assert dry.strip() == "5 run(s) would be cancelled"
    assert cli("runs", "cancel", "--filter", f"schedule={sid}").stdout.strip() == "5 run(s) cancelled"


def test_the_api_refusals_and_their_exit_codes(cli: Cli, api: httpx.Client, tmp_path: Path) -> None:
    missing = unique("cli-sched-missing")
    for command in (["show"], ["pause"], ["resume"], ["trigger"], ["delete"]):
        cli("schedules", *command, missing, expect=3)
    cli("schedules", "backfill", missing, "--start", "2h", "--end", "1h", expect=3)
    no_workflow = _write(
        tmp_path / "s.json", {"id": unique("cli-sched"), "workflowId": unique("undefined"), "every": "1h"}
    )
    refused = cli("schedules", "create", "-f", no_workflow, expect=2)  # the API's 422
    assert "(HTTP 422)" in refused.stderr
    wid = unique("cli-sched-wf")
    define(api, {"id": wid, "steps": [{"id": "done", "wait": {"seconds": 0}}]})
    both = _write(
        tmp_path / "both.json", {"id": unique("s"), "workflowId": wid, "every": "1h", "cron": "@daily"}
    )
    cli("schedules", "apply", "-f", both, expect=2)
