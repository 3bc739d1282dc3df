"""`legato schedules list | show | create | apply | delete | pause | resume | trigger | backfill`:
workflows started on a cron or an interval, over the API (`/schedules`)."""

from enum import Enum
from typing import Annotated, Any

import typer
from rich.markup import escape

from legato.cli.client import ExitCode, connect, seg
from legato.cli.options import json_object_file, since, usage
from legato.cli.output import Output, cell, output, when

app = typer.Typer(
    help="List, show, create, change and delete schedules; pause, resume, fire one now or backfill.",
    no_args_is_help=True,
)

OUTCOME_STYLE = {"started": "green", "skipped": "dim", "buffered": "yellow", "failed": "red"}

ScheduleId = Annotated[str, typer.Argument(metavar="ID", help="The schedule's id.")]
FileOption = Annotated[
    str, typer.Option("--file", "-f", help="The schedule (a JSON object); `-` reads stdin.")
]


class Overlap(str, Enum):
    skip = "skip"
    bufferOne = "bufferOne"  # noqa: N815 - the API's names
    allowAll = "allowAll"  # noqa: N815
    cancelOther = "cancelOther"  # noqa: N815
    bufferAll = "bufferAll"  # noqa: N815


def cadence(s: dict[str, Any]) -> str:
    """`0 2 * * * (Europe/Paris)` or `every 15m (UTC)`."""
    what = f"every {s['every']}" if s.get("every") else cell(s.get("cron"))
    return f"{what} ({s.get('timezone') or 'UTC'})"


def _outcome(outcome: str | None) -> str:
    style = OUTCOME_STYLE.get(outcome or "")
    text = escape(outcome or "-")
    return f"[{style}]{text}[/]" if style else text


def _last_fire(fire: dict[str, Any] | None) -> str:
    if not fire:
        return "-"
    run = f" {escape(fire['runId'])}" if fire.get("runId") else ""
    return _outcome(fire.get("outcome")) + run


def _next_fire(s: dict[str, Any]) -> str:
    times = s.get("nextFireTimes") or []
    return when(times[0]) if times else "-"


@app.command("list")
def list_schedules(ctx: typer.Context) -> None:
    """Every schedule, by id: when it fires, its next fire and how its last fire went."""
    out = output(ctx)
    with connect(ctx) as api:
        body = api.get("/schedules")
    if out.as_json:
        out.json(body)
        return
    rows = [
        [
            s["id"],
            s["workflowId"],
            cadence(s),
            cell(s.get("overlap")),
            cell(bool(s.get("paused"))),
            _next_fire(s),
            _last_fire(s.get("lastFire")),
        ]
        for s in body.get("schedules", [])
    ]
    out.table(
        ["SCHEDULE", "WORKFLOW", "WHEN", "OVERLAP", "PAUSED", "NEXT FIRE", "LAST FIRE"], rows, marked=[6]
    )


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{value}s"


def print_schedule(out: Output, s: dict[str, Any]) -> None:
    paused = "yes" if s.get("paused") else "no"
    pairs = [
        ("schedule", s["id"]),
        ("workflow", s["workflowId"]),
        ("cron" if s.get("cron") else "every", cell(s.get("cron") or s.get("every"))),
        ("timezone", cell(s.get("timezone"))),
        ("start at", when(s.get("startAt"))),
        ("end at", when(s.get("endAt"))),
        ("input", cell(s.get("input"))),
        ("overlap", cell(s.get("overlap"))),
        ("catch-up window", _seconds(s.get("catchupWindowSeconds"))),
        ("jitter", _seconds(s.get("jitterSeconds"))),
        ("paused", paused + (f" ({s['note']})" if s.get("note") else "")),
        ("missed fires", cell(s.get("missedFires"))),
        ("buffered fires", cell(s.get("bufferedFires"))),
        ("created", when(s.get("createdAt"))),
        ("updated", when(s.get("updatedAt"))),
    ]
    out.fields(pairs)
    out.line()
    if s.get("nextFireTimes"):
        out.table(["NEXT FIRES"], [[when(t)] for t in s["nextFireTimes"]])
    else:
        out.line("no next fire time" + (" (paused)" if s.get("paused") else ""))
    if "recentFires" not in s:
        return
    out.line()
    if not s["recentFires"]:
        out.line("no fire yet")
        return
    rows = [
        [
            when(f.get("fireTime")),
            cell(f.get("source")),
            _outcome(f.get("outcome")),
            cell(f.get("runId")),
            out.status(f.get("runStatus")) if f.get("runStatus") else "-",
            when(f.get("recordedAt")),
            cell(f.get("message")),
        ]
        for f in s["recentFires"]
    ]
    out.table(
        ["FIRE TIME", "SOURCE", "OUTCOME", "RUN", "RUN STATUS", "RECORDED", "MESSAGE"], rows, marked=[2, 4]
    )


@app.command("show")
def show(ctx: typer.Context, schedule_id: ScheduleId) -> None:
    """One schedule: every field, its next 5 fire times and its recent fires (newest first)."""
    out = output(ctx)
    with connect(ctx) as api:
        s = api.get(f"/schedules/{seg(schedule_id)}")
    if out.as_json:
        out.json(s)
    else:
        print_schedule(out, s)


