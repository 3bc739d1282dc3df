"""`legato dlt list | show | replay`: inspect dead letters and replay them into their runs.

Everything reads the `dead_letters` table (PostgreSQL only; Kafka may be down). `--kafka` and
`--results` look at the DLT topics themselves, for records only Kafka holds (undecodable ones).
"""

import argparse
import contextlib
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg

from legato.dlt import reader
from legato.dlt.backfill import import_rows
from legato.dlt.bulk import Outcome, pending_of, replay_each, select_not_replayed, select_run
from legato.dlt.records import KAFKA_ID, Filters, UnknownId, get_row, list_rows, resolve
from legato.dlt.replay import ReplayOutcome
from legato.payloads import InvalidValue, configured, parse_checked
from legato.settings import Settings
from legato.store import runs_sql
from legato_worker.protocol import headers
from legato_worker.protocol.topics import jobs_dlt_topic, results_dlt_topic

DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
LIST_COLUMNS = [
    "id",
    "failedAt",
    "workflowId",
    "runId",
    "stepId",
    "attempts",
    "errorType",
    "reason",
    "replayed",
    "errorMessage",
]


class CliError(Exception):
    """A usage error or an unknown id: printed, exit code 2."""


class UndecodableRecord(CliError):
    """A Kafka record that names no job: it can be shown (--kafka), never replayed."""


def register(sub: Any) -> None:
    p = sub.add_parser("dlt", help="list, show and replay dead letters")
    dsub = p.add_subparsers(dest="dlt_command", required=True)

    ls = dsub.add_parser("list", help="list dead letters, oldest first")
    ls.add_argument("--workflow", help="only this workflow id")
    ls.add_argument("--action", help="only this action")
    ls.add_argument("--error-type", help="only this error type")
    ls.add_argument("--since", help="only newer than this: an ISO time, or a duration like 30m, 2h, 1d")
    ls.add_argument("--run-id", help="only this run")
    ls.add_argument("--pending", action="store_true", help="only those not replayed yet")
    ls.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    ls.add_argument("--after", metavar="ID", help="the page after this dead letter (the last ID shown)")
    source = ls.add_mutually_exclusive_group()
    source.add_argument("--kafka", action="store_true", help="scan workflow-jobs.DLT in Kafka instead")
    source.add_argument("--results", action="store_true", help="scan workflow-results.DLT in Kafka")
    ls.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    ls.set_defaults(run=cmd_list)

    show = dsub.add_parser("show", help="one dead letter: error, payload, headers and run history")
    show.add_argument("id", help="the ID column of `legato dlt list` (the dead job's id)")
    source = show.add_mutually_exclusive_group()
    source.add_argument(
        "--kafka", action="store_true", help="ID is <partition>-<offset> in workflow-jobs.DLT"
    )
    source.add_argument(
        "--results", action="store_true", help="ID is <partition>-<offset> in workflow-results.DLT"
    )
    show.set_defaults(run=cmd_show)

    rp = dsub.add_parser("replay", help="re-open the run and run the dead step again")
    which = rp.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", help="one dead letter")
    which.add_argument("--run-id", help="every dead letter of one run")
    which.add_argument("--all", action="store_true", help="every dead letter not replayed yet")
    rp.add_argument("--dry-run", action="store_true", help="say what would happen; change nothing")
    rp.add_argument("--payload", help="replace the step's input with this JSON (one dead letter only)")
    rp.add_argument("--rate", type=float, default=20.0, help="replays per second at most (default 20)")
    rp.add_argument("--json", action="store_true", help="print one JSON line per dead letter")
    rp.set_defaults(run=cmd_replay)

    im = dsub.add_parser(
        "import", help="index dead letters only workflow-jobs.DLT holds (dead before the table existed)"
    )
    im.set_defaults(run=cmd_import)


