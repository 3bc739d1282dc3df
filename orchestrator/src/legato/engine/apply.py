"""Result application: a consumed batch of worker records, written in one transaction.

A batch is decoded (an undecodable record goes to workflow-results.DLT), then written with the
Kafka answers about jobs since the last batch (acknowledged: DISPATCHED; refused: the attempt
fails) in one transaction: progress first, then the results' claims, the state machine's
decisions (workflow.claims, workflow.transitions), dead letters and their consequences
(workflow.settle). `write` commits; `publish` then does what comes after a commit
(engine.publication), kept apart so an outage there never writes the batch a second time.

Isolation: a batch that fails for any reason but an outage is written again result by result, and
a result that still fails alone goes to workflow-results.DLT with the reason; the engine goes on.
"""

import logging
import time
import uuid
from collections import Counter as Tally
from collections.abc import Callable, Sequence
from typing import cast

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message, Producer
from psycopg_pool import ConnectionPool

from legato import tracing
from legato.definitions import Definition
from legato.engine.observer import EngineObserver
from legato.engine.poison import unappliable_result, undecodable_result
from legato.engine.publication import Publication
from legato.faults import is_outage
from legato.kafka.confirmed import Record, produce_confirmed
from legato.kafka.publisher import Acked, JobPublisher, Refused
from legato.payloads import JsonLimits
from legato.settings import Settings
from legato.workflow.claims import claim_results, lock_runs, mark_dispatched, plan_outcomes
from legato.workflow.countdown import Countdown, count_down
from legato.workflow.dead_letters import dead_letter
from legato.workflow.model import Claimed, Plan
from legato.workflow.outcomes import Outcomes
from legato.workflow.progress import RanAnyway, Reported, apply_progress, record_ran
from legato.workflow.settle import settle
from legato_protocol import DecodeError, Progress, Result, decode_results_record, is_progress
from legato_protocol.topics import results_dlt_topic

log = logging.getLogger(__name__)

# Kafka's acknowledgements of published jobs ride with the next batch of results; with no results
# they are written on their own at most this often (each write is a transaction: at light load,
# one per step saved). A job's dispatch time is when Kafka acknowledged it, whenever it is written.
ACKS_ALONE_EVERY_S = 0.1
# Runs whose workflow the engine knows (from a claim), so that the next results of a run count its
# dependants down in the claim's round trip (workflow.countdown); forgotten all at once beyond this.
KNOWN_RUNS = 100_000

Decoded = list[tuple[Message, Result | Progress]]


def sent_ms(msg: Message) -> int | None:
    """When a record was written (its Kafka timestamp, epoch ms), if it says."""
    kind, ms = msg.timestamp()
    return ms if kind != TIMESTAMP_NOT_AVAILABLE and ms > 0 else None


