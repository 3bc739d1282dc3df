"""Create topics idempotently (job topics per action, results and dead-letter topics).

Their replication is the cluster's (`default.replication.factor`, and `min.insync.replicas` with
it): 3 and 2 on a cluster that must survive a broker's loss (docs/operations.md), as the worker SDKs
create theirs."""

from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from legato.settings import Settings
from legato_protocol.topics import CONTROL_TOPIC_CONFIG, job_topic, jobs_dlt_topic, results_dlt_topic


class TopicError(RuntimeError):
    pass


def ensure_topics(
    admin: AdminClient,
    names: Iterable[str],
    partitions: int,
    timeout: float = 15,
    config: dict[str, str] | None = None,
) -> None:
    wanted = sorted(set(names))
    if not wanted:
        return
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [n for n in wanted if n not in existing]
    if not missing:
        return
    futures = admin.create_topics(
        [NewTopic(n, num_partitions=partitions, replication_factor=-1, config=config or {}) for n in missing],
        operation_timeout=timeout,
        request_timeout=timeout,
    )
    for name, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicError(f"could not create topic {name}: {exc}") from exc


def ensure_core_topics(admin: AdminClient, settings: Settings) -> None:
    ensure_topics(admin, [settings.kafka.results_topic], settings.kafka.job_partitions)
    ensure_topics(
        admin, [jobs_dlt_topic(settings.kafka.jobs_topic), results_dlt_topic(settings.kafka.results_topic)], 1
    )
    ensure_topics(admin, [settings.kafka.control_topic], 1, config=CONTROL_TOPIC_CONFIG)


def ensure_job_topics(admin: AdminClient, settings: Settings, actions: Iterable[str]) -> None:
    ensure_topics(
        admin, [job_topic(settings.kafka.jobs_topic, a) for a in actions], settings.kafka.job_partitions
    )
