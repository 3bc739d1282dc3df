"""Creating the topics a worker needs, idempotently, before its consumers subscribe."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from legato_worker._errors import WorkerFatalError

log = logging.getLogger("legato_worker")


_AUTH_ERRORS = frozenset({KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED})


class KafkaUnavailableError(WorkerFatalError):
    """Kafka could not be reached or refused to create a topic at start-up."""


def ensure_topics(
    config: dict[str, Any],
    wanted: Mapping[str, int],
    timeout_s: float,
    topic_configs: Mapping[str, dict[str, str]] | None = None,
) -> None:
    """Create the topics of `wanted` (name -> partitions) that do not exist yet, with the topic
    settings `topic_configs` gives for some (e.g. the control topic's retention.ms).

    Lists first, so a worker whose topics exist needs no CREATE permission; new topics get the
    broker's default replication factor; a topic created meanwhile by someone else is fine.
    """
    refused: list[KafkaError] = []

    def on_error(err: KafkaError) -> None:
        if err.code() in _AUTH_ERRORS:
            refused.append(err)

    admin_config: dict[str, Any] = {**config, "error_cb": on_error}
    admin = AdminClient(admin_config)
    try:
        existing = admin.list_topics(timeout=timeout_s).topics
    except KafkaException as exc:
        admin.poll(0.1)  # serves error_cb: did the broker refuse our credentials?
        if refused:
            raise KafkaUnavailableError(
                f"Kafka at {config.get('bootstrap.servers')} refused the worker: authentication failed "
                f"({refused[0].str()}); check LEGATO_KAFKA_SASL_USERNAME / LEGATO_KAFKA_SASL_PASSWORD"
            ) from exc
        raise KafkaUnavailableError(
            f"cannot reach Kafka at {config.get('bootstrap.servers')}: {exc}"
            " (is it running? set LEGATO_KAFKA_BOOTSTRAP_SERVERS)"
        ) from exc
    missing = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=-1,
            config=(topic_configs or {}).get(name, {}),
        )
        for name, partitions in wanted.items()
        if name not in existing
    ]
    if not missing:
        return
    futures = admin.create_topics(missing, operation_timeout=timeout_s, request_timeout=timeout_s)
    for name, future in futures.items():
        try:
            future.result(timeout=timeout_s)
            log.info("created topic %s", name)
        except KafkaException as exc:
            if exc.args and exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise KafkaUnavailableError(f"cannot create topic {name}: {exc}") from exc
        except TimeoutError as exc:
            raise KafkaUnavailableError(f"creating topic {name} timed out") from exc
