"""Consumer lag of the job topics: per action, end offsets minus the worker group's committed
offsets, summed over partitions, bounded by a timeout and cached briefly.

End offsets come from the admin API (ListOffsets), committed offsets from a group consumer
(kafka.committed: the admin's ListConsumerGroupOffsets can crash the process)."""

import threading
import time
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from legato.kafka.committed import GroupOffsets
from legato.kafka.isolated import GroupAdmin
from legato_protocol.topics import job_topic, jobs_dlt_topic, worker_group

CACHE_SECONDS = 2.0


@dataclass(slots=True)
class LagCache:
    """The last answer per job-topic prefix, reused for CACHE_SECONDS."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    at: dict[str, float] = field(default_factory=dict)
    value: dict[str, dict[str, int]] = field(default_factory=dict)

    def get(
        self, admin: AdminClient, offsets: GroupOffsets, jobs_prefix: str, group_prefix: str, timeout: float
    ) -> dict[str, int]:
        with self.lock:  # one caller asks Kafka; the others wait for its answer
            now = time.monotonic()
            if now - self.at.get(jobs_prefix, -CACHE_SECONDS) < CACHE_SECONDS:
                return self.value[jobs_prefix]
            lag = consumer_lag(admin, offsets, jobs_prefix, group_prefix, timeout)
            self.at[jobs_prefix], self.value[jobs_prefix] = time.monotonic(), lag
            return lag


CACHE = LagCache()


def consumer_lag(
    admin: AdminClient, offsets: GroupOffsets, jobs_prefix: str, group_prefix: str, timeout: float
) -> dict[str, int]:
    """Per action with a job topic: messages its worker group has not committed yet.

    End offsets are one request for every topic; committed offsets are one request per group, read
    stalest first until `timeout`: with many actions an answer may cover only some of them (the
    others are read first next time), and an action whose group did not answer is left out. Raises
    when no group answered."""
    deadline = time.monotonic() + timeout
    topics = job_topics(admin, jobs_prefix, timeout)
    if not topics:
        return {}
    partitions = [TopicPartition(job_topic(jobs_prefix, a), p) for a, ps in topics.items() for p in ps]
    latest, earliest = OffsetSpec.latest(), OffsetSpec.earliest()
    ends = _offsets(admin, partitions, latest, deadline)
    starts = _offsets(admin, partitions, earliest, deadline)
    out: dict[str, int] = {}
    failure: KafkaException | None = None
    by_group = {worker_group(group_prefix, a): a for a in topics}
    for group in offsets.stalest_first(list(by_group)):
        if time.monotonic() >= deadline:
            break
        action = by_group[group]
        topic = job_topic(jobs_prefix, action)
        ps = topics[action]
        try:
            committed = offsets.committed(group, [TopicPartition(topic, p) for p in ps], _left(deadline))
        except KafkaException as exc:  # this group's coordinator did not answer: the others may
            failure = exc
            continue
        out[action] = sum(
            max(0, ends[(topic, p)] - committed.get((topic, p), starts[(topic, p)])) for p in ps
        )
    if not out:
        raise failure or KafkaException(KafkaError(KafkaError._TIMED_OUT, "no worker group answered"))
    return out


def job_topics(admin: AdminClient, jobs_prefix: str, timeout: float) -> dict[str, list[int]]:
    """Per action with a job topic: its partitions."""
    metadata = admin.list_topics(timeout=timeout)
    head, dlt = jobs_prefix + ".", jobs_dlt_topic(jobs_prefix)
    return {
        name[len(head) :]: sorted(t.partitions)
        for name, t in metadata.topics.items()
        if name.startswith(head) and name != dlt
    }


def _left(deadline: float) -> float:
    return max(0.1, deadline - time.monotonic())


def _offsets(
    admin: AdminClient, partitions: list[TopicPartition], spec: OffsetSpec, deadline: float
) -> dict[tuple[str, int], int]:
    futures = admin.list_offsets({tp: spec for tp in partitions}, request_timeout=_left(deadline))
    return {(tp.topic, tp.partition): f.result(_left(deadline)).offset for tp, f in futures.items()}


def ends(admin: AdminClient, partitions: list[TopicPartition], timeout: float) -> dict[tuple[str, int], int]:
    """The end (high watermark) of each partition that exists: one of a topic never created (or
    deleted) has none, and is left out rather than failing the others."""
    if not partitions:
        return {}
    deadline = time.monotonic() + timeout
    futures = admin.list_offsets(
        {tp: OffsetSpec.latest() for tp in partitions}, request_timeout=_left(deadline)
    )
    found: dict[tuple[str, int], int] = {}
    for tp, future in futures.items():
        try:
            found[(tp.topic, tp.partition)] = future.result(_left(deadline)).offset
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise
    return found


def topic_lag(admin: AdminClient, offsets: GroupOffsets, topic: str, group: str, timeout: float) -> int:
    """Records of `topic` that `group` has not committed yet, summed over its partitions."""
    deadline = time.monotonic() + timeout
    metadata = admin.list_topics(topic=topic, timeout=timeout)
    described = metadata.topics.get(topic)
    if described is None or described.error is not None:
        return 0
    partitions = [TopicPartition(topic, p) for p in sorted(described.partitions)]
    latest, earliest = OffsetSpec.latest(), OffsetSpec.earliest()
    ends = _offsets(admin, partitions, latest, deadline)
    starts = _offsets(admin, partitions, earliest, deadline)
    committed = offsets.committed(group, partitions, _left(deadline))
    return sum(
        max(0, ends[key] - committed.get(key, starts[key]))
        for key in ((topic, tp.partition) for tp in partitions)
    )


def group_members(admin: GroupAdmin, groups: list[str], timeout: float) -> dict[str, int]:
    """Members of each consumer group now (0 for a group that is empty, does not exist or did not
    answer). Described in the admin child process (kafka.isolated: librdkafka may abort on it)."""
    return {group: len(desc.members) for group, desc in admin.describe(groups, timeout).items()}