class ResultApplier:
    def __init__(
        self,
        settings: Settings,
        pool: ConnectionPool,
        producer: Producer,
        publisher: JobPublisher,
        lookup: Callable[[str, int], Definition],
        limits: JsonLimits,
        observer: EngineObserver,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.producer = producer
        self.publisher = publisher
        self.lookup = lookup
        self.limits = limits
        self.observer = observer
        self.publication = Publication(pool, producer, publisher, observer)
        self._results_dlt = results_dlt_topic(settings.kafka.results_topic)
        # What the last committed batch still has to publish (`publish`).
        self._committed: tuple[Plan, list[Record], int] | None = None
        self._acks_due = 0.0  # when acknowledgements are written even with no results
        self._workflows: dict[uuid.UUID, tuple[str, int]] = {}  # run -> workflow id, version

    def write(self, msgs: list[Message], all_acks: bool = False) -> None:
        """Write `msgs` (and the acknowledgements heard since the last write) in one transaction;
        `all_acks`: write the acknowledgements now even with no results (at shutdown)."""
        self._committed = None  # a publication given up on: the outboxes have what it did not send
        decoded: Decoded = []
        poison: list[Record] = []
        for m in msgs:
            if m.error():
                log.warning("consumer error: %s", m.error())
                continue
            try:
                decoded.append((m, decode_results_record(m.value())))
            except DecodeError as exc:
                poison.append(undecodable_result(m, str(exc), self._results_dlt))
        refused = self.publisher.take_refused()
        with_acks = decoded or poison or refused or all_acks or time.monotonic() >= self._acks_due
        acks = self.publisher.take_acked() if with_acks else []
        if not decoded and not acks and not poison and not refused:
            return
        self._acks_due = time.monotonic() + ACKS_ALONE_EVERY_S
        if poison:
            produce_confirmed(self.producer, poison)
            self.observer.dead_lettered("result", len(poison))
        results: list[Result] = []
        progress: list[Reported] = []
        for m, record in decoded:
            if is_progress(record):
                progress.append(Reported(record, sent_ms(m)))
            else:
                results.append(cast(Result, record))
        if progress:
            self.observer.progress_received(Tally((p.record["kind"],) for p in progress))
        start_ns = time.time_ns()
        try:
            plan, dead = self._write(acks, results, progress, refused)
        except Exception as exc:
            self.publisher.give_back(acks)
            if is_outage(exc):
                raise
            log.error(
                "a batch of %d results failed (%r); applying them one by one",
                len(results) + len(refused),
                exc,
            )
            plan, dead = self._write_one_by_one(self.publisher.take_acked(), decoded, refused)
        self.observer.results_processed(decoded, start_ns)
        self._committed = (plan, dead, len(results) + len(refused))

    def publish(self) -> None:
        """After `write` committed: dead letters confirmed, observers told, new jobs published."""
        if self._committed is not None:
            plan, dead, results = self._committed
            self.publication.after_commit(plan, dead, results)
            self._committed = None

    def _write(
        self,
        acks: list[Acked],
        results: list[Result],
        progress: Sequence[Reported] = (),
        refused: Sequence[Refused] = (),
    ) -> tuple[Plan, list[Record]]:
        plan = Plan()
        dead: list[Record] = []
        claimed: list[Claimed] = []
        started = time.perf_counter()
        outcomes = Outcomes()
        jobs_topic = self.settings.kafka.jobs_topic
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            lock_runs(cur, acks, results, [p.record for p in progress], refused)
            mark_dispatched(cur, acks, self.settings.engine.unreported_timeout_ms)
            # Progress before results: details a worker flushed just before failing are kept.
            events = apply_progress(cur, list(progress), self.limits, outcomes) if progress else []
            countdown: Countdown | None = None
            if results and not refused:
                countdown = count_down(cur, results, self._workflows, self.lookup)
            if results or refused:
                claimed = claim_results(
                    cur, results, self.limits, outcomes, self.settings.engine.max_requeues, refused
                )
                self._remember(claimed)
                plan = plan_outcomes(claimed, self.lookup, jobs_topic)
                outcomes.decided(claimed, plan.dead_letters)
                dead = dead_letter(cur, plan, jobs_topic)
            plan.events[:0] = events
            if results or refused or events:
                statuses = {c.run_id: c.run_status for c in claimed}
                plan = settle(cur, plan, self.lookup, jobs_topic, statuses=statuses, countdown=countdown)
        self.observer.decided(outcomes)
        if results or refused:
            self.observer.batch_written(len(results) + len(refused), time.perf_counter() - started)
        return plan, dead

    def _remember(self, claimed: list[Claimed]) -> None:
        if len(self._workflows) > KNOWN_RUNS:
            self._workflows.clear()
        for c in claimed:
            self._workflows[c.run_id] = (c.workflow_id, c.version)

    def _write_one_by_one(
        self, acks: list[Acked], decoded: Decoded, refused: list[Refused]
    ) -> tuple[Plan, list[Record]]:
        """Each result in a transaction of its own; one that still fails costs only itself."""
        total = Plan()
        dead: list[Record] = []

        def add(written: tuple[Plan, list[Record]]) -> None:
            total.extend(written[0])
            dead.extend(written[1])

        try:
            self._write(acks, [])
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception("dropping %d delivery acknowledgements (their jobs are re-published)", len(acks))
        for msg, record in decoded:
            try:
                if is_progress(record):
                    add(self._write([], [], [Reported(record, sent_ms(msg))]))
                else:
                    add(self._write([], [cast(Result, record)]))
            except Exception as exc:
                if is_outage(exc):
                    raise
                log.error(
                    "result of job %s cannot be applied (%s): %r",
                    record.get("jobId"),
                    tracing.log_ids(record.get("runId"), record.get("traceparent")),
                    exc,
                )
                produce_confirmed(self.producer, [unappliable_result(msg, exc, self._results_dlt)])
                self.observer.dead_lettered("result", 1)
                self.observer.result_isolated()
                if not is_progress(record):
                    self._ran_anyway(cast(Result, record))
        for refusal in refused:
            try:
                add(self._write([], [], refused=[refusal]))
            except Exception as exc:
                if is_outage(exc):
                    raise
                log.exception("cannot fail refused job %s; its run's timeout will", refusal.job_id)
        return total, dead

    def _ran_anyway(self, result: Result) -> None:
        """A result that cannot be applied still says its attempt ran: record the start it reports,
        so the attempt's startToClose deadline runs and its retry policy decides what follows."""
        try:
            ran = RanAnyway(
                uuid.UUID(result["jobId"]), result["workerId"], result["startedAt"], result["finishedAt"]
            )
        except ValueError:
            return  # not one of ours
        try:
            with self.pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
                lock_runs(cur, [], [result], [])
                record_ran(cur, ran)
        except Exception as exc:
            if is_outage(exc):
                raise
            log.exception(
                "cannot record that job %s ran (%s)",
                result["jobId"],
                tracing.log_ids(result["runId"], result.get("traceparent")),
            )
