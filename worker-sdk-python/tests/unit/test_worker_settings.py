"""LEGATO_* environment variables, same names and defaults as every other SDK."""

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from legato_worker import WorkerSettings

pytestmark = pytest.mark.unit


def test_defaults() -> None:
    s = WorkerSettings.from_env({})
    assert s.bootstrap_servers == "localhost:9092"
    assert s.jobs_topic == "workflow-jobs"
    assert s.results_topic == "workflow-results"
    assert s.group_prefix == "legato-workers"
    assert s.job_partitions == 6
    assert s.worker_id.endswith(f"-{os.getpid()}")
    assert s.concurrency == 16
    assert s.shutdown_timeout_ms == 30000
    assert s.log_level == "INFO"


def test_every_variable_is_read() -> None:
    s = WorkerSettings.from_env(
        {
            "LEGATO_KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092",
            "LEGATO_JOBS_TOPIC": "t-jobs",
            "LEGATO_RESULTS_TOPIC": "t-results",
            "LEGATO_GROUP_PREFIX": "g",
            "LEGATO_JOB_PARTITIONS": "3",
            "LEGATO_WORKER_ID": "w-1",
            "LEGATO_WORKER_CONCURRENCY": "4",
            "LEGATO_SHUTDOWN_TIMEOUT_MS": "1500",
            "LEGATO_LOG_LEVEL": "debug",
        }
    )
    assert (s.bootstrap_servers, s.jobs_topic, s.results_topic) == (
        "k1:9092,k2:9092",
        "t-jobs",
        "t-results",
    )
    assert (s.group_prefix, s.job_partitions, s.worker_id) == ("g", 3, "w-1")
    assert (s.concurrency, s.shutdown_timeout_ms, s.log_level) == (4, 1500, "DEBUG")


def test_empty_values_keep_defaults() -> None:
    s = WorkerSettings.from_env({"LEGATO_WORKER_ID": "", "LEGATO_JOB_PARTITIONS": ""})
    assert s.job_partitions == 6
    assert s.worker_id