def _saved(out: Output, s: dict[str, Any], what: str) -> None:
    if out.as_json:
        out.json(s)
        return
    if not s.get("paused"):
        detail = f", next fire {_next_fire(s)}"
    else:
        detail = "" if what == "paused" else ", paused"
        detail += f" ({s['note']})" if s.get("note") else ""
    out.line(f"{escape(s['id'])}: {what}{escape(detail)}")


@app.command("create")
def create(ctx: typer.Context, file: FileOption) -> None:
    """Create a schedule from a JSON file (`POST /schedules`); an id that exists is refused (exit 1)."""
    out = output(ctx)
    spec = json_object_file(file)
    with connect(ctx) as api:
        s = api.post("/schedules", spec)
    _saved(out, s, "created")


@app.command("apply")
def apply(ctx: typer.Context, file: FileOption) -> None:
    """Create or replace the schedule the file's `id` names (`PUT /schedules/{id}`)."""
    out = output(ctx)
    spec = json_object_file(file)
    schedule_id = spec.get("id")
    if not isinstance(schedule_id, str) or not schedule_id:
        where = "stdin" if file == "-" else file
        raise usage(f'--file {where}: give the schedule\'s "id" (apply puts /schedules/{{id}})')
    with connect(ctx) as api:
        response = api.request("PUT", f"/schedules/{seg(schedule_id)}", body=spec)
    _saved(out, response.json(), "created" if response.status_code == 201 else "updated")


@app.command("delete")
def delete(ctx: typer.Context, schedule_id: ScheduleId) -> None:
    """Delete a schedule; the runs it started stay."""
    out = output(ctx)
    with connect(ctx) as api:
        api.delete(f"/schedules/{seg(schedule_id)}")
    if out.as_json:
        out.json({"id": schedule_id, "deleted": True})  # the API answers 204, no body
    else:
        out.line(f"{escape(schedule_id)}: deleted")


@app.command("pause")
def pause(
    ctx: typer.Context,
    schedule_id: ScheduleId,
    note: Annotated[str | None, typer.Option("--note", help="Why (`schedules show` prints it).")] = None,
) -> None:
    """Pause a schedule: it fires nothing until resumed."""
    out = output(ctx)
    with connect(ctx) as api:
        s = api.post(f"/schedules/{seg(schedule_id)}/pause", None if note is None else {"note": note})
    _saved(out, s, "paused")


@app.command("resume")
def resume(ctx: typer.Context, schedule_id: ScheduleId) -> None:
    """Resume a paused schedule; the fire times it missed while paused are not caught up."""
    out = output(ctx)
    with connect(ctx) as api:
        s = api.post(f"/schedules/{seg(schedule_id)}/resume")
    _saved(out, s, "resumed")


@app.command("trigger")
def trigger(ctx: typer.Context, schedule_id: ScheduleId) -> None:
    """Fire the schedule once now, under its overlap policy. Exit 1 when the fire failed."""
    out = output(ctx)
    with connect(ctx) as api:
        fire = api.post(f"/schedules/{seg(schedule_id)}/trigger")
    if out.as_json:
        out.json(fire)
    else:
        run = f" run {fire['runId']}" if fire.get("runId") else ""
        why = f" ({fire['message']})" if fire.get("message") else ""
        out.line(
            f"{escape(fire['scheduleId'])}: fire {escape(when(fire.get('fireTime')))} "
            f"{_outcome(fire.get('outcome'))}{escape(run + why)}"
        )
    if fire.get("outcome") == "failed":
        raise typer.Exit(ExitCode.FAILED)


@app.command("backfill")
def backfill(
    ctx: typer.Context,
    schedule_id: ScheduleId,
    start: Annotated[
        str, typer.Option("--start", help="From this time (included): ISO time or a duration ago (2h, 1d).")
    ],
    end: Annotated[str, typer.Option("--end", help="To this time (excluded): ISO time or a duration ago.")],
    overlap: Annotated[
        Overlap | None,
        typer.Option(help="The overlap policy for these fires (default: the schedule's)."),
    ] = None,
) -> None:
    """Fire every fire time of [--start, --end) (at most 1000) now, under the overlap policy; fire
    times handled before are left alone. Exit 1 when a fire failed."""
    out = output(ctx)
    body: dict[str, Any] = {"startAt": since(start, "--start"), "endAt": since(end, "--end")}
    if overlap is not None:
        body["overlap"] = overlap.value
    with connect(ctx) as api:
        done = api.post(f"/schedules/{seg(schedule_id)}/backfill", body)
    if out.as_json:
        out.json(done)
    else:
        out.line(
            f"{escape(done['scheduleId'])}: {done['fires']} fire(s): {done['started']} started, "
            f"{done['buffered']} buffered, {done['skipped']} skipped, {done.get('failed', 0)} failed, "
            f"{done.get('alreadyFired', 0)} fired before (left alone)"
        )
    if done.get("failed"):
        raise typer.Exit(ExitCode.FAILED)
