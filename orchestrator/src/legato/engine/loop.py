"""The engine thread: consume results in batches, apply each batch in one transaction, publish.

Order of effects for a batch: dead letters acknowledged by Kafka -> database commit -> new jobs
published -> consumer offsets committed. A crash anywhere re-applies the batch from Kafka; the
attempt claim makes that a no-op for everything already applied.
"""

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from confluent_kafka import Consumer, KafkaException, Message, Producer
from psycopg_pool import ConnectionPool

from legato import metrics
from legato.definitions import Definition
from legato.engine.batch import claim_results, mark_dispatched, plan_outcomes
from legato.engine.dead_letters import job_dead_letter, undecodable_result
from legato.engine.model import Plan
from legato.engine.scheduler import claim_timeouts, lease_due_jobs
from legato.engine.settle import settle
from legato.kafka.confirmed import Record, produce_confirmed
from legato.kafka.publisher import JobPublisher
from legato.settings import Settings
from legato.store import engine_sql
from legato_worker.protocol import DecodeError, Result, decode_result
from legato_worker.protocol.topics import jobs_dlt_topic, results_dlt_topic

log = logging.getLogger(__name__)


COMMIT_INTERVAL_S = 0.2


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
        self._on_health = on_health or (lambda _: None)
        self._listen: psycopg.Connection[Any] | None = None
        self._uncommitted = False
        self._committed_at = 0.0

    def run(self) -> None:
        consumer = self.consumer_factory()
        consumer.subscribe([self.settings.results_topic])
        next_tick = 0.0
        try:
            while not self.stop_event.is_set():
                msgs = _next_batch(consumer, self.settings.result_batch_size)
                self.publisher.poll(0)
                self._until_done(functools.partial(self._apply, consumer, msgs))
                self._commit_offsets(consumer)
                if self._notified():
                    self._until_done(self._relay)
                now = time.monotonic()
                if now >= next_tick:
                    self._until_done(self._tick)
                    next_tick = now + self.settings.scheduler_interval_ms / 1000
            with contextlib.suppress(KafkaException):
                self._commit_offsets(consumer, force=True)
        finally:
            consumer.close()
            if self._listen is not None:
                self._listen.close()

    def _notified(self) -> bool:
        """Did anyone write jobs to the outbox (NOTIFY) since we last looked? Never blocks."""
        try:
            if self._listen is None:
                self._listen = psycopg.connect(self.settings.database_url, autocommit=True)
                self._listen.execute(engine_sql.LISTEN_JOBS)
                return True  # we may have missed some while not listening
            return any(True for _ in self._listen.notifies(timeout=0))
        except psycopg.Error:
            if self._listen is not None:
                self._listen.close()
            self._listen = None
            return False  # the scheduler's tick still publishes due jobs

    def _until_done(self, work: Callable[[], None]) -> None:
        """Run `work` until it succeeds: a database or broker outage pauses the engine, never skips."""
        delay = 0.1
        while not self.stop_event.is_set():
            try:
                work()
                if not self.healthy.is_set():
                    self.healthy.set()
                    self._on_health(True)
                return
            except (psycopg.Error, KafkaException, OSError) as exc:
                if self.healthy.is_set():
                    self.healthy.clear()
                    self._on_health(False)
                metrics.ENGINE_ERRORS.inc()
                log.warning("engine paused, retrying in %.1fs: %s", delay, exc)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 5.0)

    def _apply(self, consumer: Consumer, msgs: list[Message]) -> None:
        results: list[Result] = []
        poison: list[Record] = []
        for m in msgs:
            if m.error():
                log.warning("consumer error: %s", m.error())
                continue
            try:
                results.append(decode_result(m.value()))
            except DecodeError as exc:
                poison.append(undecodable_result(m, str(exc), results_dlt_topic(self.settings.results_topic)))
        acks = self.publisher.take_acked()
        if not results and not acks and not poison:
            return
        if poison:
            produce_confirmed(self.producer, poison)
            metrics.DEAD_LETTERS.labels("result").inc(len(poison))
        plan = Plan()
        started = time.perf_counter()
        try:
            with self.pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
                mark_dispatched(cur, acks)
                if results:
                    claimed = claim_results(cur, results)
                    plan = plan_outcomes(claimed, self.lookup, self.settings.jobs_topic)
                    self._dead_letter(cur, plan)
                    plan = settle(cur, plan, self.lookup, self.settings.jobs_topic)
        except BaseException:
            self.publisher.give_back(acks)
            raise
        if results:
            metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
            metrics.BATCH_SIZE.observe(len(results))
        self._after_commit(plan, len(results))
        self._uncommitted = self._uncommitted or bool(msgs)

    def _commit_offsets(self, consumer: Consumer, force: bool = False) -> None:
        """Commit consumed positions: everything consumed so far is applied and durable.

        At most every COMMIT_INTERVAL_S (each commit is a broker request); a crash in between only
        re-applies results whose attempts are already claimed, which changes nothing.
        """
        now = time.monotonic()
        if self._uncommitted and (force or now - self._committed_at >= COMMIT_INTERVAL_S):
            try:
                if force:
                    consumer.commit(asynchronous=False)
                else:
                    consumer.commit(asynchronous=True)
            except KafkaException as exc:  # e.g. a rebalance just took the partitions: retry later
                log.warning("offset commit failed, will retry: %s", exc)
                return
            self._uncommitted = False
            self._committed_at = now

    def _tick(self) -> None:
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            plan = claim_timeouts(cur, self.lookup, self.settings.jobs_topic)
            self._dead_letter(cur, plan)
            plan = settle(cur, plan, self.lookup, self.settings.jobs_topic)
        self._after_commit(plan, 0)
        self._relay()

    def _relay(self) -> None:
        """Publish the outbox's due jobs: scheduled retries, and jobs the API and operations wrote."""
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            due = lease_due_jobs(cur)
        if due:
            metrics.JOBS_PUBLISHED.inc(self.publisher.publish(due))

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
                    self.settings.jobs_topic,
                    jobs_dlt_topic(self.settings.jobs_topic),
                    first_failure,
                )
            )
        produce_confirmed(self.producer, records)
        metrics.DEAD_LETTERS.labels("job").inc(len(records))

    def _after_commit(self, plan: Plan, results: int) -> None:
        metrics.RESULTS_APPLIED.inc(results)
        for r in plan.runs:
            metrics.RUNS_FINISHED.labels(r.status).inc()
        immediate = [j for j in plan.jobs if j.immediate]
        if immediate:
            metrics.JOBS_PUBLISHED.inc(self.publisher.publish(immediate))
