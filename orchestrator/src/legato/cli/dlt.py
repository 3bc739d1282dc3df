"""`legato dlt list | show | replay | import`: dead letters, over the API.

The API reads the dead_letters table (a record stays replayable after the topic's retention);
`--kafka` / `--results` look at workflow-jobs.DLT / workflow-results.DLT themselves, for records only
Kafka holds (undecodable ones). A replay re-opens the run and dispatches the dead step again; a
record already replayed is reported and its step is not dispatched twice.
"""

import re
from collections import Counter
from typing import Annotated, Any

import orjson
import typer

from legato.cli.client import Client, CliError, ExitCode, connect, seg
from legato.cli.options import json_value, since, usage
from legato.cli.output import Output, cell, output, when

app = typer.Typer(help="List, show and replay dead letters.", no_args_is_help=True)

KAFKA_ID = re.compile(r"^\d+-\d+$")
PAGE = 500  # the API's largest page
REPLAY_BATCH = 100  # dead letters per replay request when replaying many (one progress step each)
MAX_REPLAY = 1000
OUTCOME_TEXT = {
    "replayed": "replayed",
    "alreadyReplayed": "already replayed (the step was not dispatched again)",
    "wouldReplay": "would replay",
}

KafkaOption = Annotated[bool, typer.Option("--kafka", help="Read workflow-jobs.DLT in Kafka instead.")]
ResultsOption = Annotated[bool, typer.Option("--results", help="Read workflow-results.DLT in Kafka.")]


def _topic(kafka: bool, results: bool) -> str | None:
    if kafka and results:
        raise usage("give --kafka or --results, not both")
    return "results" if results else "jobs" if kafka else None


