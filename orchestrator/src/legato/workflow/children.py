"""Child workflows: a workflow step runs another workflow and completes with its output.

- **Start.** A step's attempt starts exactly one child run, in the transaction that starts the
  step (`start_children`, called by workflow.settle): the child's row, steps, first jobs and the
  parent step's link commit together or not at all, so a crash at any point leaves either no child
  or one. The child runs the version the step names, or the latest one when the step starts. An
  unknown workflow, or a child deeper than MAX_CHILD_DEPTH (a workflow that starts itself), fails
  the step at once. A paused parent starts no child: the step waits, ready, for the resume.
- **End.** When a child ends, its parent's step completes with the child's output, or fails
  (ChildFailed, ChildCancelled) and its retry policy may start a new child (`close_children`, on
  the scheduler's tick).
- **Cancel cascade.** A run that ends (cancelled, failed) cancels its open children, and theirs in
  turn (`cancel_orphans`, on the same tick).
"""

import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import orjson
import psycopg
from uuid_utils.compat import uuid7

from legato.definitions import Definition
from legato.definitions.limits import MAX_CHILD_DEPTH
from legato.store import attempts_sql, bulk_sql, children_sql, engine_sql, runs_sql
from legato.store.children_sql import EndedChildRow, OrphanRow, ParentRow, RestartRow, VersionRow
from legato.store.join_sql import RunIdRow
from legato.store.rows import fetch_all
from legato.workflow import starts
from legato.workflow.model import Ended, Event, NewChild, Plan, RunRef, RunUpdate, StepUpdate
from legato.workflow.transitions import Planner

Cursor = psycopg.Cursor[Any]
Lookup = Callable[[str, int], Definition]
BATCH = 500


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def step_rows(run_id: UUID, definition: Definition) -> list[tuple[Any, ...]]:
    """A new run's rows of runs_sql.INSERT_STEPS."""
    return [
        (run_id, s.id, s.action, len(s.depends_on), n, s.signal.name if s.signal else None)
        for n, s in enumerate(definition.steps, start=1)
    ]


def start_children(cur: Cursor, planner: Planner, children: Sequence[NewChild], lookup: Lookup) -> None:
    """Start the child runs `children` asks for (their parents are locked by the caller); the
    children's first steps go into `planner`'s plan."""
    if not children:
        return
    versions = fetch_all(
        cur,
        VersionRow,
        children_sql.RESOLVE_VERSIONS,
        ([c.workflow_id for c in children], [c.version for c in children]),
    )
    parents = {
        p.run_id: p
        for p in fetch_all(cur, ParentRow, children_sql.PARENTS, (sorted({c.run.run_id for c in children}),))
    }
    held: list[NewChild] = []
    runs: list[tuple[Any, ...]] = []
    steps: list[tuple[Any, ...]] = []
    links: list[tuple[UUID, str, UUID]] = []
    for child, found in zip(children, versions, strict=True):
        parent = parents[child.run.run_id]
        step = lookup(child.run.workflow_id, child.run.version).by_id[child.step_id]
        if parent.status == "PAUSED":
            held.append(child)
            continue
        if found.version is None:
            which = f"version {child.version} of " if child.version is not None else ""
            starts.fail_step(
                planner,
                child.run,
                step,
                "UnknownWorkflow",
                f"no {which}workflow {child.workflow_id!r} is defined",
            )
            continue
        if parent.depth + 1 > MAX_CHILD_DEPTH:
            starts.fail_step(
                planner,
                child.run,
                step,
                "ChildDepthExceeded",
                f"a child run {parent.depth + 1} levels deep would pass the limit of {MAX_CHILD_DEPTH} "
                "(does the workflow start itself?)",
            )
            continue
        definition = lookup(child.workflow_id, found.version)
        run_id = uuid7()
        ref = RunRef(
            run_id, child.workflow_id, found.version, child.run.correlation_id, child.run.trace_context
        )
        runs.append(
            (
                run_id,
                child.workflow_id,
                found.version,
                child.input,
                child.run.correlation_id,
                len(definition.sinks),
                child.run.trace_context,
                child.run.run_id,
                child.step_id,
                parent.depth + 1,
            )
        )
        steps += step_rows(run_id, definition)
        links.append((child.run.run_id, child.step_id, run_id))
        planner.plan.started.append(child.workflow_id)
        started = {"childRunId": str(run_id), "workflowId": child.workflow_id, "version": found.version}
        planner.plan.events.append(
            Event(child.run.run_id, "CHILD_STARTED", child.step_id, child.attempt, _json(started))
        )
        created = {
            "version": found.version,
            "parentRunId": str(child.run.run_id),
            "parentStepId": child.step_id,
        }
        planner.plan.events.append(Event(run_id, "RUN_CREATED", data=_json(created)))
        ctx = starts.context(orjson.loads(child.input), {})
        for root in definition.roots:
            starts.start(planner, ref, definition.by_id[root], ctx)
    if runs:
        cur.execute(children_sql.INSERT_CHILD_RUNS, [list(col) for col in zip(*runs, strict=True)])
        cur.execute(runs_sql.INSERT_STEPS, [list(col) for col in zip(*steps, strict=True)])
        cur.execute(children_sql.LINK_CHILDREN, [list(col) for col in zip(*links, strict=True)])
    if held:
        cur.execute(children_sql.HOLD_STEPS, ([c.run.run_id for c in held], [c.step_id for c in held]))


