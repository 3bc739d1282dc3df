"""`legato dlt list | show | replay`: inspect dead letters and replay them into their runs."""

import argparse
import contextlib
import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg

from legato.dlt import DeadLetterRecord, ReplayError, read_dead_letters, replay
from legato.dlt.replay import ReplayOutcome
from legato.payloads import InvalidValue, configured, parse_checked
from legato.settings import Settings
from legato.store import dlt_sql, runs_sql
from legato_worker.protocol.topics import jobs_dlt_topic, results_dlt_topic

DURATION = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def register(sub: Any) -> None:
    p = sub.add_parser("dlt", help="list, show and replay dead letters")
    dsub = p.add_subparsers(dest="dlt_command", required=True)

    ls = dsub.add_parser("list", help="list dead letters, oldest first")
    ls.add_argument("--workflow", help="only this workflow id")
    ls.add_argument("--action", help="only this action")
    ls.add_argument("--error-type", help="only this error type")
    ls.add_argument("--since", help="only newer than this: an ISO time, or a duration like 30m, 2h, 1d")
    ls.add_argument("--run-id", help="only this run")
    ls.add_argument("--results", action="store_true", help="list workflow-results.DLT instead")
    ls.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    ls.set_defaults(run=cmd_list)

    show = dsub.add_parser("show", help="one dead letter: headers, payload, error and run history")
    show.add_argument("id", help="the ID column of `legato dlt list` (partition-offset)")
    show.add_argument("--results", action="store_true", help="look in workflow-results.DLT")
    show.set_defaults(run=cmd_show)

    rp = dsub.add_parser("replay", help="re-open the run and run the dead step again")
    which = rp.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", help="one dead letter")
    which.add_argument("--run-id", help="every dead letter of one run")
    which.add_argument("--all", action="store_true", help="every dead letter not replayed yet")
    rp.add_argument("--dry-run", action="store_true", help="say what would happen; change nothing")
    rp.add_argument("--payload", help="replace the step's input with this JSON")
    rp.add_argument("--rate", type=float, default=20.0, help="replays per second at most (default 20)")
    rp.set_defaults(run=cmd_replay)


def _fail(message: str) -> int:
    print(f"legato dlt: {message}", file=sys.stderr)
    return 2


def _since(raw: str) -> datetime:
    m = DURATION.match(raw)
    if m:
        return datetime.now(UTC) - timedelta(**{UNITS[m.group(2)]: int(m.group(1))})
    at = datetime.fromisoformat(raw)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _records(settings: Settings, results: bool = False) -> list[DeadLetterRecord]:
    topic = results_dlt_topic(settings.results_topic) if results else jobs_dlt_topic(settings.jobs_topic)
    return read_dead_letters(settings.kafka_bootstrap_servers, topic)


def _replayed(settings: Settings, records: list[DeadLetterRecord]) -> set[uuid.UUID]:
    ids = [r.job_id for r in records if r.job_id]
    if not ids:
        return set()
    with psycopg.connect(settings.database_url) as conn:
        return {row[0] for row in conn.execute(dlt_sql.REPLAYED_MANY, (ids,)).fetchall()}


def cmd_list(args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        since = _since(args.since) if args.since else None
    except ValueError:
        return _fail(
            f"--since {args.since!r}: use an ISO time (2026-11-22T10:00) or a duration (30m, 2h, 1d)"
        )
    records = _records(settings, args.results)
    replayed = _replayed(settings, records)
    rows = []
    for r in records:
        s = r.summary()
        if (
            (args.workflow and s["workflowId"] != args.workflow)
            or (args.action and s["action"] != args.action)
            or (args.error_type and s["errorType"] != args.error_type)
            or (args.run_id and s["runId"] != args.run_id)
            or (since and r.failed_at < since)
        ):
            continue
        s["replayed"] = r.job_id in replayed
        rows.append(s)
    if args.json:
        for s in rows:
            print(orjson.dumps(s).decode())
        return 0
    cols = [
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
    table = [[str(s[c])[:19] if c == "failedAt" else str(s[c]) for c in cols] for s in rows]
    table = [[v[:60] for v in row] for row in table]
    widths = [max([len(c)] + [len(row[i]) for row in table]) for i, c in enumerate(cols)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)))
    for row in table:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))
    print(f"{len(rows)} dead letter(s)")
    return 0


def _find(settings: Settings, record_id: str, results: bool = False) -> DeadLetterRecord | None:
    return next((r for r in _records(settings, results) if r.id == record_id), None)


def cmd_show(args: argparse.Namespace) -> int:
    settings = Settings()
    record = _find(settings, args.id, args.results)
    if record is None:
        return _fail(f"no dead letter {args.id!r} (IDs are listed by `legato dlt list`)")
    out: dict[str, Any] = {"id": record.id, "topic": record.topic, "headers": record.headers}
    if record.job is not None:
        job: dict[str, Any] = dict(record.job)
        with contextlib.suppress(orjson.JSONDecodeError):
            job["payload"] = orjson.loads(record.job["payload"])
        out["job"] = job
        with psycopg.connect(settings.database_url) as conn:
            run_id = uuid.UUID(record.job["runId"])
            events = conn.execute(runs_sql.GET_EVENTS, (run_id, 0, 1000)).fetchall()
            replay_row = conn.execute(dlt_sql.REPLAYED, (record.job_id,)).fetchone()
        out["history"] = [
            {"at": e[1].isoformat(), "type": e[2], "stepId": e[3], "attempt": e[4], "data": e[5]}
            for e in events
        ]
        out["replayed"] = (
            {"newJobId": str(replay_row[1]), "at": replay_row[2].isoformat()} if replay_row else None
        )
    else:
        out["decodeError"] = record.decode_error
        out["valueHex"] = (record.value or b"")[:512].hex()
    print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    settings = Settings()
    payload: Any = None
    if args.payload is not None:
        try:  # checked like every payload that enters (legato.payloads)
            payload = parse_checked(args.payload, configured(), "--payload")
        except InvalidValue as exc:
            return _fail(str(exc))
    if args.rate <= 0:
        return _fail("--rate must be positive")
    records = _records(settings)
    if args.id:
        chosen = [r for r in records if r.id == args.id]
        if not chosen:
            return _fail(f"no dead letter {args.id!r} (IDs are listed by `legato dlt list`)")
    elif args.run_id:
        chosen = [r for r in records if r.summary()["runId"] == args.run_id]
        if not chosen:
            return _fail(f"no dead letter for run {args.run_id}")
    else:
        done = _replayed(settings, records)
        chosen = [r for r in records if r.job_id is not None and r.job_id not in done]
    failures = 0
    interval = 1 / args.rate
    with psycopg.connect(settings.database_url) as conn:
        for n, record in enumerate(chosen):
            if n:
                time.sleep(interval)  # the rate limit itself, not a wait for a condition
            try:
                result = replay(conn, record, payload, args.dry_run)
                print(f"{record.id}: {result.outcome.value} (run {result.run_id}, step {result.step_id})")
                if result.outcome is ReplayOutcome.ALREADY_REPLAYED and args.id:
                    print("  the step was not dispatched again", file=sys.stderr)
            except ReplayError as exc:
                failures += 1
                print(f"legato dlt: {exc}", file=sys.stderr)
    return 1 if failures else 0