def _fail(message: str) -> int:
    print(f"legato dlt: {message}", file=sys.stderr)
    return 2


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[psycopg.Connection[Any]]:
    try:
        conn = psycopg.connect(settings.database_url, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise CliError(f"cannot reach PostgreSQL ({exc})".strip()) from exc
    with conn:
        yield conn


def _since(raw: str) -> datetime:
    m = DURATION.match(raw)
    if m:
        return datetime.now(UTC) - timedelta(**{UNITS[m.group(2)]: int(m.group(1))})
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise CliError(
            f"--since {raw!r}: use an ISO time (2026-11-22T10:00) or a duration (30m, 2h, 1d)"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise CliError(f"{what} {raw!r} is not a run id (a UUID)") from None


def _job_id(settings: Settings, conn: psycopg.Connection[Any], raw: str) -> uuid.UUID:
    """The dead job a dead letter id names: its job id, a unique prefix, or the Kafka record
    `<partition>-<offset>` of workflow-jobs.DLT (read from Kafka, while the topic holds it)."""
    m = KAFKA_ID.match(raw.strip())
    if m is None:
        try:
            return resolve(conn, raw)
        except UnknownId as exc:
            raise CliError(str(exc)) from None
    topic = jobs_dlt_topic(settings.jobs_topic)
    record = reader.read_record(settings.kafka_bootstrap_servers, topic, int(m.group(1)), int(m.group(2)))
    if record is None:
        raise CliError(
            f"no dead letter {raw!r}: {topic} does not hold that record (IDs are the dead job ids "
            "listed by `legato dlt list`; <partition>-<offset> names a Kafka record while the topic keeps it)"
        )
    if record.job_id is None:
        raise UndecodableRecord(
            f"{raw}: undecodable record ({record.decode_error}); see `legato dlt show --kafka {raw}`"
        )
    try:
        return resolve(conn, str(record.job_id))
    except UnknownId:
        raise CliError(
            f"{raw}: job {record.job_id} has no row in dead_letters (dead-lettered before it existed)"
        ) from None


def _table(rows: list[dict[str, Any]], cols: list[str]) -> None:
    table = [[str(s[c])[:19] if c == "failedAt" else str(s[c]) for c in cols] for s in rows]
    table = [[v[:60] if c != "id" else v for v, c in zip(row, cols, strict=True)] for row in table]
    widths = [max([len(c)] + [len(row[i]) for row in table]) for i, c in enumerate(cols)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)))
    for row in table:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _print_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        for s in rows:
            print(orjson.dumps(s).decode())
        return
    _table(rows, LIST_COLUMNS)
    print(f"{len(rows)} dead letter(s)")


