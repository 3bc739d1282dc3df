"""Housekeeping: what the engine does on its scheduler tick and when it is notified, between batches.

- one statement first (engine_sql.DUE_WORK) says which of the work below is due: an idle tick
  costs one round trip;
- attempt deadlines claimed (only once every worker report written before them has been read:
  engine.caught_up, engine.unreported) and due waits fired, in one transaction, then published
  like a batch (engine.publication);
- PENDING runs whose concurrency key has a free slot started (workflow.concurrency);
- the jobs outbox relayed (retries whose delay is over, jobs the API and operations wrote), and
  throttled jobs admitted as their actions' slots and tokens allow (workflow.limits);
- Cancel records of withdrawn attempts published (engine.withdrawals);
- child runs that ended close their parents' steps, and runs that ended cancel their open
  children (workflow.children);
- at the reconcile cadence: runs left RUNNING with nothing to run resumed (workflow.resume), queued
  signals a waiting step could take handed over (a safety net: workflow.signals delivers them in
  the transaction that makes the match),
  expired Idempotency-Keys deleted, DLT records no engine confirmed published
  (engine.dead_letter_outbox);
- retention started in the background when due (engine.retention).
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable

from confluent_kafka import Producer
from psycopg_pool import ConnectionPool

from legato.definitions import Definition
from legato.engine import retention
from legato.engine.caught_up import ResultsCaughtUp
from legato.engine.dead_letter_outbox import publish_pending
from legato.engine.observer import EngineObserver
from legato.engine.publication import Publication
from legato.engine.unreported import LostAttempts
from legato.engine.withdrawals import publish_withdrawals
from legato.idempotency import record as idempotency_record
from legato.kafka.publisher import JobPublisher
from legato.settings import Settings
from legato.store import engine_sql
from legato.store.engine_sql import DueWorkRow
from legato.store.rows import fetch_one
from legato.workflow.children import cancel_orphans, close_children
from legato.workflow.concurrency import release as release_pending
from legato.workflow.dead_letters import dead_letter
from legato.workflow.deadlines import claim_timeouts, fire_timers
from legato.workflow.limits import LIMITED, admit, release_unlimited
from legato.workflow.model import Plan
from legato.workflow.outbox import lease_due_jobs, outgoing
from legato.workflow.outcomes import Outcomes
from legato.workflow.resume import deliver_queued, resume_stuck
from legato.workflow.settle import settle
from legato_protocol.topics import jobs_dlt_topic

log = logging.getLogger(__name__)

KEY_BATCH = 1000
SWEEP_S = 5.0  # how often throttled jobs of actions without a limit are looked for
STUCK_AFTER_MS = 5_000  # a run must have been still for this long to count as stuck


class Housekeeping:
    def __init__(
        self,
        settings: Settings,
        pool: ConnectionPool,
        producer: Producer,
        publisher: JobPublisher,
        lookup: Callable[[str, int], Definition],
        observer: EngineObserver,
        caught_up: ResultsCaughtUp,
        lost: LostAttempts | None,
        stop: threading.Event,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.producer = producer
        self.publisher = publisher
        self.lookup = lookup
        self.observer = observer
        self.caught_up = caught_up
        self.lost = lost
        self.stop = stop
        self.publication = Publication(pool, producer, publisher, observer)
        self._jobs_dlt = jobs_dlt_topic(settings.kafka.jobs_topic)
        self._reconcile_at = 0.0
        self._sweep_at = 0.0

    def tick(self) -> None:
        with self.pool.connection() as conn:  # one round trip says which of the tick's work is due
            due = fetch_one(conn, DueWorkRow, engine_sql.DUE_WORK) or DueWorkRow.everything()
        if due.in_tick:
            self._decide(due.deadlines)
        else:
            self.caught_up.idle()
        if due.pending:
            self.release()
        if due.outbox:
            self.relay_outbox()
        self.admit()
        if due.withdrawals:
            self.withdraw()
        if time.monotonic() >= self._reconcile_at:
            self._reconcile_at = time.monotonic() + self.settings.engine.reconcile_interval_ms / 1000
            self._reconcile()
            published = publish_pending(self.pool, self.producer, self._jobs_dlt)
            if published:
                self.observer.dead_lettered("job", published)
        retention.run_due(self.pool, self.settings, self.stop)  # low cadence, in the background

    def _decide(self, deadlines_due: bool) -> None:
        """Claim the attempts past their deadlines, fire due timers, close the steps of children
        that ended and cancel orphans, in one transaction; then publish what that decided."""
        outcomes = Outcomes()
        held_ms, lost = self._claimable(deadlines_due)
        jobs_topic = self.settings.kafka.jobs_topic
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            if held_ms is None:
                plan = Plan()
            else:
                plan = claim_timeouts(
                    cur, self.lookup, jobs_topic, outcomes, held_ms, lost, self.settings.engine.max_requeues
                )
            fire_timers(cur, plan, self.lookup, jobs_topic)
            ended = close_children(cur, self.lookup, jobs_topic)
            plan.extend(ended)
            plan.ended += ended.ended
            dead = dead_letter(cur, plan, jobs_topic)
            plan = settle(cur, plan, self.lookup, jobs_topic)
            cancelled = cancel_orphans(cur)
        if cancelled:
            self.observer.committed(0, cancelled)
            log.info("cancelled %d child run(s) whose parent ended", len(cancelled))
        self.observer.decided(outcomes)
        self.publication.after_commit(plan, dead, 0)

    def release(self) -> None:
        """Start the PENDING runs whose concurrency keys have free slots (workflow.concurrency)."""
        jobs_topic = self.settings.kafka.jobs_topic
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            planner, released = release_pending(cur, self.lookup, jobs_topic)
            if not released:
                return
            plan = settle(cur, planner.plan, self.lookup, jobs_topic)
        self.publication.after_commit(plan, [], 0)

    def relay_outbox(self) -> None:
        """Publish the outbox's due jobs (scheduled retries, jobs the API and operations wrote).
        Thread-safe: engine.notifications calls it from its own thread. One round trip before a
        trigger's first job is published (workflow.outbox.lease_due_jobs)."""
        with self.pool.connection() as conn, conn.pipeline():
            due = lease_due_jobs(conn)
        if due:
            self.observer.jobs_published(self.publisher.publish(outgoing(due)))

    def admit(self) -> None:
        """Publish the throttled jobs admitted now; at the sweep's cadence, release the throttled
        jobs of actions whose limit was cleared (a job written while a process still knew the limit)."""
        if time.monotonic() >= self._sweep_at:
            self._sweep_at = time.monotonic() + SWEEP_S
            with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                release_unlimited(cur)
        if LIMITED.stale():
            with self.pool.connection() as conn, conn.cursor() as cur:
                LIMITED.get(cur)
        if not LIMITED.known():
            return
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            admitted = admit(cur)
        if admitted:
            self.observer.jobs_published(self.publisher.publish(outgoing(admitted)))

    def withdraw(self) -> None:
        """Publish the Cancel records of withdrawn attempts (the job_withdrawals outbox)."""
        withdrawn = publish_withdrawals(self.pool, self.producer, self.settings.kafka.control_topic)
        if withdrawn:
            self.observer.withdrawn(withdrawn)

    def _claimable(self, due: bool) -> tuple[int | None, list[uuid.UUID]]:
        """Whether attempt deadlines may be claimed now (engine.caught_up): None while none is
        `due`, or while some are and the worker reports written before them are not all read; else
        how long ago a moment was that they were all read before (ms), with the lost attempts
        (engine.unreported) found before it."""
        if not due:
            self.caught_up.idle()
            return None, []
        if self.lost is not None:
            self.lost.wanted()
        reached_at = self.caught_up.reached_mark_at()
        if reached_at is None:
            return None, []
        lost = self.lost.take(reached_at) if self.lost is not None else []
        if lost:
            self.observer.runs_stuck(len(lost))
        return int((time.monotonic() - reached_at) * 1000), lost

    def _reconcile(self) -> None:
        """No operation may leave a run RUNNING with nothing to run; if one does, say so and resume it."""
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            stuck = resume_stuck(cur, self.lookup, self.settings.kafka.jobs_topic, STUCK_AFTER_MS)
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            plan = deliver_queued(cur, self.lookup, self.settings.kafka.jobs_topic)
        if plan.events:
            log.warning("handed %d queued signal(s) to steps that were waiting for them", len(plan.ended))
            self.publication.after_commit(plan, [], 0)
        with self.pool.connection() as conn:  # expired Idempotency-Keys, a small batch at a time
            while idempotency_record.delete_expired(conn, KEY_BATCH) == KEY_BATCH and not self.stop.is_set():
                pass
        if stuck:
            self.observer.runs_stuck(len(stuck))
            log.error("resumed %d stuck runs (RUNNING with nothing to run): %s", len(stuck), stuck[:5])