def close_children(cur: Cursor, lookup: Lookup, jobs_prefix: str) -> Plan:
    """Workflow steps whose child ended: completed with its output, or failed (and retried by their
    policy). Locks the parents it closes steps of (SKIP LOCKED: a parent held elsewhere waits a tick)."""
    parents = [r.run_id for r in fetch_all(cur, RunIdRow, children_sql.LOCK_PARENTS_OF_ENDED, (BATCH,))]
    planner = Planner(jobs_prefix, int(time.time() * 1000))
    if not parents:
        return planner.plan
    for row in fetch_all(cur, EndedChildRow, children_sql.ENDED_CHILDREN, (parents,)):
        child_ended(planner, row, lookup)
    return planner.plan


def child_ended(planner: Planner, row: EndedChildRow, lookup: Lookup) -> None:
    """What one ended child run does to its parent's workflow step (also the test kit's rule:
    legato_worker.testing)."""
    run = RunRef(row.run_id, row.workflow_id, row.version, row.correlation_id, row.trace_context)
    step = lookup(row.workflow_id, row.version).by_id[row.step_id]
    child = str(row.child_run_id)
    data = {"childRunId": child, "status": row.child_status}
    planner.plan.events.append(Event(row.run_id, "CHILD_ENDED", row.step_id, row.attempts, _json(data)))
    if row.child_status == "COMPLETED":
        output = row.child_output or "null"
        planner.plan.steps.append(
            StepUpdate(row.run_id, row.step_id, "COMPLETED", row.attempts, output=output, ended=True)
        )
        planner.plan.events.append(Event(row.run_id, "STEP_COMPLETED", row.step_id, row.attempts))
        planner.plan.ended.append(Ended(run, row.step_id, output))
        return
    error_type = "ChildFailed" if row.child_status == "FAILED" else "ChildCancelled"
    extra: dict[str, Any] = {"childRunId": child}
    if row.child_error is not None:
        extra["childError"] = orjson.loads(row.child_error)
    message = f"child run {child} of workflow {step.child.workflow_id if step.child else '?'} " + (
        "failed" if row.child_status == "FAILED" else "was cancelled"
    )
    starts.retry_or_fail(planner, run, step, row.attempts, error_type, message, extra)


def restart(cur: Cursor, planner: Planner, runs: Sequence[UUID], lookup: Lookup) -> None:
    """Signal waits and child runs of `runs` (locked) whose retry delay is over start their next
    attempt."""
    for row in fetch_all(cur, RestartRow, children_sql.DUE_RESTARTS, (list(runs),)):
        run = RunRef(row.run_id, row.workflow_id, row.version, row.correlation_id, row.trace_context)
        step = lookup(row.workflow_id, row.version).by_id[row.step_id]
        if step.signal is not None:
            starts.wait_for_signal(planner, run, step, row.attempts)
        elif step.child is not None:
            starts.start_child(planner, run, step, row.attempts, row.input or "null")


def cancel_orphans(cur: Cursor) -> list[RunUpdate]:
    """Cancel the open children of runs that ended (their own children follow on the next tick)."""
    rows = fetch_all(cur, OrphanRow, children_sql.LOCK_ORPHANS, (BATCH,))
    if not rows:
        return []
    orphans = [r.run_id for r in rows]
    cur.execute(bulk_sql.CANCEL_RUNS, (orphans,))
    cur.execute(bulk_sql.CANCEL_STEPS, (orphans,))
    cur.execute(bulk_sql.CANCEL_ITEMS, (orphans,))
    cur.execute(attempts_sql.WITHDRAW_RUN_JOBS, (orphans, "RunCancelled", "the parent run ended"))
    data = _json({"reason": "the parent run ended"})
    cur.execute(bulk_sql.INSERT_EVENTS, ("RUN_CANCELLED", orphans, [data] * len(orphans)))
    cur.execute(engine_sql.NOTIFY_WITHDRAWALS)
    return [RunUpdate(r.run_id, "CANCELLED", workflow_id=r.workflow_id) for r in rows]