@app.command("list")
def list_dead_letters(
    ctx: typer.Context,
    workflow: Annotated[str | None, typer.Option("--workflow", "-w", help="Only this workflow id.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action.")] = None,
    error_type: Annotated[str | None, typer.Option(help="Only this error type.")] = None,
    since_: Annotated[
        str | None, typer.Option("--since", help="Dead after: ISO time or 30m, 2h, 1d.")
    ] = None,
    run_id: Annotated[str | None, typer.Option(help="Only this run's.")] = None,
    pending: Annotated[bool, typer.Option("--pending", help="Only those not replayed yet.")] = False,
    replayed: Annotated[bool, typer.Option("--replayed", help="Only those replayed.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 100,
    cursor: Annotated[str | None, typer.Option(help="The next page: the cursor the last page gave.")] = None,
    kafka: KafkaOption = False,
    results: ResultsOption = False,
) -> None:
    """Dead letters, newest first (with --kafka/--results: the topic's records, oldest first)."""
    out = output(ctx)
    if pending and replayed:
        raise usage("give --pending or --replayed, not both")
    topic = _topic(kafka, results)
    with connect(ctx) as api:
        if topic is not None:
            if pending or replayed or cursor:
                raise usage("--pending, --replayed and --cursor read the table: not with --kafka/--results")
            body = api.get(
                f"/dead-letters/topics/{topic}",
                workflowId=workflow,
                action=action,
                errorType=error_type,
                runId=run_id,
                since=since(since_),
                limit=limit,
            )
            _print_records(out, body)
            return
        body = api.get(
            "/dead-letters",
            workflowId=workflow,
            action=action,
            errorType=error_type,
            since=since(since_),
            runId=run_id,
            replayed="false" if pending else "true" if replayed else None,
            limit=min(limit, PAGE),
            cursor=cursor,
        )
    if out.as_json:
        out.json(body)
        return
    rows = [
        [
            d["id"],
            when(d.get("deadAt")),
            d["workflowId"],
            d["runId"],
            d["stepId"] + (f"[{d['item']}]" if d.get("item") is not None else ""),
            cell(d.get("attempt")),
            cell(d.get("errorType")),
            cell(d.get("reason")),
            "yes" if d.get("replayedAt") else "no",
            cell(d.get("errorMessage")),
        ]
        for d in body.get("deadLetters", [])
    ]
    columns = [
        "ID",
        "DEAD AT",
        "WORKFLOW",
        "RUN",
        "STEP",
        "ATTEMPT",
        "ERROR TYPE",
        "REASON",
        "REPLAYED",
        "MESSAGE",
    ]
    out.table(columns, rows)
    if body.get("nextCursor"):
        out.note(f"more: legato dlt list ... --cursor {body['nextCursor']}")


def _print_records(out: Output, body: dict[str, Any]) -> None:
    if out.as_json:
        out.json(body)
        return
    rows = [
        [
            r["id"],
            cell(r.get("failedAt")),
            cell(r.get("workflowId")),
            cell(r.get("runId")),
            cell(r.get("stepId")),
            cell(r.get("attempts")),
            cell(r.get("errorType")),
            cell(r.get("reason")),
            cell(r.get("jobId")),
            cell(r.get("errorMessage")),
        ]
        for r in body.get("records", [])
    ]
    columns = [
        "ID",
        "FAILED AT",
        "WORKFLOW",
        "RUN",
        "STEP",
        "ATTEMPTS",
        "ERROR TYPE",
        "REASON",
        "JOB",
        "MESSAGE",
    ]
    out.table(columns, rows)
    out.note(f"{len(rows)} record(s) in {body.get('topic')}")


def _resolve(api: Client, raw: str) -> str:
    """The dead letter's id: a UUID as given, or the dead job a jobs-DLT record `<partition>-<offset>`
    names (while the topic keeps it)."""
    if not KAFKA_ID.match(raw.strip()):
        return raw.strip()
    record = api.get(f"/dead-letters/topics/jobs/{raw.strip()}")
    if record.get("job") is None:
        raise CliError(
            f"{raw}: undecodable record ({record.get('decodeError')}); it names no job and cannot be "
            f"replayed (see `legato dlt show --kafka {raw}`)",
            ExitCode.FAILED,
        )
    job_id: str = record["jobId"]
    return job_id


@app.command("show")
def show(
    ctx: typer.Context,
    dead_letter_id: Annotated[
        str,
        typer.Argument(metavar="ID", help="A dead letter's id (`legato dlt list`), or <partition>-<offset>."),
    ],
    kafka: KafkaOption = False,
    results: ResultsOption = False,
) -> None:
    """One dead letter: error, payload and the DLT record's headers."""
    out = output(ctx)
    topic = _topic(kafka, results)
    with connect(ctx) as api:
        if topic is not None:
            if not KAFKA_ID.match(dead_letter_id):
                raise usage(f"{dead_letter_id!r}: with --kafka or --results, the ID is <partition>-<offset>")
            record = api.get(f"/dead-letters/topics/{topic}/{dead_letter_id}")
            out.json(record)  # a Kafka record: its JSON is the clearest view in either format
            return
        d = api.get(f"/dead-letters/{seg(_resolve(api, dead_letter_id))}")
    if out.as_json:
        out.json(d)
        return
    out.fields(
        [
            ("id", d["id"]),
            ("run", d["runId"]),
            ("workflow", f"{d['workflowId']} (version {d['version']})"),
            ("step", d["stepId"] + (f" item {d['item']}" if d.get("item") is not None else "")),
            ("action", d["action"]),
            ("attempt", cell(d.get("attempt"))),
            ("reason", cell(d.get("reason"))),
            ("error", f"{d.get('errorType') or '-'}: {d.get('errorMessage') or ''}"),
            ("dead at", when(d.get("deadAt"))),
            (
                "replayed",
                when(d.get("replayedAt")) + (f" (job {d['replayJobId']})" if d.get("replayJobId") else ""),
            ),
            ("payload", orjson.dumps(d.get("payload")).decode() if d.get("payloadKept") else "(not kept)"),
        ]
    )
    out.line()
    out.table(["HEADER", "VALUE"], [[k, v] for k, v in sorted((d.get("headers") or {}).items())])
    out.note(f"the run's history: legato runs events {d['runId']}")


def _pending_ids(api: Client, limit: int, **filters: Any) -> list[str]:
    """Dead letters not replayed yet, oldest first, up to `limit`."""
    ids: list[str] = []
    cursor = None
    while len(ids) < limit:
        body = api.get("/dead-letters", replayed="false", limit=PAGE, cursor=cursor, **filters)
        ids.extend(d["id"] for d in body.get("deadLetters", []))
        cursor = body.get("nextCursor")
        if not cursor:
            break
    return list(reversed(ids[:limit]))


def _report(out: Output, r: dict[str, Any]) -> None:
    if r["outcome"] == "failed":
        out.err.print(f"legato: error: {r['id']}: {r.get('error')}", markup=False, soft_wrap=True)
        return
    item = f"[{r['item']}]" if r.get("item") is not None else ""
    what = OUTCOME_TEXT.get(r["outcome"], r["outcome"])
    out.console.print(f"{r['id']}: {what} (run {r['runId']}, step {r['stepId']}{item})", markup=False)


@app.command("replay")
def replay(
    ctx: typer.Context,
    dead_letter_id: Annotated[
        str | None, typer.Option("--id", help="One dead letter (or <partition>-<offset>).")
    ] = None,
    run_id: Annotated[str | None, typer.Option(help="Every dead letter of one run.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every dead letter not replayed yet.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would happen; change nothing.")
    ] = False,
    payload: Annotated[
        str | None,
        typer.Option(
            help="Replace the step's input with this JSON (or @file; null too): one dead letter only."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=100_000, help="With --all: at most this many.")
    ] = MAX_REPLAY,
) -> None:
    """Re-open the run and run the dead step again. Exit 1 when any replay was refused."""
    out = output(ctx)
    if sum((dead_letter_id is not None, run_id is not None, all_)) != 1:
        raise usage("give exactly one of --id, --run-id or --all")
    # `--payload null` replaces the input with JSON null; no --payload replays the dead job's own.
    override: dict[str, Any] = {} if payload is None else {"payload": json_value(payload, "--payload")}
    with connect(ctx) as api:
        if dead_letter_id is not None:
            ids = [_resolve(api, dead_letter_id)]
            api.get(f"/dead-letters/{seg(ids[0])}")  # 404 (exit 3) for an unknown one
            bodies: list[dict[str, Any]] = [{"ids": ids}]
        elif run_id is not None:
            if override:  # a payload replaces one step's input: the run's one pending record
                ids = _pending_ids(api, 2, runId=run_id)
                _one_for_payload(ids, f"run {run_id}")
                bodies = [{"ids": ids}]
            else:
                bodies = [{"runId": run_id}]
        else:
            ids = _pending_ids(api, limit)
            if override:
                _one_for_payload(ids, "--all")
            bodies = [{"ids": ids[i : i + REPLAY_BATCH]} for i in range(0, len(ids), REPLAY_BATCH)]
        matched = replayed_count = 0
        results: list[dict[str, Any]] = []
        with out.progress(sum(len(b.get("ids", [])) for b in bodies) or None, "replay") as advance:
            for body in bodies:
                done = api.post(
                    "/dead-letters/replay",
                    {**body, **override, "dryRun": dry_run, "limit": MAX_REPLAY},
                )
                matched += done["matched"]
                replayed_count += done["replayed"]
                results.extend(done["results"])
                if not out.as_json:
                    for r in done["results"]:
                        _report(out, r)
                advance(done["matched"])
    if out.as_json:
        out.json({"matched": matched, "replayed": replayed_count, "dryRun": dry_run, "results": results})
    elif dead_letter_id is None:
        counts = Counter(r["outcome"] for r in results if r["outcome"] != "failed")
        parts = [f"{n} {OUTCOME_TEXT.get(k, k).split(' (')[0]}" for k, n in counts.items()]
        failed = sum(1 for r in results if r["outcome"] == "failed")
        out.line(f"{len(results)} dead letter(s): {', '.join([*parts, f'{failed} failed'])}")
    if any(r["outcome"] == "failed" for r in results):
        raise typer.Exit(ExitCode.FAILED)


def _one_for_payload(ids: list[str], where: str) -> None:
    if len(ids) > 1:
        raise usage(
            f"--payload replaces the input of one step, but {where} holds more than one dead letter not "
            "replayed yet: replay them one at a time with --id ID --payload JSON, or without --payload"
        )
    if not ids:
        raise CliError(f"no dead letter to replay for {where}", ExitCode.NOT_FOUND)


@app.command("import")
def import_(ctx: typer.Context) -> None:
    """Index the dead letters only workflow-jobs.DLT holds (dead before the table existed)."""
    out = output(ctx)
    with connect(ctx) as api:
        body = api.post("/dead-letters/topics/jobs/import")
    if out.as_json:
        out.json(body)
    else:
        out.line(
            f"{body['indexed']} dead letter(s) indexed from {body['topic']} ({body['read']} record(s) read)"
        )