def _guarded(command: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            code: int = command(args, Settings())
            return code
        except CliError as exc:
            return _fail(str(exc))

    return run


def _list(args: argparse.Namespace, settings: Settings) -> int:
    since = _since(args.since) if args.since else None
    if args.kafka or args.results:
        return _list_kafka(args, settings, since)
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    filters = Filters(
        workflow=args.workflow,
        action=args.action,
        error_type=args.error_type,
        run_id=_uuid(args.run_id, "--run-id") if args.run_id else None,
        since=since,
        pending=args.pending,
    )
    with _database(settings) as conn:
        after = get_row(conn, _job_id(settings, conn, args.after)) if args.after else None
        rows = list_rows(conn, filters, args.limit, after)
    _print_rows([r.summary() for r in rows], args.json)
    if len(rows) == args.limit:
        print(f"more: legato dlt list ... --after {rows[-1].id}", file=sys.stderr)
    return 0


def _list_kafka(args: argparse.Namespace, settings: Settings, since: datetime | None) -> int:
    topic = results_dlt_topic(settings.results_topic) if args.results else jobs_dlt_topic(settings.jobs_topic)
    out = []
    for r in reader.read_dead_letters(settings.kafka_bootstrap_servers, topic):
        s = r.summary()
        if (
            (args.workflow and s["workflowId"] != args.workflow)
            or (args.action and s["action"] != args.action)
            or (args.error_type and s["errorType"] != args.error_type)
            or (args.run_id and s["runId"] != args.run_id)
            or (since and r.failed_at < since)
        ):
            continue
        s["jobId"] = str(r.job_id) if r.job_id else (r.get(headers.JOB_ID) or None)
        out.append(s)
    if args.json:
        _print_rows(out[: args.limit], True)
    else:
        _table(out[: args.limit], [c for c in LIST_COLUMNS if c != "replayed"])
        print(f"{min(len(out), args.limit)} record(s) in {topic}")
    return 0


def _history(conn: psycopg.Connection[Any], run_id: uuid.UUID) -> list[dict[str, Any]]:
    events = conn.execute(runs_sql.GET_EVENTS, (run_id, 0, 1000)).fetchall()
    return [
        {"at": e[1].isoformat(), "type": e[2], "stepId": e[3], "attempt": e[4], "data": e[5]} for e in events
    ]


def _show(args: argparse.Namespace, settings: Settings) -> int:
    if args.kafka or args.results:
        return _show_kafka(args, settings)
    with _database(settings) as conn:
        record = get_row(conn, _job_id(settings, conn, args.id))
        if record is None:
            raise CliError(f"no dead letter {args.id!r}")
        out = record.detail()
        out["history"] = _history(conn, record.run_id)
    print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    return 0


def _show_kafka(args: argparse.Namespace, settings: Settings) -> int:
    m = KAFKA_ID.match(args.id)
    if m is None:
        raise CliError(f"{args.id!r}: with --kafka or --results, the ID is <partition>-<offset>")
    topic = results_dlt_topic(settings.results_topic) if args.results else jobs_dlt_topic(settings.jobs_topic)
    record = reader.read_record(settings.kafka_bootstrap_servers, topic, int(m.group(1)), int(m.group(2)))
    if record is None:
        raise CliError(f"no record {args.id!r} in {topic}")
    out: dict[str, Any] = {"id": record.id, "topic": record.topic, "headers": record.headers}
    if record.job is not None:
        job: dict[str, Any] = dict(record.job)
        with contextlib.suppress(orjson.JSONDecodeError):
            job["payload"] = orjson.loads(record.job["payload"])
        out["job"] = job
    else:
        out["decodeError"] = record.decode_error
        out["valueHex"] = (record.value or b"")[:512].hex()
    print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    return 0


def _report(outcome: Outcome, as_json: bool) -> None:
    result = outcome.result
    if as_json:
        line: dict[str, Any] = {"id": str(outcome.job_id), "outcome": "failed", "error": outcome.error}
        if result is not None:
            line = {
                "id": result.record.id,
                "outcome": result.outcome.value,
                "runId": str(result.record.run_id),
                "stepId": result.record.step_id,
                "itemIndex": result.record.item_index,
                "replayJobId": str(result.new_job_id) if result.new_job_id else None,
            }
        print(orjson.dumps(line).decode(), flush=True)
        return
    if result is None:
        print(f"legato dlt: {outcome.error}", file=sys.stderr, flush=True)
        return
    r = result.record
    print(f"{r.id}: {result.outcome.value} (run {r.run_id}, step {r.where})", flush=True)


def _replay(args: argparse.Namespace, settings: Settings) -> int:
    payload: Any = None
    if args.payload is not None:
        try:  # checked like every payload that enters (legato.payloads)
            payload = parse_checked(args.payload, configured(), "--payload")
        except InvalidValue as exc:
            raise CliError(str(exc)) from None
    if args.rate <= 0:
        raise CliError("--rate must be positive")
    with _database(settings) as conn:
        if args.id:
            try:
                ids = [_job_id(settings, conn, args.id)]
            except UndecodableRecord as exc:
                print(f"legato dlt: {exc}", file=sys.stderr)
                return 1
        elif args.run_id:
            ids = select_run(conn, _uuid(args.run_id, "--run-id"))
            if not ids:
                raise CliError(f"no dead letter for run {args.run_id}")
        else:
            ids = select_not_replayed(conn)
        if payload is not None:
            _one_for_payload(conn, ids)
        outcomes = replay_each(conn, ids, payload, args.dry_run, args.rate, lambda o: _report(o, args.json))
    failed = sum(1 for o in outcomes if o.result is None)
    if args.id and outcomes and outcomes[0].result is not None:
        if outcomes[0].result.outcome is ReplayOutcome.ALREADY_REPLAYED and not args.json:
            print("  the step was not dispatched again", file=sys.stderr)
    elif not args.json:
        counts = {o.value: 0 for o in ReplayOutcome}
        for o in outcomes:
            if o.result is not None:
                counts[o.result.outcome.value] += 1
        done = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
        print(f"{len(outcomes)} dead letter(s): {done + ', ' if done else ''}{failed} failed")
    return 1 if failed else 0


def _one_for_payload(conn: psycopg.Connection[Any], ids: list[uuid.UUID]) -> None:
    """--payload replaces one step's input: a selection that would dispatch more is refused."""
    pending = pending_of(conn, ids)
    if len(pending) <= 1:
        return
    listed = ", ".join(f"{r.id} ({r.where})" for r in pending[:5])
    more = f" and {len(pending) - 5} more" if len(pending) > 5 else ""
    raise CliError(
        f"--payload replaces the input of one step, but this selection holds {len(pending)} dead "
        f"letters not replayed yet: {listed}{more}. Replay them one at a time with --id ID --payload JSON, "
        "or without --payload"
    )


def _import(args: argparse.Namespace, settings: Settings) -> int:
    topic = jobs_dlt_topic(settings.jobs_topic)
    records = reader.read_dead_letters(settings.kafka_bootstrap_servers, topic)
    with _database(settings) as conn:
        added = import_rows(conn, records)
    print(f"{added} dead letter(s) indexed from {topic} ({len(records)} record(s) read)")
    return 0


cmd_list = _guarded(_list)
cmd_show = _guarded(_show)
cmd_replay = _guarded(_replay)
cmd_import = _guarded(_import)
