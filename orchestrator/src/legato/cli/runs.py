"""`legato runs list | show | events | cancel | retry | pause | resume | signal`: runs, one or many."""

import threading
from typing import Annotated, Any

import typer
from rich.markup import escape

from legato.cli.client import Client, CliError, ExitCode, connect, seg
from legato.cli.options import json_value, run_filter, since, usage
from legato.cli.output import Output, cell, output, when

app = typer.Typer(
    help="List and inspect runs; cancel, retry, pause or resume one, or many by filter; send a run a signal.",
    no_args_is_help=True,
)

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
DONE = {"cancel": "cancelled", "retry": "retried", "pause": "paused", "resume": "resumed"}
BULK_MAX = 10_000  # the API's largest bulk limit
BULK_BATCH = 200  # runs per request when changing many (one progress step each)
RunId = Annotated[str, typer.Argument(metavar="RUN_ID", help="The run's id (a UUID).")]


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        where = f"{error['stepId']}: " if error.get("stepId") else ""
        kind = f"{error['type']}: " if error.get("type") else ""
        return f"{where}{kind}{error.get('message') or ''}".strip()
    return cell(error)


@app.command("list")
def list_runs(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", "-s", help="PENDING, RUNNING, COMPLETED, FAILED, CANCELLED (repeatable)."),
    ] = None,
    workflow: Annotated[str | None, typer.Option("--workflow", "-w", help="Only this workflow id.")] = None,
    version: Annotated[int | None, typer.Option(min=1, help="Only this version (with --workflow).")] = None,
    since_: Annotated[
        str | None, typer.Option("--since", help="Created after: ISO time or 30m, 2h, 1d.")
    ] = None,
    before: Annotated[str | None, typer.Option(help="Created before: ISO time or a duration ago.")] = None,
    correlation_id: Annotated[str | None, typer.Option(help="Only runs with this correlation id.")] = None,
    idempotency_key: Annotated[str | None, typer.Option(help="Only the run triggered with this key.")] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Text in the run's input.")] = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Only runs this schedule started.")
    ] = None,
    trigger: Annotated[
        str | None, typer.Option("--trigger", help="Only runs this Kafka-topic trigger started.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many (one page).")] = 50,
    cursor: Annotated[str | None, typer.Option(help="The next page: the cursor the last page gave.")] = None,
) -> None:
    """Runs, newest first."""
    out = output(ctx)
    params = {
        "status": [s.upper() for raw in status or [] for s in raw.split(",") if s] or None,
        "workflowId": workflow,
        "version": version,
        "createdAfter": since(since_),
        "createdBefore": since(before, "--before"),
        "correlationId": correlation_id,
        "idempotencyKey": idempotency_key,
        "q": search,
        "scheduleId": schedule,
        "triggerId": trigger,
        "limit": limit,
        "cursor": cursor,
    }
    with connect(ctx) as api:
        body = api.get("/workflow/runs", **params)
    if out.as_json:
        out.json(body)
        return
    rows = [
        [
            r["runId"],
            r["workflowId"],
            str(r["version"]),
            out.status(r["status"]),
            when(r.get("createdAt")),
            when(r.get("endedAt")),
            cell(r.get("priority")),
            _error_text(r.get("error")) if r.get("error") else "-",
        ]
        for r in body.get("runs", [])
    ]
    out.table(["RUN", "WORKFLOW", "V", "STATUS", "CREATED", "ENDED", "PRIORITY", "ERROR"], rows, marked=[3])
    if body.get("nextCursor"):
        out.note(f"more: legato runs list ... --cursor {body['nextCursor']}")


