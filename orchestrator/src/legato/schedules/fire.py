"""Fire a schedule: fire times become runs, exactly once each, under the overlap policy.

Called with the schedule's row locked (by the scheduler's tick, a manual trigger or a backfill),
in the caller's transaction:

1. A buffered fire time starts first, once the schedule has no open run.
2. The new fire times are claimed: a `schedule_fires` row per fire time, ON CONFLICT DO NOTHING. A
   fire time someone handled before (another orchestrator, a tick before a crash whose commit
   landed) is not claimed again, so it never starts a second run.
3. Each claimed fire time is decided in order, counting the schedule's open runs:
   - no open run (and none buffered): it starts;
   - `allowAll`: it starts anyway;
   - `skip`: it is skipped;
   - `bufferOne`: it is buffered if nothing is, else skipped; `bufferAll` (backfills): buffered;
   - `cancelOther`: the open runs are cancelled and it starts (of several fire times handled at
     once, only the last starts: the others would be cancelled by it at once).
4. The runs are written with the trigger path's set-based statements (runs.trigger), each with
   the Idempotency-Key `schedule:{id}:{fireTime}`, `scheduleId` and `scheduledAt`.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from legato import metrics
from legato.definitions.registry import UnknownWorkflow
from legato.idempotency import record
from legato.runs.bulk import cancel_batch
from legato.runs.trigger import TriggerRequest, Triggers, Written
from legato.store import schedules_sql
from legato.store.rows import fetch_all
from legato.store.schedules_sql import BufferedFireRow, ClaimedFireRow, OpenRunRow, ScheduleRow

OVERLAPS = ("skip", "bufferOne", "allowAll", "cancelOther")
BACKFILL_OVERLAPS = (*OVERLAPS, "bufferAll")
SOURCES = ("schedule", "catchup", "manual", "backfill")

Cursor = psycopg.Cursor[Any]


@dataclass(frozen=True, slots=True)
class Fire:
    fire_time: datetime
    source: str  # one of SOURCES


@dataclass(frozen=True, slots=True)
class Fired:
    fire_time: datetime
    source: str
    outcome: str  # started | skipped | buffered | failed
    run_id: UUID | None = None
    message: str | None = None


@dataclass(slots=True)
class Firing:
    """What one transaction did to a schedule; `count` once it has committed."""

    fired: list[Fired] = field(default_factory=list)  # the new fire times, in order
    promoted: list[Fired] = field(default_factory=list)  # buffered fire times that started
    already: int = 0  # fire times handled before
    cancelled: list[UUID] = field(default_factory=list)
    written: list[Written] = field(default_factory=list)

    def outcomes(self) -> Counter[str]:
        return Counter(f.outcome for f in self.fired)

    def count(self) -> None:
        for w in self.written:
            w.count()
        for f in (*self.fired, *self.promoted):
            metrics.child(metrics.SCHEDULE_FIRES, f.outcome).inc()


def key_of(schedule_id: str, fire_time: datetime) -> str:
    """A scheduled run's Idempotency-Key: the fire time is the run's identity."""
    return f"schedule:{schedule_id}:{fire_time.isoformat()}"


def fire(cur: Cursor, writer: Triggers, schedule: ScheduleRow, fires: list[Fire], overlap: str) -> Firing:
    sid = schedule.schedule_id
    firing = Firing()
    open_runs = [r.run_id for r in fetch_all(cur, OpenRunRow, schedules_sql.OPEN_RUNS, (sid,))]
    buffered = fetch_all(cur, BufferedFireRow, schedules_sql.BUFFERED, (sid,))
    if buffered and not open_runs:
        head = buffered.pop(0)
        firing.promoted = _start(cur, writer, schedule, [Fire(head.fire_time, head.source)], firing)
        open_runs += [f.run_id for f in firing.promoted if f.run_id is not None]
    new = _claim(cur, sid, fires)
    firing.already = len(fires) - len(new)
    decided: list[Fired] = []
    starting: list[Fire] = []
    if overlap == "cancelOther" and new:
        decided += [
            Fired(f.fire_time, f.source, "skipped", None, "a later fire time replaced it") for f in new[:-1]
        ]
        if open_runs:
            reason = f"schedule {sid} fired again (overlap cancelOther)"
            firing.cancelled = cancel_batch(cur, open_runs, {"scheduleId": sid, "reason": reason})
        starting.append(new[-1])
    else:
        open_count, waiting = len(open_runs), len(buffered)
        for f in new:
            if overlap == "allowAll" or (open_count == 0 and waiting == 0):
                starting.append(f)
                open_count += 1
            elif overlap == "bufferAll" or (overlap == "bufferOne" and waiting == 0):
                decided.append(
                    Fired(f.fire_time, f.source, "buffered", None, "waits for the open run to end")
                )
                waiting += 1
            elif overlap == "bufferOne":
                decided.append(
                    Fired(f.fire_time, f.source, "skipped", None, "a fire time is buffered already")
                )
            else:
                decided.append(
                    Fired(f.fire_time, f.source, "skipped", None, "the previous run is still open")
                )
    decided += _start(cur, writer, schedule, starting, firing)
    firing.fired = sorted(decided, key=lambda f: f.fire_time)
    _settle(cur, sid, [*firing.promoted, *firing.fired])
    return firing


def _claim(cur: Cursor, sid: str, fires: list[Fire]) -> list[Fire]:
    if not fires:
        return []
    rows = fetch_all(
        cur,
        ClaimedFireRow,
        schedules_sql.CLAIM_FIRES,
        (sid, [f.fire_time for f in fires], [f.source for f in fires]),
    )
    claimed = {r.fire_time for r in rows}
    return [f for f in fires if f.fire_time in claimed]


def _start(
    cur: Cursor, writer: Triggers, schedule: ScheduleRow, fires: list[Fire], firing: Firing
) -> list[Fired]:
    if not fires:
        return []
    sid = schedule.schedule_id
    requests = [
        TriggerRequest(
            schedule.workflow_id,
            schedule.input,
            idempotency_key=key_of(sid, f.fire_time),
            fingerprint=key_of(sid, f.fire_time),
            schedule_id=sid,
            scheduled_at=f.fire_time,
            origin={"scheduleId": sid, "scheduledAt": f.fire_time.isoformat(), "source": f.source},
        )
        for f in fires
    ]
    written = writer.write_in(cur, requests)
    firing.written.append(written)
    return [_fired(f, result) for f, result in zip(fires, written.results, strict=True)]


def _fired(f: Fire, result: object) -> Fired:
    if isinstance(result, UUID):
        return Fired(f.fire_time, f.source, "started", result)
    if isinstance(result, record.Replayed):
        return Fired(f.fire_time, f.source, "started", result.run_id, "its run existed already")
    if isinstance(result, UnknownWorkflow):
        return Fired(f.fire_time, f.source, "failed", None, f"workflow {result} is not defined")
    return Fired(f.fire_time, f.source, "failed", None, str(result))


def _settle(cur: Cursor, sid: str, fired: list[Fired]) -> None:
    if fired:
        cur.execute(
            schedules_sql.SETTLE_FIRES,
            (
                [f.fire_time for f in fired],
                [f.outcome for f in fired],
                [f.run_id for f in fired],
                [f.message for f in fired],
                sid,
            ),
        )
