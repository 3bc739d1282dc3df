"""Prometheus metrics (served at /metrics); docs/observability.md is the contract.

The API and the engine process share one view (prometheus_client multiprocess mode). Label values
come from bounded sets only: workflow ids, actions, statuses, error types, kinds; never an id of a
run, job or worker. The engine does not call this module: its observer does (engine.metrics_observer), once
per batch, from the tallies of what the batch decided (workflow.outcomes), one increment per label
set; label children are cached (`child`).
"""

from collections import Counter as Tally
from collections.abc import Iterable
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge, Histogram

# Seconds; step times range from milliseconds (a queue with idle workers) to hours (a backlog).
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
ERROR_TYPE_MAX = 64  # an error type is a class name; a longer one is cut (bounded label values)
# Error types come from workers: the first ERROR_TYPES_KEPT distinct ones a process counts keep
# their name as a label value, any later one is counted as OTHER_ERROR_TYPE (bounded series).
ERROR_TYPES_KEPT = 50
OTHER_ERROR_TYPE = "other"

# --- runs and triggers ------------------------------------------------------------------------
RUNS_STARTED = Counter("legato_runs_started_total", "Runs triggered", ["workflow"])
RUNS_FINISHED = Counter(
    "legato_runs_finished_total", "Runs that ended (COMPLETED, FAILED, CANCELLED)", ["workflow", "status"]
)
TRIGGER_SECONDS = Histogram(
    "legato_trigger_duration_seconds",
    "Time to accept a trigger",
    ["workflow"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5),
)
IDEMPOTENT_REPLAYS = Counter(
    "legato_idempotent_replays_total", "Keyed triggers answered with an earlier run", ["workflow"]
)

# --- attempts (observed when the engine applies their outcome) ----------------------------------
STEP_QUEUE_SECONDS = Histogram(
    "legato_step_queue_seconds",
    "An attempt's queue time: dispatch to the start a worker reports",
    ["action"],
    buckets=STEP_BUCKETS,
)
STEP_EXECUTION_SECONDS = Histogram(
    "legato_step_execution_seconds",
    "An attempt's execution time: start to result",
    ["action"],
    buckets=STEP_BUCKETS,
)
ATTEMPTS = Counter(
    "legato_attempts_total", "Attempts that ended (completed, failed, timed_out)", ["action", "outcome"]
)
RETRIES = Counter(
    "legato_retries_total", "Retries scheduled, by the failure that caused them", ["action", "error_type"]
)
ATTEMPT_TIMEOUTS = Counter(
    "legato_attempt_timeouts_total",
    "Attempts whose deadline passed (ScheduleToStart, StartToClose, Heartbeat)",
    ["action", "kind"],
)
DEAD_LETTERS = Counter(
    "legato_dead_letters_total",
    "Jobs dead-lettered (retries exhausted or non-retryable)",
    ["action", "error_type"],
)

# --- sampled by the engine every few seconds (engine.sampler) -----------------------------------
CONSUMER_LAG = Gauge(
    "legato_consumer_lag_messages",
    "Records not yet consumed: each action's job topic (worker group) and the results topic (engine)",
    ["topic", "group"],
    multiprocess_mode="livemostrecent",
)
ACTION_CONSUMERS = Gauge(
    "legato_action_consumers",
    "Members of an action's worker group (0: no worker consumes its jobs)",
    ["action"],
    multiprocess_mode="livemostrecent",
)
OUTBOX_DEPTH = Gauge(
    "legato_outbox_depth",
    "Jobs written and not yet acknowledged by Kafka (due, or being handed to it)",
    multiprocess_mode="livemostrecent",
)
SIGNAL_WAITS = Gauge(
    "legato_signal_waits",
    "Signal steps waiting for their signal now",
    multiprocess_mode="livemostrecent",
)
RUNS_PAUSED = Gauge(
    "legato_runs_paused",
    "Runs paused now (their jobs wait in the outbox and are not counted in legato_outbox_depth)",
    multiprocess_mode="livemostrecent",
)
OUTBOX_OLDEST_AGE = Gauge(
    "legato_outbox_oldest_age_seconds",
    "How long the oldest of them has been due (0 when none)",
    multiprocess_mode="livemostrecent",
)