def get_run(api: Client, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = api.get(f"/workflow/run/{seg(run_id)}")
    return run


def print_run(out: Output, run: dict[str, Any]) -> None:
    pairs = [
        ("run", run["runId"]),
        ("workflow", f"{run['workflowId']} (version {run['version']})"),
        ("status", out.status(run["status"])),
        *([("waiting for", run["waitingFor"])] if run.get("waitingFor") else []),
        ("created", when(run.get("createdAt"))),
        ("ended", when(run.get("endedAt"))),
        ("input", cell(run.get("input"))),
        ("output", cell(run.get("output"))),
    ]
    if run.get("error"):
        pairs.append(("error", _error_text(run["error"])))
    if run.get("priority") is not None:
        pairs.append(("priority", f"{run['priority']} (1 first, 5 last)"))
    if run.get("concurrencyKey"):
        pairs.append(("concurrency key", run["concurrencyKey"]))
    if run.get("correlationId"):
        pairs.append(("correlation", run["correlationId"]))
    if run.get("scheduleId"):
        pairs.append(("schedule", f"{run['scheduleId']} (fire time {when(run.get('scheduledAt'))})"))
    if run.get("triggerId"):
        pairs.append(("trigger", run["triggerId"]))
    out.fields(pairs, marked=["status"])
    if run.get("steps"):
        out.line()
        print_steps(out, run["steps"])


def print_steps(out: Output, steps: list[dict[str, Any]]) -> None:
    """The steps' table; a last WAITING FOR column when a step waits (a throttled job: flow control)."""
    waiting = any(s.get("waitingFor") for s in steps)
    rows = [
        [
            s["id"],
            cell(s.get("action")),
            out.status(s.get("status")),
            cell(s.get("attempts")),
            when(s.get("startedAt")),
            when(s.get("endedAt")),
            _error_text(s["error"]) if s.get("error") else cell(s.get("output")),
            *([cell(s.get("waitingFor"))] if waiting else []),
        ]
        for s in steps
    ]
    columns = ["STEP", "ACTION", "STATUS", "ATTEMPTS", "STARTED", "ENDED", "OUTPUT / ERROR"]
    out.table([*columns, *(["WAITING FOR"] if waiting else [])], rows, marked=[2])


@app.command("show")
def show(ctx: typer.Context, run_id: RunId) -> None:
    """One run with its steps."""
    out = output(ctx)
    with connect(ctx) as api:
        run = get_run(api, run_id)
    if out.as_json:
        out.json(run)
    else:
        print_run(out, run)


def _event_row(out: Output, e: dict[str, Any]) -> None:
    where = e.get("stepId") or ""
    if e.get("attempt"):
        where += f" #{e['attempt']}"
    data = f"  {cell(e.get('data'))}" if e.get("data") else ""
    out.line(
        f"{e['id']:>5}  {when(e.get('at'))}  [bold]{escape(e['type']):<18}[/] {escape(cell(where) + data)}"
    )


@app.command("events")
def events(
    ctx: typer.Context,
    run_id: RunId,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until the run ends.")
    ] = False,
    after: Annotated[int, typer.Option(min=0, help="Only events after this event id.")] = 0,
) -> None:
    """A run's history, oldest first (--output json: the API's JSON; with --follow, one event per line)."""
    out = output(ctx)
    path = f"/workflow/run/{seg(run_id)}/events"
    with connect(ctx) as api:
        if not follow:
            body = api.get(path, after=after)
            if out.as_json:
                out.json(body)
            else:
                for e in body.get("events", []):
                    _event_row(out, e)
            return
        # the event stream (api.event_stream): each event as it is written, until the run ends
        for e in api.stream(f"{path}/stream", after):
            out.json_line(e) if out.as_json else _event_row(out, e)


def _bulk(ctx: typer.Context, operation: str, filters: list[str], dry_run: bool, limit: int | None) -> None:
    """Cancel, retry, pause or resume every run a filter matches, in batches (a progress bar on a
    terminal)."""
    out = output(ctx)
    verb = DONE[operation]
    selection = run_filter(filters)
    path = f"/workflow/runs/{operation}"
    with connect(ctx) as api:
        planned = api.post(path, {"filter": selection, "dryRun": True, "limit": limit or BULK_MAX})
        if dry_run:
            if out.as_json:
                out.json(planned)
                return
            hint = " (the filter matches more: raise --limit)" if planned.get("more") else ""
            out.line(f"{planned['changed']} run(s) would be {verb}{hint}")
            return
        total: int = planned["changed"]
        changed: list[str] = []
        count, more = 0, False
        with out.progress(total, f"{operation} runs") as advance:
            while count < total:
                done = api.post(path, {"filter": selection, "limit": min(BULK_BATCH, total - count)})
                if done["changed"] == 0:
                    break  # the rest no longer match (they ended or were changed meanwhile)
                count += done["changed"]
                changed.extend(done.get("runIds", []))
                more = bool(done.get("more"))
                advance(done["changed"])
    result = {
        "matched": planned["matched"],
        "changed": count,
        "dryRun": False,
        "runIds": changed[:100],
        "more": more,
    }
    if out.as_json:
        out.json(result)
    else:
        out.line(f"{count} run(s) {verb}")


def _one(ctx: typer.Context, operation: str, run_id: str) -> None:
    out = output(ctx)
    with connect(ctx) as api:
        done = api.post(f"/workflow/run/{seg(run_id)}/{operation}")
    if out.as_json:
        out.json(done)
        return
    verb = DONE[operation]
    if not done.get("changed", True):
        out.line(f"{done['runId']}: already {out.status(done.get('status'))} (nothing changed)")
        return
    steps = f" (steps: {', '.join(done['retriedSteps'])})" if done.get("retriedSteps") else ""
    out.line(f"{done['runId']}: {verb}, now {out.status(done.get('status'))}{steps}")


