"""Concurrency keys: at most `limit` open runs of a workflow per key (docs/flow-control.md).

A trigger renders each new run's key from its input and `decide`s, under the keys' locks, whether
the run starts, waits PENDING (`queue`: also while older runs of its key wait, so a key's runs start
in order), is cancelled on arrival (`cancelNewest`), or starts and displaces the oldest open runs of
its key (`cancelOldest`). `release` (the engine's tick) starts the PENDING runs that free slots
allow, round robin across keys, so one busy key never holds up another.
"""

import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
import psycopg

from legato.definitions import Definition, ExpressionError
from legato.definitions.model import Concurrency
from legato.store import concurrency_sql as sql
from legato.store.concurrency_sql import OpenRow, PendingKeyRow, ReleasedRow, RunIdRow
from legato.store.rows import fetch_all
from legato.workflow import starts
from legato.workflow.model import Event, RunRef
from legato.workflow.transitions import Planner

Cursor = psycopg.Cursor[Any]
Lookup = Callable[[str, int], Definition]

MAX_KEY = 256  # longer keys are kept as their hash
RELEASE_BATCH = 500
KEYS_PER_ROUND = 1000


def render_key(concurrency: Concurrency, run_input: Any) -> str | None:
    """The run's key: its expression over the input; None (the run is held by no key) when it gives
    null or cannot be evaluated. A string is the key itself, another value its JSON."""
    try:
        value = concurrency.key.evaluate({"input": run_input})
    except ExpressionError:
        return None
    if value is None:
        return None
    key = value if isinstance(value, str) else orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if len(key) > MAX_KEY:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


@dataclass(frozen=True, slots=True)
class Keyed:
    """A new run of a workflow with a concurrency key."""

    run_id: UUID
    workflow_id: str
    key: str
    concurrency: Concurrency


@dataclass(slots=True)
class Decisions:
    pending: set[UUID] = field(default_factory=set)  # wait for a slot of their key
    cancelled: set[UUID] = field(default_factory=set)  # cancelled on arrival
    displaced: list[UUID] = field(default_factory=list)  # open runs the new ones cancel (cancelOldest)


def decide(cur: Cursor, keyed: list[Keyed]) -> Decisions:
    """Under the keys' locks (held until commit), what each new run of `keyed` does, in order."""
    decisions = Decisions()
    if not keyed:
        return decisions
    pairs = sorted({(k.workflow_id, k.key) for k in keyed})
    columns = ([w for w, _ in pairs], [k for _, k in pairs])
    cur.execute(sql.LOCK_KEYS, columns)
    counts = {
        (r.workflow_id, r.concurrency_key): r for r in fetch_all(cur, OpenRow, sql.OPEN_BY_KEY, columns)
    }
    running = {p: counts[p].running if p in counts else 0 for p in pairs}
    pending = {p: counts[p].pending if p in counts else 0 for p in pairs}
    started: dict[tuple[str, str], deque[UUID]] = {p: deque() for p in pairs}  # this batch's, oldest first
    for k in keyed:
        p, limit, policy = (k.workflow_id, k.key), k.concurrency.limit, k.concurrency.on_limit
        if policy == "queue" and (pending[p] or running[p] >= limit):
            decisions.pending.add(k.run_id)
            pending[p] += 1
        elif policy == "cancelNewest" and running[p] >= limit:
            decisions.cancelled.add(k.run_id)
        else:
            if running[p] >= limit:  # cancelOldest: the oldest open run makes room
                _displace(cur, p, started[p], decisions)
            else:
                running[p] += 1
            started[p].append(k.run_id)
    return decisions


def _displace(cur: Cursor, key: tuple[str, str], started: deque[UUID], decisions: Decisions) -> None:
    """Cancel the oldest open run of `key`: one stored before this batch, else this batch's oldest."""
    taken = set(decisions.displaced)
    rows = fetch_all(cur, RunIdRow, sql.OLDEST_OPEN, (*key, len(taken) + 1))
    stored = [r.run_id for r in rows if r.run_id not in taken]
    if stored:
        decisions.displaced.append(stored[0])
    elif started:
        decisions.cancelled.add(started.popleft())


def release(cur: Cursor, lookup: Lookup, jobs_prefix: str) -> tuple[Planner, list[ReleasedRow]]:
    """Start the PENDING runs that free slots of their keys allow (keys another orchestrator is
    releasing are skipped); answers the plan that starts them, not yet written."""
    planner = Planner(jobs_prefix, int(time.time() * 1000))
    keys = fetch_all(cur, PendingKeyRow, sql.PENDING_KEYS, (KEYS_PER_ROUND,))
    if not keys:
        return planner, []
    limits = {}
    for k in keys:
        concurrency = lookup(k.workflow_id, k.version).concurrency
        limits[(k.workflow_id, k.concurrency_key)] = None if concurrency is None else concurrency.limit
    locked = fetch_all(
        cur, sql.KeyRow, sql.TRY_LOCK_KEYS, ([k.workflow_id for k in keys], [k.concurrency_key for k in keys])
    )
    if not locked:
        return planner, []
    released = fetch_all(
        cur,
        ReleasedRow,
        sql.RELEASE,
        {
            "workflows": [k.workflow_id for k in locked],
            "keys": [k.concurrency_key for k in locked],
            "limits": [limits[(k.workflow_id, k.concurrency_key)] for k in locked],
            "batch": RELEASE_BATCH,
        },
    )
    for r in released:
        run = RunRef(r.run_id, r.workflow_id, r.version, r.correlation_id, r.trace_context)
        data = {"concurrencyKey": r.concurrency_key}
        planner.plan.events.append(Event(r.run_id, "RUN_STARTED", data=orjson.dumps(data).decode()))
        starts.start_run(planner, run, lookup(r.workflow_id, r.version), r.input)
    return planner, released