# --- the engine ---------------------------------------------------------------------------------
BATCH_SECONDS = Histogram(
    "legato_engine_batch_duration_seconds",
    "Time to apply one batch of results (one transaction)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
BATCH_SIZE = Histogram(
    "legato_engine_batch_size",
    "Results per applied batch",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000),
)
ENGINE_PAUSED = Gauge(
    "legato_engine_paused",
    "1 while the engine waits out an outage (database or Kafka), else 0",
    multiprocess_mode="livemax",
)
RESULTS_APPLIED = Counter("legato_results_consumed_total", "Results consumed from Kafka")
JOBS_PUBLISHED = Counter("legato_jobs_published_total", "Jobs handed to Kafka")
JOBS_UNACKNOWLEDGED = Counter(
    "legato_jobs_unacknowledged_total", "Jobs Kafka did not acknowledge (published again from the outbox)"
)
JOBS_REFUSED = Counter(
    "legato_jobs_refused_total", "Jobs Kafka refused for good (their attempt fails, non-retryable)"
)
POISON_RESULTS = Counter(
    "legato_results_isolated_total",
    "Results that could not be applied (data error or bug): sent to workflow-results.DLT, engine went on",
)
TRIGGERS_ISOLATED = Counter(
    "legato_trigger_batches_split_total", "Trigger group commits that failed and were retried one by one"
)
RUNS_STUCK = Counter(
    "legato_runs_stuck_total",
    "RUNNING runs found with nothing queued, running or waiting, or with an attempt a worker consumed "
    "and never reported on (resumed)",
)
DEADLINES_HELD = Gauge(
    "legato_engine_deadlines_held_seconds",
    "How long attempt deadlines have been due but held: the engines have not read every worker "
    "report written before them yet (0: none held)",
    multiprocess_mode="livemax",
)
CLOCK_SKEW_SKIPS = Counter(
    "legato_worker_clock_ahead_skips_total",
    "Attempts a worker skipped as past their start-by time before that time by the database's clock "
    "(the worker's clock is ahead; not counted as expiries)",
)
DLT_RECORDS = Counter(
    "legato_dlt_records_total",
    "Records written to a DLT (job: a dead-lettered job; result: a poison result)",
    ["kind"],
)
ENGINE_ERRORS = Counter("legato_engine_errors_total", "Engine iterations that failed and were retried")
RETENTION_RUNS = Counter(
    "legato_retention_deleted_runs_total", "Finished runs deleted by retention (LEGATO_RETENTION_DAYS)"
)
RETENTION_ROWS = Counter(
    "legato_retention_deleted_rows_total", "Rows deleted by retention, by table", ["table"]
)
RETENTION_PAYLOADS = Counter(
    "legato_retention_dropped_payloads_total",
    "Payloads of finished jobs emptied (LEGATO_JOB_PAYLOAD_RETENTION_HOURS)",
)
RETENTION_ERRORS = Counter("legato_retention_errors_total", "Retention sweeps that failed (retried later)")
RETENTION_BATCH_SECONDS = Histogram(
    "legato_retention_batch_seconds",
    "Time of one retention transaction (a batch of runs deleted or payloads dropped)",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IDEMPOTENCY_DECISIONS = Counter(
    "legato_idempotency_decisions_total",
    "Keyed triggers by decision (new, replay, conflict, in_flight) and by who decided (redis, postgres)",
    ["decision", "source"],
)
IDEMPOTENCY_REDIS_ERRORS = Counter(
    "legato_idempotency_redis_errors_total",
    "Redis errors on the idempotency fast path (PostgreSQL answered instead)",
)
ATTEMPTS_WITHDRAWN = Counter(
    "legato_attempts_withdrawn_total", "Cancel records published on the control topic (attempts withdrawn)"
)
PROGRESS_RECORDS = Counter(
    "legato_progress_records_total", "Progress records from workers (protocol v2)", ["kind"]
)

SCHEDULE_FIRES = Counter(
    "legato_schedule_fires_total",
    "Schedule fire times handled, by outcome (started, skipped, buffered, failed)",
    ["outcome"],
)
SCHEDULE_MISSED = Counter(
    "legato_schedule_missed_fires_total",
    "Schedule fire times skipped for being older than their catch-up window (no orchestrator ran)",
)
TRIGGER_RECORDS = Counter(
    "legato_trigger_records_total",
    "Kafka-topic trigger records taken, by outcome (started, duplicate, deadLettered, queued)",
    ["trigger", "outcome"],
)
TRIGGER_LAG = Gauge(
    "legato_trigger_lag",
    "Records of a Kafka-topic trigger's topic not yet taken (sum over partitions, last sample)",
    ["trigger"],
    multiprocess_mode="livemostrecent",
)

# --- flow control -----------------------------------------------------------------------------------
THROTTLED_JOBS = Gauge(
    "legato_throttled_jobs",
    "Jobs of a limited action waiting in PostgreSQL for a slot or a token (last sample)",
    ["action"],
    multiprocess_mode="livemostrecent",
)
ACTION_IN_FLIGHT = Gauge(
    "legato_action_in_flight",
    "Jobs of a limited action published (or being published) and not ended (last sample)",
    ["action"],
    multiprocess_mode="livemostrecent",
)
ACTION_TOKENS = Gauge(
    "legato_action_tokens",
    "Rate tokens left in a limited action's bucket (last sample; absent without a rate)",
    ["action"],
    multiprocess_mode="livemostrecent",
)
PENDING_RUNS = Gauge(
    "legato_pending_runs",
    "Runs PENDING behind their concurrency key (last sample)",
    multiprocess_mode="livemostrecent",
)
BACKLOG = Gauge(
    "legato_backlog",
    "Work not started: PENDING runs and jobs no worker has started (the API's last sample)",
    multiprocess_mode="livemostrecent",
)
ADMISSION_REFUSALS = Counter(
    "legato_admission_refusals_total",
    "Triggers refused with 429 because too much work had not started, by limit (global, workflow)",
    ["workflow", "scope"],
)

M = TypeVar("M", Counter, Gauge, Histogram)
_children: dict[tuple[int, tuple[str, ...]], Any] = {}
_error_types: set[str] = set()


def child(metric: M, *labels: str) -> M:
    """`metric.labels(*labels)`, made once per label set (labels() takes a lock and builds a key)."""
    key = (id(metric), labels)
    found = _children.get(key)
    if found is None:
        found = _children[key] = metric.labels(*labels)
    return found


def error_type(value: object) -> str:
    """The label value of a worker's error type: cut to ERROR_TYPE_MAX characters, and one of the
    first ERROR_TYPES_KEPT distinct types seen, else OTHER_ERROR_TYPE."""
    text = str(value or "Error")[:ERROR_TYPE_MAX]
    if text in _error_types:
        return text
    if len(_error_types) >= ERROR_TYPES_KEPT:
        return OTHER_ERROR_TYPE
    _error_types.add(text)
    return text


def count(metric: Counter, tally: "Tally[tuple[str, ...]]") -> None:
    """One increment per label set."""
    for labels, n in tally.items():
        child(metric, *labels).inc(n)


def runs_started(workflows: Iterable[str]) -> None:
    count(RUNS_STARTED, Tally((w,) for w in workflows))


def runs_settled(finished: Iterable[tuple[str, str]], started: Iterable[str]) -> None:
    """Runs an operation's transaction ended ((workflow, status) each) or started as children."""
    count(RUNS_FINISHED, Tally(finished))
    runs_started(started)