FilterOption = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        help=(
            "key=value, repeatable: status, workflow, version, since, before, correlation, key, "
            "schedule, trigger, q."
        ),
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print how many runs would change; change nothing.")
]
LimitOption = Annotated[
    int | None, typer.Option(min=1, max=BULK_MAX, help="At most this many runs (newest first).")
]
OptionalRunId = Annotated[str | None, typer.Argument(metavar="[RUN_ID]", help="One run; or use --filter.")]


def _dispatch(
    ctx: typer.Context,
    operation: str,
    run_id: str | None,
    filters: list[str] | None,
    dry_run: bool,
    limit: int | None,
) -> None:
    if (run_id is None) == (not filters):
        raise usage(f"give one RUN_ID or --filter key=value (see `legato runs {operation} --help`)")
    if run_id is not None:
        if dry_run or limit:
            raise usage("--dry-run and --limit go with --filter")
        _one(ctx, operation, run_id)
    else:
        _bulk(ctx, operation, filters or [], dry_run, limit)


@app.command("cancel")
def cancel(
    ctx: typer.Context,
    run_id: OptionalRunId = None,
    filters: FilterOption = None,
    dry_run: DryRunOption = False,
    limit: LimitOption = None,
) -> None:
    """Cancel a run, or every PENDING, RUNNING or PAUSED run a filter matches."""
    _dispatch(ctx, "cancel", run_id, filters, dry_run, limit)


@app.command("retry")
def retry(
    ctx: typer.Context,
    run_id: OptionalRunId = None,
    filters: FilterOption = None,
    dry_run: DryRunOption = False,
    limit: LimitOption = None,
) -> None:
    """Retry a FAILED run from where it failed, or every FAILED run a filter matches."""
    _dispatch(ctx, "retry", run_id, filters, dry_run, limit)


@app.command("pause")
def pause(
    ctx: typer.Context,
    run_id: OptionalRunId = None,
    filters: FilterOption = None,
    dry_run: DryRunOption = False,
    limit: LimitOption = None,
) -> None:
    """Pause a RUNNING run (no new job, timer, signal or child until it is resumed; what runs
    finishes), or every RUNNING run a filter matches."""
    _dispatch(ctx, "pause", run_id, filters, dry_run, limit)


@app.command("resume")
def resume(
    ctx: typer.Context,
    run_id: OptionalRunId = None,
    filters: FilterOption = None,
    dry_run: DryRunOption = False,
    limit: LimitOption = None,
) -> None:
    """Resume a PAUSED run where it stopped, or every PAUSED run a filter matches."""
    _dispatch(ctx, "resume", run_id, filters, dry_run, limit)


@app.command("signal")
def signal(
    ctx: typer.Context,
    run_id: RunId,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The signal's name (its signal step waits for it).")
    ],
    payload: Annotated[
        str, typer.Option("--payload", "-p", help="The signal's payload: JSON, or @file (@- reads stdin).")
    ] = "null",
    signal_id: Annotated[
        str | None,
        typer.Option("--signal-id", help="Sent twice with the same id, the signal is delivered once."),
    ] = None,
) -> None:
    """Send a run a signal: the step waiting for it (or the next to wait) takes its payload."""
    out = output(ctx)
    body: dict[str, Any] = {"payload": json_value(payload, "--payload")}
    if signal_id is not None:
        body["signalId"] = signal_id
    with connect(ctx) as api:
        sent = api.post(f"/workflow/run/{seg(run_id)}/signal/{seg(name)}", body)
    if out.as_json:
        out.json(sent)
        return
    what = f"{sent['runId']}: signal {name} {sent['signalId']}"
    if sent["duplicate"]:
        out.line(f"{what} was received before (duplicate; nothing changed)")
    elif sent.get("consumedBy"):
        out.line(f"{what} taken by step {sent['consumedBy']}")
    else:
        out.line(f"{what} kept until a step waits for it")


def wait_for_end(api: Client, run_id: str, timeout: float | None) -> dict[str, Any]:
    """Follow the run's event stream until it ends; CliError (exit 1) when `timeout` seconds pass
    first. The stream is read on a thread of its own, so the timeout holds between keepalives."""
    ended = threading.Event()
    failed: list[BaseException] = []

    def follow() -> None:
        try:
            for _ in api.stream(f"/workflow/run/{seg(run_id)}/events/stream", 0):
                pass
        except BaseException as exc:  # handed to the waiting thread, raised there
            failed.append(exc)
        finally:
            ended.set()

    threading.Thread(target=follow, name="legato-follow", daemon=True).start()
    if not ended.wait(timeout):
        run = get_run(api, run_id)
        if run["status"] not in TERMINAL:
            raise CliError(f"run {run_id} is still {run['status']} after {timeout:g}s", ExitCode.FAILED)
        return run
    if failed:
        raise failed[0]
    return get_run(api, run_id)
