"""The public Worker: register handlers; `start()` runs them until SIGTERM/SIGINT or `stop()`."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

from legato_protocol import Result, topics
from legato_worker import _tracing
from legato_worker._admin import ensure_topics
from legato_worker._attempts import Attempts
from legato_worker._clock import Clock, system_clock
from legato_worker._consumer import ActionConsumer
from legato_worker._control import ControlReader
from legato_worker._envelope import seal, too_large
from legato_worker._errors import WorkerFatalError
from legato_worker._executor import Executor, Task
from legato_worker._handlers import Handler, Registered, check_action, registered
from legato_worker._metrics import serve
from legato_worker._publisher import Publisher
from legato_worker._settings import WorkerSettings
from legato_worker._shutdown import WORKER_SHUTDOWN
from legato_worker._version import LANGUAGE

log = logging.getLogger("legato_worker")

H = TypeVar("H", bound=Handler)

_ADMIN_TIMEOUT_S = 15.0
_MIN_FLUSH_S = 5.0
_CONSUMER_JOIN_S = 5.0
_RESULT_OVERHEAD_BYTES = 200_000  # ids, timestamps, and a capped failure envelope
_CANCEL_GRACE_S = 2.0  # after the drain limit: how long cancelled handlers get to answer

# Low-latency client settings, the same in every SDK (docs/protocol.md "Worker behaviour"); under
# the caller's `kafka_config`, which may change them. Nagle's algorithm off, as the Java and Node
# clients always have it: a small request behind an unacknowledged one waits for the broker's
# delayed ACK otherwise.
_EVERY_CLIENT: dict[str, Any] = {"socket.nagle.disable": True}
_JOB_CONSUMER: dict[str, Any] = {
    # A fetch returns as soon as one byte is there: a lone job is handed out at once.
    "fetch.min.bytes": 1,
    # The longest a fetch waits at the broker with nothing to fetch (librdkafka's default, as in
    # the Java and Node SDKs). 100 ms bought no lone-job latency and cost throughput: 10-25 % more
    # CPU per no-op job for Java in three paired runs, and Python's one paired run pointed the same
    # way.
    "fetch.wait.max.ms": 500,
    # The topic's metadata is asked again every 10 s (librdkafka's default: 5 minutes), so added
    # partitions, or a new topic a broker did not know yet when the group formed, get a consumer
    # within seconds (conformance test_added_partitions).
    "topic.metadata.refresh.interval.ms": 10_000,
}


class Worker:
    """Runs registered handlers for jobs from Kafka; see docs/protocol.md "Worker behaviour"."""

    def __init__(self, settings: WorkerSettings | None = None, *, clock: Clock | None = None) -> None:
        """`clock` (epoch milliseconds; default the system clock) is the wall clock of every time
        on the wire and of the `deadlineAt` check; durations never use it (`_clock.py`)."""
        self.settings = settings if settings is not None else WorkerSettings.from_env()
        self._clock: Clock = system_clock if clock is None else clock
        self._handlers: dict[str, Registered] = {}
        self._stop_requested = threading.Event()
        self._started = False
        self._fatal: WorkerFatalError | None = None
        self._publisher: Publisher | None = None

    @property
    def actions(self) -> list[str]:
        return list(self._handlers)

    def register(self, action: str, handler: Handler) -> None:
        """Run `handler(payload)` for each job of `action`; plain or `async` functions.

        A handler that declares a second positional parameter without a default is called as
        `handler(payload, ctx)` with the attempt's `JobContext` (also `current_job()`).

        Typed handlers: when the first parameter or the return is annotated with a pydantic model,
        a dataclass, a TypedDict or any type pydantic's TypeAdapter takes, the payload is validated
        into it before the handler runs and the output validated and dumped to JSON after; either
        failing fails the attempt, non-retryably, with error type `InvalidPayload`. Unannotated,
        `Any` and plain JSON types convert nothing. Raises TypeError for hints pydantic cannot take.
        """
        check_action(action)
        if not callable(handler):
            raise TypeError(f"handler for {action!r} is not callable: {handler!r}")
        if action in self._handlers:
            raise ValueError(f"action {action!r} is already registered")
        if self._started:
            raise RuntimeError("register() must be called before start()")
        self._handlers[action] = registered(handler)

    def action(self, name: str) -> Callable[[H], H]:
        """Decorator form of `register`: `@worker.action("charge-card")`."""

        def decorate(handler: H) -> H:
            self.register(name, handler)
            return handler

        return decorate

    def stop(self) -> None:
        """Ask a running `start()` to drain and return; safe from any thread or a handler."""
        self._stop_requested.set()

    def start(self) -> None:
        """Consume and run jobs until stopped; blocks. Signals are handled in the main thread.

        Raises `WorkerFatalError` when the worker had to stop on its own: Kafka could not be reached
        at start, or a fatal/authorization error made publishing impossible. Exit non-zero then.
        """
        if self._started:
            raise RuntimeError("a Worker can only be started once")
        if not self._handlers:
            raise RuntimeError("register at least one action before start()")
        self._started = True
        self._configure_logging()
        previous = self._install_signal_handlers()
        try:
            self._run()
        except WorkerFatalError as exc:  # could not start (e.g. Kafka unreachable)
            log.error("worker cannot start: %s", exc)
            raise
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if self._fatal is not None:
            raise WorkerFatalError(f"worker stopped on a fatal error: {self._fatal}") from self._fatal

    def _run(self) -> None:
        s = self.settings
        base: dict[str, Any] = {
            **_EVERY_CLIENT,
            **s.kafka_base_config(),
            "logger": logging.getLogger("legato_worker.kafka"),  # librdkafka logs, via logging
        }
        client_id = f"legato-{LANGUAGE}-{s.worker_id}"
        job_topics = {a: topics.job_topic(s.jobs_topic, a) for a in self._handlers}
        dlt_topic = topics.jobs_dlt_topic(s.jobs_topic)
        wanted = {t: s.job_partitions for t in job_topics.values()}
        wanted.setdefault(dlt_topic, s.job_partitions)
        wanted.setdefault(s.results_topic, s.job_partitions)
        wanted.setdefault(s.control_topic, 1)
        if s.create_topics:
            control_config = dict(topics.CONTROL_TOPIC_CONFIG)
            ensure_topics(base, wanted, _ADMIN_TIMEOUT_S, {s.control_topic: control_config})

        publisher = Publisher(
            {
                **base,
                "client.id": client_id,
                "enable.idempotence": True,
                "acks": "all",
                # Sent at once: the producer thread produces every finished job's result in one pass,
                # so under load they share requests anyway; a linger only held a lone result back
                # (docs/protocol.md, "Worker behaviour", item 1).
                "linger.ms": 0,
                # Java's default for keyed records, so every SDK puts a run's results on one partition
                "partitioner": "murmur2_random",
                # room for an output of max_payload_bytes plus the result's other fields
                "message.max.bytes": max(1_000_000, s.max_payload_bytes + _RESULT_OVERHEAD_BYTES),
            },
            on_fatal=self._on_fatal,
        )
        self._publisher = publisher
        attempts = Attempts(publisher, s.results_topic, s.worker_id, self._clock)
        executor = Executor(s.concurrency, s.worker_id, self._publish_result(publisher), attempts)
        if s.metrics_port is not None:  # imports prometheus_client only now
            gate = executor.gate
            executor.metrics = serve(
                s.metrics_host, s.metrics_port, self.actions, s.concurrency, lambda: gate.active
            )
        executor.start(
            sync_handlers=any(not e.is_async for e in self._handlers.values()),
            async_handlers=any(e.is_async for e in self._handlers.values()),
        )
        publisher.start()
        attempts.start()
        control = ControlReader(
            s.control_topic, {**base, "client.id": client_id}, attempts.withdraw, self._on_fatal
        )
        try:
            caught_up = control.catch_up(self._stop_requested)  # before any job starts (item 11)
        except BaseException:
            self._close_early(control, attempts, executor, publisher)
            raise
        if not caught_up:  # stopped while waiting for the control topic
            self._close_early(control, attempts, executor, publisher)
            return
        control.start()
        consumers = [
            ActionConsumer(
                topic,
                {
                    **_JOB_CONSUMER,
                    **base,
                    "group.id": topics.worker_group(s.group_prefix, action),
                    "client.id": client_id,
                    "enable.auto.commit": True,
                    "enable.auto.offset.store": False,
                    "auto.offset.reset": "earliest",
                    # Shared by every SDK so mixed-language fleets can form one group (docs/protocol.md).
                    "partition.assignment.strategy": "roundrobin",
                    "session.timeout.ms": s.session_timeout_ms,
                    "heartbeat.interval.ms": s.heartbeat_interval_ms,
                    "max.poll.interval.ms": s.max_poll_interval_ms,
                },
                self._handlers,
                executor,
                publisher,
                action=action,
                stall_timeout_ms=s.stall_timeout_ms,
                results_topic=s.results_topic,
                dlt_topic=dlt_topic,
                worker_id=s.worker_id,
                max_payload_bytes=s.max_payload_bytes,
                on_fatal=self._on_fatal,
                clock=self._clock,
            )
            for action, topic in job_topics.items()
        ]
        try:
            for consumer in consumers:
                consumer.start()
            log.info(
                "worker %s running actions %s (concurrency %d)",
                s.worker_id,
                ", ".join(self._handlers),
                s.concurrency,
            )
            while not self._stop_requested.wait(0.5):
                pass
        finally:
            self._drain(consumers, executor, publisher, attempts, control)

    @staticmethod
    def _close_early(
        control: ControlReader, attempts: Attempts, executor: Executor, publisher: Publisher
    ) -> None:
        control.close()
        attempts.close()
        publisher.close()
        executor.shutdown()
        executor.metrics.close()

    def _publish_result(self, publisher: Publisher) -> Callable[[Task, Result], None]:
        results_topic = self.settings.results_topic
        limit = self.settings.max_payload_bytes

        def publish(task: Task, result: Result) -> None:
            headers = None if task.span is None else task.span.headers
            publisher.publish(
                results_topic,
                seal(result, limit),
                result["runId"],
                task.release_once,  # a STARTED or a Cancel may have released the job already
                headers=headers,
                on_too_large=lambda: (seal(too_large(result), limit), headers),
            )

        return publish

    def _drain(
        self,
        consumers: list[ActionConsumer],
        executor: Executor,
        publisher: Publisher,
        attempts: Attempts,
        control: ControlReader,
    ) -> None:
        # after a fatal error nothing more can be published: leave without waiting for handlers
        timeout_s = 0.0 if self._fatal is not None else self.settings.shutdown_timeout_ms / 1000
        deadline = time.monotonic() + timeout_s
        log.info("stopping: draining in-flight jobs (at most %.1f s)", timeout_s)
        for consumer in consumers:
            consumer.stop_fetching()
        for consumer in consumers:  # they stop within one poll; never close one still polling
            consumer.join(max(deadline - time.monotonic(), _CONSUMER_JOIN_S))
        if not executor.gate.wait_idle(deadline - time.monotonic()):
            running = executor.cancel_running(WORKER_SHUTDOWN)
            log.warning("%d handler(s) still running after %.1f s: cancelling them", running, timeout_s)
            grace = 0.0 if self._fatal is not None else _CANCEL_GRACE_S
            if not executor.gate.wait_idle(grace):
                # answered now (their threads are left to end alone): not redelivered
                answered = 0 if self._fatal is not None else executor.release_running()
                unanswered = executor.gate.active - answered
                if unanswered > 0:  # e.g. cancelled earlier by a Cancel or their startToCloseMs
                    log.warning(
                        "%d other handler(s) still running %.1f s after their cancellation; their"
                        " jobs will be redelivered unless withdrawn",
                        unanswered,
                        grace,
                    )
            deadline = max(deadline, time.monotonic())
        if executor.released_at_shutdown:
            log.warning(
                "released %d attempt(s) at shutdown: answered FAILED %s, queued again without"
                " using an attempt",
                executor.released_at_shutdown,
                WORKER_SHUTDOWN,
            )
        attempts.close()
        flush_s = 0.0 if self._fatal is not None else max(deadline - time.monotonic(), _MIN_FLUSH_S)
        unacked = publisher.flush(flush_s)
        _tracing.flush()
        if unacked:
            log.warning("%d write(s) unacknowledged at shutdown; their jobs will be redelivered", unacked)
        # side by side: each commits, leaves its group and waits for librdkafka's threads (up to a
        # second each), so one after the other a worker of 12 actions took 3.4 s to stop
        closing = [
            threading.Thread(target=_close, args=(c.close, c.topic), name=f"legato-close-{c.topic}")
            for c in consumers
        ]
        closing.append(threading.Thread(target=_close, args=(control.close, control.topic)))
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join()
        publisher.close()
        executor.shutdown()
        executor.metrics.close()
        log.info("worker %s stopped", self.settings.worker_id)

    def _on_fatal(self, exc: WorkerFatalError) -> None:
        if self._fatal is None:
            self._fatal = exc
        self.stop()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: finishing in-flight jobs", signal.Signals(signum).name)
        self.stop()

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _configure_logging(self) -> None:
        level = logging.getLevelName(self.settings.log_level.upper())
        log.setLevel(level)
        _tracing.install_log_fields()  # run_id, job_id, trace_id, span_id on every record
        if not logging.getLogger().handlers:
            logging.basicConfig(
                format="%(asctime)s %(levelname)s %(name)s %(message)s"
                " [run_id=%(run_id)s trace_id=%(trace_id)s]"
            )


def _close(close: Callable[[], None], topic: str) -> None:
    try:
        close()
    except Exception:
        log.exception("closing the client of %s failed", topic)
