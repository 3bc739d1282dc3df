"""Prometheus metrics (served at /metrics)."""

from prometheus_client import Counter, Histogram

RUNS_STARTED = Counter("legato_runs_started_total", "Runs triggered")
RUNS_FINISHED = Counter("legato_runs_finished_total", "Runs that ended", ["status"])
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
    "legato_runs_stuck_total", "RUNNING runs found with nothing queued, running or waiting (resumed)"
)
DEAD_LETTERS = Counter("legato_dead_letters_total", "Records written to a DLT", ["kind"])
ENGINE_ERRORS = Counter("legato_engine_errors_total", "Engine iterations that failed and were retried")
TRIGGER_SECONDS = Histogram(
    "legato_trigger_seconds",
    "Time to accept a trigger",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
BATCH_SECONDS = Histogram(
    "legato_engine_batch_seconds",
    "Time to apply one batch of results (one transaction)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
BATCH_SIZE = Histogram(
    "legato_engine_batch_results",
    "Results per applied batch",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000),
)
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
ATTEMPT_TIMEOUTS = Counter("legato_attempt_timeouts_total", "Attempts whose deadline passed", ["kind"])