def test_os_environ_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGATO_WORKER_ID", "from-env")
    assert WorkerSettings.from_env().worker_id == "from-env"


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("LEGATO_WORKER_CONCURRENCY", "many", "LEGATO_WORKER_CONCURRENCY must be an integer, got 'many'"),
        ("LEGATO_WORKER_CONCURRENCY", "0", "LEGATO_WORKER_CONCURRENCY must be at least 1, got 0"),
        ("LEGATO_WORKER_CONCURRENCY", "1.5", "LEGATO_WORKER_CONCURRENCY must be an integer"),
        ("LEGATO_WORKER_CONCURRENCY", "1_000", "LEGATO_WORKER_CONCURRENCY must be an integer"),
        ("LEGATO_JOB_PARTITIONS", "0", "LEGATO_JOB_PARTITIONS must be at least 1"),
        ("LEGATO_JOB_PARTITIONS", "-1", "LEGATO_JOB_PARTITIONS must be at least 1"),
        ("LEGATO_SHUTDOWN_TIMEOUT_MS", "-1", "LEGATO_SHUTDOWN_TIMEOUT_MS must be at least 0"),
        ("LEGATO_MAX_PAYLOAD_BYTES", "0", "LEGATO_MAX_PAYLOAD_BYTES must be at least 1"),
        ("LEGATO_MAX_POLL_INTERVAL_MS", "x", "LEGATO_MAX_POLL_INTERVAL_MS must be an integer"),
        ("LEGATO_SESSION_TIMEOUT_MS", "0", "LEGATO_SESSION_TIMEOUT_MS must be at least 1"),
        ("LEGATO_STALL_TIMEOUT_MS", "-1", "LEGATO_STALL_TIMEOUT_MS must be at least 0, got -1"),
        ("LEGATO_STALL_TIMEOUT_MS", "30s", "LEGATO_STALL_TIMEOUT_MS must be an integer, got '30s'"),
        ("LEGATO_STALL_TIMEOUT_MS", "1.5", "LEGATO_STALL_TIMEOUT_MS must be an integer"),
        ("LEGATO_CREATE_TOPICS", "maybe", "LEGATO_CREATE_TOPICS must be one of true/false"),
        ("LEGATO_LOG_LEVEL", "LOUD", "LEGATO_LOG_LEVEL must be one of DEBUG, INFO, WARN"),
        ("LEGATO_LOG_LEVEL", "CRITICAL", "LEGATO_LOG_LEVEL must be one of"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        WorkerSettings.from_env({name: value})


def test_zero_shutdown_timeout_is_allowed() -> None:
    assert WorkerSettings.from_env({"LEGATO_SHUTDOWN_TIMEOUT_MS": "0"}).shutdown_timeout_ms == 0


def test_stall_timeout_defaults_to_30_s_and_0_turns_the_warning_off() -> None:
    assert WorkerSettings.from_env({}).stall_timeout_ms == 30_000
    assert WorkerSettings.from_env({"LEGATO_STALL_TIMEOUT_MS": " 5000 "}).stall_timeout_ms == 5000
    assert WorkerSettings.from_env({"LEGATO_STALL_TIMEOUT_MS": "0"}).stall_timeout_ms == 0
    with pytest.raises(ValueError, match="stall_timeout_ms must be >= 0, got -5"):
        WorkerSettings(stall_timeout_ms=-5)


def test_new_variables_and_their_defaults() -> None:
    s = WorkerSettings.from_env({})
    assert (s.create_topics, s.max_payload_bytes) == (True, 1_000_000)
    assert (s.max_poll_interval_ms, s.session_timeout_ms, s.heartbeat_interval_ms) == (300_000, 10_000, 1000)
    assert s.security.protocol == "PLAINTEXT"
    s = WorkerSettings.from_env(
        {
            "LEGATO_CREATE_TOPICS": " No ",
            "LEGATO_MAX_PAYLOAD_BYTES": "2048",
            "LEGATO_MAX_POLL_INTERVAL_MS": "6000",
            "LEGATO_SESSION_TIMEOUT_MS": "2400",
        }
    )
    assert (s.create_topics, s.max_payload_bytes) == (False, 2048)
    assert (s.max_poll_interval_ms, s.session_timeout_ms, s.heartbeat_interval_ms) == (6000, 2400, 800)


@pytest.mark.parametrize(
    ("raw", "level"), [("warn", "WARNING"), ("Warning", "WARNING"), (" error ", "ERROR")]
)
def test_log_levels_are_case_insensitive_and_warn_is_warning(raw: str, level: str) -> None:
    assert WorkerSettings.from_env({"LEGATO_LOG_LEVEL": raw}).log_level == level


def test_security_settings_reach_every_client_config() -> None:
    s = WorkerSettings.from_env(
        {
            "LEGATO_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
            "LEGATO_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "LEGATO_KAFKA_SASL_USERNAME": "worker",
            "LEGATO_KAFKA_SASL_PASSWORD": "s3cret-pw",
            "LEGATO_KAFKA_SSL_CA_FILE": "/etc/legato/ca.pem",
        }
    )
    config = s.kafka_base_config()
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.password"] == "s3cret-pw"
    assert config["ssl.ca.location"] == "/etc/legato/ca.pem"
    assert "s3cret-pw" not in repr(s)
    assert "s3cret-pw" not in str(s)


_VARIABLES = st.sampled_from(
    [
        "LEGATO_JOB_PARTITIONS",
        "LEGATO_WORKER_CONCURRENCY",
        "LEGATO_SHUTDOWN_TIMEOUT_MS",
        "LEGATO_MAX_PAYLOAD_BYTES",
        "LEGATO_MAX_POLL_INTERVAL_MS",
        "LEGATO_SESSION_TIMEOUT_MS",
        "LEGATO_STALL_TIMEOUT_MS",
    ]
)
_BLANK = st.text(alphabet=" \t\r\n", max_size=4)


def _field(variable: str) -> str:
    return variable.removeprefix("LEGATO_").lower().replace("worker_concurrency", "concurrency")


@given(name=_VARIABLES, number=st.integers(min_value=1, max_value=10**9), left=_BLANK, right=_BLANK)
def test_integers_are_trimmed(name: str, number: int, left: str, right: str) -> None:
    assert getattr(WorkerSettings.from_env({name: f"{left}{number}{right}"}), _field(name)) == number


@given(name=_VARIABLES, blank=_BLANK)
def test_blank_integers_keep_their_default(name: str, blank: str) -> None:
    assert getattr(WorkerSettings.from_env({name: blank}), _field(name)) == getattr(
        WorkerSettings(), _field(name)
    )


@given(raw=st.text(max_size=12))
def test_integer_parsing_accepts_plain_decimals_only(raw: str) -> None:
    stripped = raw.strip()
    digits = stripped.lstrip("+-") if stripped[:1] in "+-" else stripped
    plain = bool(digits) and len(stripped) - len(digits) <= 1 and all("0" <= c <= "9" for c in digits)
    env = {"LEGATO_WORKER_CONCURRENCY": raw}
    if not stripped:
        assert WorkerSettings.from_env(env).concurrency == 16
    elif not plain:
        with pytest.raises(ValueError, match="LEGATO_WORKER_CONCURRENCY must be an integer"):
            WorkerSettings.from_env(env)
    elif int(stripped) < 1:
        with pytest.raises(ValueError, match="LEGATO_WORKER_CONCURRENCY must be at least 1"):
            WorkerSettings.from_env(env)
    else:
        assert WorkerSettings.from_env(env).concurrency == int(stripped)


@given(word=st.sampled_from(["true", "false", "1", "0", "yes", "no"]), data=st.data())
def test_booleans_any_case(word: str, data: st.DataObject) -> None:
    raw = "".join(c.upper() if data.draw(st.booleans()) else c for c in word)
    s = WorkerSettings.from_env({"LEGATO_CREATE_TOPICS": f" {raw} "})
    assert s.create_topics is (word in ("true", "1", "yes"))
