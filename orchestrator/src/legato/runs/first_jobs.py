"""A trigger's first jobs, handed to Kafka by the API the moment its transaction commits.

The trigger's transaction writes its runs' first jobs to the outbox as the API's own for the
hand-over grace (kafka.clients.HANDOVER_MS), exactly as the engine writes the jobs it makes
(workflow.transitions.Planner): the API publishes them right after the commit, with no NOTIFY, no
engine wake-up and no lease transaction in between. A thread records Kafka's acknowledgements
(the jobs DISPATCHED, as of when Kafka said so): it waits for the first and writes whatever has
been acknowledged by then in one transaction, so writes carry one job at light load and many
under load, without a timer.

Nothing is lost: a job the API did not get acknowledged (a crash between the commit and the send, a
broker that did not answer in time, a refusal) stays PENDING in the outbox, and the engine's relay
publishes it once the grace has passed (the engine, hearing Kafka refuse it as well, fails its
attempt). An acknowledgement that could not be recorded leaves its job to be published once more
then: at least once, as after an engine crash; the attempt claim keeps the second result a no-op.
"""

import logging
import threading
from collections.abc import Iterable

from psycopg_pool import ConnectionPool

from legato import metrics
from legato.faults import is_outage
from legato.kafka import clients
from legato.kafka.publisher import JobPublisher
from legato.settings import Settings
from legato.store import engine_sql
from legato.tracing import ENABLED as TRACING
from legato.workflow.claims import lock_runs, mark_dispatched
from legato.workflow.model import NewJob
from legato.workflow.outbox import outgoing

log = logging.getLogger(__name__)

WAIT_S = 0.1  # the longest the recorder blocks on Kafka before looking at its stop flag


class SendCounts:
    """The API's sends Kafka did not take, counted with the engine's (kafka.publisher.SendCounter)."""

    def unacknowledged(self) -> None:
        metrics.JOBS_UNACKNOWLEDGED.inc()

    def refused(self) -> None:
        metrics.JOBS_REFUSED.inc()


def api_publisher(settings: Settings) -> JobPublisher:
    """The API's publisher: counted, and traced (a send span per job) when tracing is on."""
    producer = clients.producer(settings)
    if TRACING:  # OpenTelemetry is loaded only now
        from legato.tracing.sends import SendSpans

        return JobPublisher(producer, counter=SendCounts(), tracer=SendSpans())
    return JobPublisher(producer, counter=SendCounts())


class FirstJobs:
    """Thread-safe: the trigger writers publish, one thread of its own records what Kafka took."""

    def __init__(self, pool: ConnectionPool, publisher: JobPublisher, unreported_timeout_ms: int) -> None:
        self._pool = pool
        self._publisher = publisher
        self._unreported_ms = unreported_timeout_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="legato-first-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def publish(self, jobs: Iterable[NewJob]) -> None:
        """After the commit that wrote them: the jobs the API is to publish (the others wait for
        the engine: throttled jobs, for their admission)."""
        immediate = [j for j in jobs if j.immediate]
        if immediate:
            metrics.JOBS_PUBLISHED.inc(self._publisher.publish(outgoing(immediate)))

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop recording; the acknowledgements still due are awaited and recorded once (those
        that are not: their jobs are published again after the grace)."""
        self._stop.set()
        self._thread.join(timeout_s)
        self._publisher.producer.flush(timeout_s)
        self._record()

    def _run(self) -> None:
        delay = WAIT_S
        while not self._stop.is_set():
            self._publisher.poll(WAIT_S)  # the delivery reports of the jobs sent meanwhile
            if self._record():
                delay = WAIT_S
            else:  # PostgreSQL is away: the acknowledgements wait, with backoff
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)

    def _record(self) -> bool:
        """Write the acknowledgements heard so far; False during an outage (they are kept)."""
        for refusal in self._publisher.take_refused():
            log.warning(
                "job %s refused by Kafka (%s); the engine publishes it after the hand-over grace",
                refusal.job_id,
                refusal.error_type,
            )
        acks = self._publisher.take_acked()
        if not acks:
            return True
        try:
            with self._pool.connection() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
                cur.execute(engine_sql.GENERIC_PLANS_HERE)
                lock_runs(cur, acks, [], [])  # in run order, as the engine's batches lock them
                mark_dispatched(cur, acks, self._unreported_ms)
        except Exception as exc:
            if is_outage(exc):
                self._publisher.give_back(acks)
                log.warning("acknowledgements of %d job(s) wait for the database: %s", len(acks), exc)
                return False
            log.exception("dropping %d acknowledgements (their jobs are published again)", len(acks))
        return True
