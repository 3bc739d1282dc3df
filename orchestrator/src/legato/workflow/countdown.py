"""Counting a batch's dependants down in the claim's round trip, when the batch's outcome is known.

A step that ends counts each of its dependants' open dependencies down (DECREMENT_DEPS) and, a
sink, its run's open sinks (CLOSE_SINKS). settle asks for both once the batch is decided and
written: a round trip of its own, per batch. In the common batch, every result a COMPLETED task of
a run the engine has claimed a result of before (it knows the run's workflow), which steps end is
known before the claim, so `count_down` sends both statements ahead of it, in its round trip.

Once the batch is decided, settle checks (`Countdown.confirmed`): the steps that ended are the
ones counted, and nothing else in the batch touches what the counts read (no run ended, no map
item, child run, signal wait or dead letter). Then it uses the rows; otherwise it first gives the
counts back (the same statements, negated, pipelined ahead of everything else) and counts down as
always. Either way the transaction writes what it wrote before, and the runs are locked throughout.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from legato.definitions import Definition
from legato.store import join_sql
from legato.store.join_sql import DependantRow, SinksRow
from legato.store.rows import typed_cursor
from legato.workflow.model import Ended, Plan
from legato_protocol import Result

Cursor = psycopg.Cursor[Any]
Lookup = Callable[[str, int], Definition]


@dataclass(slots=True)
class Counts:
    """Dependencies closed per (run, dependant), and sinks closed per run."""

    deps: Counter[tuple[UUID, str]]
    sinks: Counter[UUID]


def counts_of(ended: Iterable[tuple[UUID, Definition, str]]) -> Counts:
    """What the steps `ended` ((run, its definition, step id), one per ending) count down."""
    deps: Counter[tuple[UUID, str]] = Counter()
    sinks: Counter[UUID] = Counter()
    for run_id, definition, step_id in ended:
        dependants = definition.dependants[step_id]
        if not dependants:
            sinks[run_id] += 1
        for d in dependants:
            deps[(run_id, d)] += 1
    return Counts(deps, sinks)


def ended_counts(ended: Sequence[Ended], lookup: Lookup) -> Counts:
    return counts_of((e.run.run_id, lookup(e.run.workflow_id, e.run.version), e.step_id) for e in ended)


def decrement_deps(
    cur: Cursor, deps: Counter[tuple[UUID, str]], sign: int = 1
) -> psycopg.Cursor[DependantRow]:
    keys = sorted(deps)
    counting = typed_cursor(cur, DependantRow)
    counting.execute(
        join_sql.DECREMENT_DEPS, ([k[0] for k in keys], [k[1] for k in keys], [sign * deps[k] for k in keys])
    )
    return counting


def close_sinks(cur: Cursor, sinks: Counter[UUID], sign: int = 1) -> psycopg.Cursor[SinksRow]:
    ids = sorted(sinks)
    closing = typed_cursor(cur, SinksRow)
    closing.execute(join_sql.CLOSE_SINKS, (ids, [sign * sinks[i] for i in ids]))
    return closing


class Countdown:
    """Counts sent ahead of a batch's claim; their rows are read after its round trip."""

    def __init__(self, cur: Cursor, counts: Counts) -> None:
        self.counts = counts
        self._deps = decrement_deps(cur, counts.deps) if counts.deps else None
        self._sinks = close_sinks(cur, counts.sinks) if counts.sinks else None

    def confirmed(self, plan: Plan, lookup: Lookup) -> bool:
        """The batch, as decided, counts down exactly this and changes nothing else they read."""
        if plan.runs or plan.items_done or plan.children or plan.signal_waits or plan.dead_letters:
            return False
        return ended_counts(plan.ended, lookup) == self.counts

    def give_back(self, cur: Cursor) -> None:
        """Undo the counts (before anything else in the transaction reads them)."""
        if self.counts.deps:
            decrement_deps(cur, self.counts.deps, sign=-1)
        if self.counts.sinks:
            close_sinks(cur, self.counts.sinks, sign=-1)

    def dependants(self) -> list[DependantRow]:
        return self._deps.fetchall() if self._deps is not None else []

    def sinks(self) -> list[SinksRow]:
        return self._sinks.fetchall() if self._sinks is not None else []


def count_down(
    cur: Cursor, results: Sequence[Result], workflows: Mapping[UUID, tuple[str, int]], lookup: Lookup
) -> Countdown | None:
    """Send the counts of `results` if each is a COMPLETED task of a run in `workflows` (run ->
    its workflow id and version); None (nothing sent) otherwise."""
    ended: dict[str, tuple[UUID, Definition, str]] = {}
    for r in results:
        if r["status"] != "COMPLETED":
            return None
        try:
            run_id = UUID(r["runId"])
        except ValueError:
            return None
        workflow = workflows.get(run_id)
        if workflow is None:
            return None
        definition = lookup(*workflow)
        step = definition.by_id.get(r["stepId"])
        if step is None or step.kind != "task":
            return None
        ended.setdefault(r["jobId"], (run_id, definition, step.id))  # the claim takes a job's first
    counted = counts_of(ended.values())
    if not counted.deps and not counted.sinks:
        return None
    return Countdown(cur, counted)
