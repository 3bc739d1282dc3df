"""Signals: what a run receives from the outside world, and the steps that wait for them.

A signal is kept (PostgreSQL, `signals`) in arrival order from the moment it is received. A signal
step that starts waiting takes the oldest signal of its name not yet taken, at once if one is
queued; a signal that arrives while steps wait goes to the one that has waited longest. Either way
it happens under the run's lock, in the transaction that makes the match (`deliver`), so several
senders and several orchestrators never hand one signal to two steps or two signals to one step.
A paused run takes no signal until it is resumed; one that ended takes none.
"""

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import orjson
import psycopg

from legato.definitions import Definition
from legato.store import signals_sql
from legato.store.rows import fetch_all
from legato.store.signals_sql import ConsumedRow, DueStepRow
from legato.workflow.model import Ended, Event, RunRef, StepUpdate
from legato.workflow.starts import retry_or_fail
from legato.workflow.transitions import Planner

Cursor = psycopg.Cursor[Any]
SIGNAL_TIMEOUT = "SignalTimeout"


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _ref(row: ConsumedRow | DueStepRow) -> RunRef:
    return RunRef(row.run_id, row.workflow_id, row.version, row.correlation_id, row.trace_context)


def deliver(cur: Cursor, planner: Planner, runs: Sequence[UUID]) -> int:
    """Hand the queued signals of `runs` (locked by the caller) to their waiting steps; each step
    that takes one completes with its payload (in `planner.plan.ended`). Returns how many."""
    if not runs:
        return 0
    rows = fetch_all(cur, ConsumedRow, signals_sql.CONSUME, {"runs": sorted(set(runs))})
    for row in rows:
        data = _json({"name": row.name, "signalId": row.signal_id})
        planner.plan.events.append(Event(row.run_id, "SIGNAL_CONSUMED", row.step_id, row.attempts, data))
        planner.plan.events.append(Event(row.run_id, "STEP_COMPLETED", row.step_id, row.attempts))
        planner.plan.ended.append(Ended(_ref(row), row.step_id, row.payload))
    return len(rows)


def time_out(
    cur: Cursor, planner: Planner, runs: Sequence[UUID], lookup: Callable[[str, int], Definition]
) -> None:
    """Signal waits of `runs` (locked) whose timeout passed: the step takes its `default`, or waits
    again by its retry policy, or fails with SignalTimeout (and its run with it)."""
    for row in fetch_all(cur, DueStepRow, signals_sql.DUE_TIMEOUTS, (list(runs),)):
        run = _ref(row)
        step = lookup(row.workflow_id, row.version).by_id[row.step_id]
        assert step.signal is not None
        timeout_s = (step.signal.timeout_ms or 0) / 1000
        planner.plan.events.append(
            Event(
                row.run_id, "SIGNAL_TIMED_OUT", row.step_id, row.attempts, _json({"name": step.signal.name})
            )
        )
        if step.signal.has_default:
            output = _json(step.signal.default)
            planner.plan.steps.append(
                StepUpdate(row.run_id, row.step_id, "COMPLETED", row.attempts, output=output, ended=True)
            )
            planner.plan.events.append(
                Event(row.run_id, "STEP_COMPLETED", row.step_id, row.attempts, '{"default": true}')
            )
            planner.plan.ended.append(Ended(run, row.step_id, output))
            continue
        message = f"no signal {step.signal.name!r} arrived within timeoutSeconds ({timeout_s:g} s)"
        retry_or_fail(planner, run, step, row.attempts, SIGNAL_TIMEOUT, message, {"signal": step.signal.name})
