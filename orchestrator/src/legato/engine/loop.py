"""The engine loop: consume results in batches, apply each batch in one transaction, publish.

Order of effects for a batch: dead letters acknowledged by Kafka -> database commit -> new jobs
published -> offsets of the applied results committed. A crash anywhere re-applies the batch from
Kafka; the attempt claim makes that a no-op for everything already applied.

Isolation: an outage (engine.faults) pauses the engine until it is over. Any other error a batch
hits is about one of its messages: the batch is applied again result by result, and a result that
still fails alone goes to workflow-results.DLT with the reason; the engine goes on.
"""

import contextlib
import functools
import logging
import threading
import time
import uuid
from collections import Counter as Tally
from collections.abc import Callable
from typing import Any, cast

import psycopg
from confluent_kafka import Consumer, KafkaException, Message, Producer
from confluent_kafka.admin import AdminClient
from psycopg_pool import ConnectionPool

from legato import metrics, tracing
from legato.definitions import Definition
from legato.dlt.rows import dead_letter_rows
from legato.engine import retention
from legato.engine.batch import claim_results, lock_runs, mark_dispatched, plan_outcomes
from legato.engine.caught_up import ResultsCaughtUp
from legato.engine.dead_letters import job_dead_letter, unappliable_result, undecodable_result
from legato.engine.faults import is_outage
from legato.engine.model import Plan
from legato.engine.offsets import AppliedOffsets
from legato.engine.progress import Reported, apply_progress, sent_ms
from legato.engine.scheduler import claim_timeouts, fire_timers, lease_due_jobs
from legato.engine.settle import settle
from legato.engine.unreported import LostAttempts
from legato.engine.withdrawals import publish_withdrawals
from legato.idempotency import record as idempotency_record
from legato.kafka.committed import GroupOffsets
from legato.kafka.confirmed import Record, produce_confirmed
from legato.kafka.publisher import Ack, JobPublisher, Refusal
from legato.payloads import configured
from legato.runs.operations import resume_stuck
from legato.settings import Settings
from legato.store import dlt_sql, engine_sql
from legato_worker.protocol import DecodeError, Progress, Result, decode_results_record, is_progress
from legato_worker.protocol.topics import jobs_dlt_topic, results_dlt_topic

log = logging.getLogger(__name__)


COMMIT_INTERVAL_S = 0.2
KEY_BATCH = 1000
STUCK_AFTER_MS = 5_000  # a run must have been still for this long to count as stuck


def _refused_result(refusal: Refusal) -> Result:
    """A job Kafka will never take fails its attempt like a non-retryable handler error."""
    job_id, error_type, reason = refusal
    return {
        "jobId": str(job_id),
        "runId": "",
        "stepId": "",
        "attempt": 0,
        "action": "",
        "status": "FAILED",
        "output": None,
        "failure": {
            "type": error_type,
            "message": reason,
            "nonRetryable": True,
            "details": None,
            "stackTrace": None,
        },
        "workerId": "legato-orchestrator",
        "sdk": "",
        "startedAt": 0,
        "finishedAt": 0,
    }


def _next_batch(consumer: Consumer, size: int) -> list[Message]:
    """Wait (10 ms at most) for one result, then take every result already fetched.

    Never waits for a batch to fill: a lone result is applied as soon as it arrives, and batches
    grow by themselves under load while the previous one is being written.
    """
    first = consumer.poll(0.01)
    if first is None:
        return []
    return [first, *consumer.consume(size - 1, timeout=0)]


class Engine:
    def __init__(
        self,
        settings: Settings,
        pool: ConnectionPool,
        producer: Producer,
        publisher: JobPublisher,
        lookup: Callable[[str, int], Definition],
        consumer_factory: Callable[[], Consumer],
        admin: AdminClient,
        group_offsets: GroupOffsets,
        on_health: Callable[[bool], None] | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.producer = producer
        self.publisher = publisher
        self.lookup = lookup
        self.consumer_factory = consumer_factory
        self.stop_event = threading.Event()
        self.healthy = threading.Event()
        self.limits = configured()
        self.offsets = AppliedOffsets()
        self._on_health = on_health or (lambda _: None)
        self._listen: psycopg.Connection[Any] | None = None
        self._committed_at = 0.0
        self._reconcile_at = 0.0
        self._results_dlt = results_dlt_topic(settings.kafka.results_topic)
        self._admin = admin
        self._group_offsets = group_offsets
        self.caught_up = ResultsCaughtUp(
            admin,
            group_offsets,
            settings.kafka.results_topic,
            settings.kafka.orchestrator_group,
            self.offsets.applied_offsets,
            self.stop_event,
        )
        self.lost = (
            LostAttempts(
                pool,
                admin,
                group_offsets,
                settings.kafka.group_prefix,
                settings.engine.unreported_timeout_ms,
                self.stop_event,
            )
            if settings.engine.unreported_timeout_ms
            else None
        )

    def run(self) -> None:
        self.caught_up.start()
        if self.lost is not None:
            self.lost.start()
        consumer = self.consumer_factory()
        consumer.subscribe(
            [self.settings.kafka.results_topic],
            on_assign=self.offsets.on_assign,
            on_revoke=self.offsets.on_revoke,
            on_lost=self.offsets.on_lost,
        )
        next_tick = 0.0
        try:
            while not self.stop_event.is_set():
                msgs = _next_batch(consumer, self.settings.engine.result_batch_size)
                self.publisher.poll(0)
                if self._until_done(functools.partial(self._apply, msgs), skip_on_bug=False):
                    self.offsets.applied(msgs)
                self._commit_offsets(consumer)
                channels = self._notified()
                if engine_sql.JOBS_CHANNEL in channels:
                    self._until_done(self._relay)
                if engine_sql.WITHDRAWALS_CHANNEL in channels:
                    self._until_done(self._withdraw)
                now = time.monotonic()
                if now >= next_tick:
                    self._until_done(self._tick)
                    next_tick = now + self.settings.engine.scheduler_interval_ms / 1000
            with contextlib.suppress(KafkaException):
                self.offsets.commit(consumer, synchronous=True)
        finally:
            consumer.close()
            if self._listen is not None:
                self._listen.close()

    def _notified(self) -> set[str]:
        """The channels someone notified since we last looked (jobs written to the outbox, attempts
        withdrawn by an operation). Never blocks."""
        try:
            if self._listen is None:
                self._listen = psycopg.connect(self.settings.store.database_url, autocommit=True)
                self._listen.execute(engine_sql.LISTEN)
                # we may have missed some while not listening
                return {engine_sql.JOBS_CHANNEL, engine_sql.WITHDRAWALS_CHANNEL}
            return {n.channel for n in self._listen.notifies(timeout=0)}
        except psycopg.Error:
            if self._listen is not None:
                self._listen.close()
            self._listen = None
            return set()  # the scheduler's tick still publishes due jobs and withdrawals

    def _until_done(self, work: Callable[[], None], skip_on_bug: bool = True) -> bool:
        """Run `work` until it succeeds (True). An outage pauses the engine, never skips work.

        Any other error is a bug or bad data: the scheduler's work (`skip_on_bug`) is skipped
        until its next tick, so results keep flowing; a result batch is retried after a pause
        (its messages are isolated one by one inside `_apply`). The engine never crashes here.
        """
        delay = 0.1
        while not self.stop_event.is_set():
            try:
                work()
            except Exception as exc:
                outage = is_outage(exc)
                if outage:
                    metrics.ENGINE_PAUSED.set(1)
                if outage and self.healthy.is_set():
                    self.healthy.clear()
                    self._on_health(False)
                metrics.ENGINE_ERRORS.inc()
                if not outage:
                    log.exception("engine error (not an outage)")
                    if skip_on_bug:
                        return False
                else:
                    log.warning("engine paused, retrying in %.1fs: %s", delay, exc)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 5.0)
                continue
            if not self.healthy.is_set():
                metrics.ENGINE_PAUSED.set(0)
                self.healthy.set()
                self._on_health(True)
            return True
        return False

    def _apply(self, msgs: list[Message]) -> None:
        decoded: list[tuple[Message, Result | Progress]] = []
        poison: list[Record] = []
        for m in msgs:
            if m.error():
                log.warning("consumer error: %s", m.error())
                continue
            try:
                decoded.append((m, decode_results_record(m.value())))
            except DecodeError as exc:
                poison.append(undecodable_result(m, str(exc), self._results_dlt))
        acks = self.publisher.take_acked()
        refused = [_refused_result(r) for r in self.publisher.take_refused()]
        if not decoded and not acks and not poison and not refused:
            return
        if poison:
            produce_confirmed(self.producer, poison)
            metrics.child(metrics.DLT_RECORDS, "result").inc(len(poison))
        results: list[Result] = []
        progress: list[Reported] = []
        for m, record in decoded:
            if is_progress(record):
                progress.append(Reported(record, sent_ms(m)))
            else:
                results.append(cast(Result, record))
        if progress:
            metrics.count(metrics.PROGRESS_RECORDS, Tally((p.record["kind"],) for p in progress))
        results += refused
        start_ns = time.time_ns()
        try:
            plan = self._write(acks, results, progress)
        except Exception as exc:
            self.publisher.give_back(acks)
            if is_outage(exc):
                raise
            log.error("a batch of %d results failed (%r); applying them one by one", len(results), exc)
            plan = self._write_one_by_one(self.publisher.take_acked(), decoded, refused)
        if tracing.ENABLED and decoded:  # a CONSUMER span per result, batch start to commit
            from legato.tracing import spans

            spans.results_processed(decoded, self.settings.kafka.orchestrator_group, start_ns)
        self._after_commit(plan, len(results))

    def _write(self, acks: list[Ack], results: list[Result], progress: list[Reported] | None = None) -> Plan:
        plan = Plan()
        started = time.perf_counter()
        progress = progress or []
        outcomes = metrics.Outcomes()
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            lock_runs(cur, acks, results, [p.record for p in progress])
            mark_dispatched(cur, acks, self.settings.engine.unreported_timeout_ms)
            # Progress before results: details a worker flushed just before failing are kept.
            events = apply_progress(cur, progress, self.limits) if progress else []
            if results:
                claimed = claim_results(
                    cur, results, self.limits, outcomes, self.settings.engine.max_requeues
                )
                plan = plan_outcomes(claimed, self.lookup, self.settings.kafka.jobs_topic)
                outcomes.decided(claimed, plan.dead_letters)
                self._dead_letter(cur, plan)
            plan.events[:0] = events
            if results or events:
                plan = settle(cur, plan, self.lookup, self.settings.kafka.jobs_topic)
        outcomes.record()
        if results:
            metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
            metrics.BATCH_SIZE.observe(len(results))
        return plan

    def _write_one_by_one(
        self, acks: list[Ack], decoded: list[tuple[Message, Result | Progress]], refused: list[Result]
    ) -> Plan:
        """Each result in a transaction of its own; one that still fails costs only itself."""
        total = Plan()
        try:
            self._write(acks, [])
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception("dropping %d delivery acknowledgements (their jobs are re-published)", len(acks))
        for msg, result in decoded:
            try:
                if is_progress(result):
                    total.extend(self._write([], [], [Reported(result, sent_ms(msg))]))
                else:
                    total.extend(self._write([], [cast(Result, result)]))
            except Exception as exc:
                if is_outage(exc):
                    raise
                log.error(
                    "result of job %s cannot be applied (%s): %r",
                    result.get("jobId"),
                    tracing.log_ids(result.get("runId"), result.get("traceparent")),
                    exc,
                )
                produce_confirmed(self.producer, [unappliable_result(msg, exc, self._results_dlt)])
                metrics.child(metrics.DLT_RECORDS, "result").inc()
                metrics.POISON_RESULTS.inc()
                if not is_progress(result):
                    self._ran_anyway(cast(Result, result))
        for result in refused:
            try:
                total.extend(self._write([], [result]))
            except Exception as exc:
                if is_outage(exc):
                    raise
                log.exception("cannot fail refused job %s; its run's timeout will", result["jobId"])
        return total

    def _ran_anyway(self, result: Result) -> None:
        """A result that cannot be applied still says its attempt ran: record the start it reports,
        so the attempt's startToClose deadline runs and its retry policy decides what follows."""
        started: Progress = {
            "jobId": result["jobId"],
            "runId": result["runId"],
            "stepId": result["stepId"],
            "attempt": result["attempt"],
            "action": result["action"],
            "kind": "HEARTBEAT",
            "details": None,
            "reason": None,
            "workerId": result["workerId"],
            "sdk": result["sdk"],
            "startedAt": result["startedAt"],
            "at": result["finishedAt"],
        }
        try:
            self._write([], [], [Reported(started)])
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception(
                "cannot record that job %s ran (%s)",
                result["jobId"],
                tracing.log_ids(result["runId"], result.get("traceparent")),
            )

    def _commit_offsets(self, consumer: Consumer) -> None:
        """Commit the offsets of applied results, at most every COMMIT_INTERVAL_S (each commit is a
        broker request); a crash in between only re-applies results whose attempts are already
        claimed, which changes nothing."""
        now = time.monotonic()
        if now - self._committed_at >= COMMIT_INTERVAL_S and self.offsets.pending():
            self.offsets.commit(consumer, synchronous=False)
            self._committed_at = now

    def _tick(self) -> None:
        outcomes = metrics.Outcomes()
        held_ms, lost = self._claimable()
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            if held_ms is None:
                plan = Plan()
            else:
                plan = claim_timeouts(
                    cur,
                    self.lookup,
                    self.settings.kafka.jobs_topic,
                    outcomes,
                    held_ms,
                    lost,
                    self.settings.engine.max_requeues,
                )
            fire_timers(cur, plan, self.settings.kafka.jobs_topic)
            self._dead_letter(cur, plan)
            plan = settle(cur, plan, self.lookup, self.settings.kafka.jobs_topic)
        outcomes.record()
        self._after_commit(plan, 0)
        self._relay()
        self._withdraw()
        if time.monotonic() >= self._reconcile_at:
            self._reconcile_at = time.monotonic() + self.settings.engine.reconcile_interval_ms / 1000
            self._reconcile()
        retention.run_due(self.pool, self.settings, self.stop_event)  # low cadence, in the background

    def _claimable(self) -> tuple[int | None, list[uuid.UUID]]:
        """Whether attempt deadlines may be claimed now (engine.caught_up): None while some are due
        and the worker reports written before them are not all read; else how long ago a moment
        was that they were all read before (ms), with the lost attempts (engine.unreported) found
        before it."""
        with self.pool.connection() as conn:
            row = conn.execute(engine_sql.ANY_DUE).fetchone()
        if not (row and row[0]):
            self.caught_up.idle()
            return None, []
        if self.lost is not None:
            self.lost.wanted()
        reached_at = self.caught_up.reached_mark_at()
        if reached_at is None:
            return None, []
        lost = self.lost.take(reached_at) if self.lost is not None else []
        if lost:
            metrics.RUNS_STUCK.inc(len(lost))
        return int((time.monotonic() - reached_at) * 1000), lost

    def _reconcile(self) -> None:
        """No operation may leave a run RUNNING with nothing to run; if one does, say so and resume it."""
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            stuck = resume_stuck(cur, self.lookup, self.settings.kafka.jobs_topic, STUCK_AFTER_MS)
        with self.pool.connection() as conn:  # expired Idempotency-Keys, a small batch at a time
            while (
                idempotency_record.delete_expired(conn, KEY_BATCH) == KEY_BATCH
                and not self.stop_event.is_set()
            ):
                pass
        if stuck:
            metrics.RUNS_STUCK.inc(len(stuck))
            log.error("resumed %d stuck runs (RUNNING with nothing to run): %s", len(stuck), stuck[:5])

    def _relay(self) -> None:
        """Publish the outbox's due jobs: scheduled retries, and jobs the API and operations wrote."""
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            due = lease_due_jobs(cur)
        if due:
            metrics.JOBS_PUBLISHED.inc(self.publisher.publish(due))

    def _withdraw(self) -> None:
        """Publish the Cancel records of withdrawn attempts (the job_withdrawals outbox)."""
        withdrawn = publish_withdrawals(self.pool, self.producer, self.settings.kafka.control_topic)
        if withdrawn:
            metrics.ATTEMPTS_WITHDRAWN.inc(withdrawn)

    def _dead_letter(self, cur: psycopg.Cursor[tuple[Any, ...]], plan: Plan) -> None:
        if not plan.dead_letters:
            return
        records = []
        for dl in plan.dead_letters:
            cur.execute(engine_sql.FIRST_FAILURE_AT, (dl.claimed.run_id, dl.claimed.step_id))
            row = cur.fetchone()
            first_failure = row[0] if row else None
            records.append(
                job_dead_letter(
                    dl,
                    self.settings.kafka.jobs_topic,
                    jobs_dlt_topic(self.settings.kafka.jobs_topic),
                    first_failure,
                )
            )
        # The dead_letters rows (what `legato dlt` reads) commit with the batch; the DLT records
        # are acknowledged before that commit.
        cur.execute(dlt_sql.INSERT_DEAD_LETTERS, dead_letter_rows(plan.dead_letters, records))
        produce_confirmed(self.producer, records)
        metrics.child(metrics.DLT_RECORDS, "job").inc(len(records))

    def _after_commit(self, plan: Plan, results: int) -> None:
        metrics.RESULTS_APPLIED.inc(results)
        if plan.runs:
            metrics.count(metrics.RUNS_FINISHED, Tally((r.workflow_id, r.status) for r in plan.runs))
        immediate = [j for j in plan.jobs if j.immediate]
        if immediate:
            metrics.JOBS_PUBLISHED.inc(self.publisher.publish(immediate))
