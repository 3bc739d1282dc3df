"""Consumer-group admin requests, made in a child process that librdkafka may abort.

librdkafka fails an assertion and aborts its whole process (SIGABRT, `rd_kafka_enq_once_del_
source_return: Assertion eonce->refcnt > 0`) when a coordinator-bound admin request such as
DescribeConsumerGroups times out while the group's coordinator moves (confluentinc/librdkafka#4605,
open; 2.8 here, and reported against 2.15). `make chaos-ha` hit it: a broker was killed and both
engines aborted while they sampled the worker groups. So those requests (list and describe groups)
run in a child process with an AdminClient of its own (kafka.admin_child), one JSON line per
request and answer: when librdkafka aborts it, the call fails like a Kafka timeout and the next
call starts a new child. The child exits when its parent does (its stdin closes). Committed offsets
are never read with the admin API at all (kafka.committed).
"""

import json
import logging
import selectors
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from confluent_kafka import KafkaError, KafkaException

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Member:
    client_id: str
    host: str


@dataclass(frozen=True, slots=True)
class Group:
    """A consumer group as DescribeConsumerGroups saw it; `error` set when it could not say."""

    state: str = ""
    members: tuple[Member, ...] = ()
    error: str | None = None


class GroupAdmin:
    """List and describe consumer groups through the child process (started at the first call;
    calls are serialised)."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._child: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def list_groups(self, timeout: float) -> list[str]:
        answer: list[str] = self._call({"op": "list", "timeout": timeout}, timeout)
        return answer

    def describe(self, groups: list[str], timeout: float) -> dict[str, Group]:
        if not groups:
            return {}
        answer = self._call({"op": "describe", "groups": groups, "timeout": timeout}, timeout)
        return {
            group: Group(
                g["state"], tuple(Member(m["clientId"], m["host"]) for m in g["members"]), g["error"]
            )
            for group, g in answer.items()
        }

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _call(self, request: dict[str, Any], timeout: float) -> Any:
        with self._lock:
            child = self._started()
            assert child.stdin is not None and child.stdout is not None
            try:
                child.stdin.write(json.dumps(request).encode() + b"\n")
                child.stdin.flush()
                line = _read_line(child.stdout, timeout + 5)
            except OSError:
                line = b""
            if not line:  # died (a librdkafka abort) or hung: the next call starts another
                code = child.poll()
                self._stop()
                log.warning(
                    "the Kafka admin child process %s",
                    "did not answer" if code is None else f"exited ({code})",
                )
                raise KafkaException(
                    KafkaError(KafkaError._TRANSPORT, "the Kafka admin process did not answer")
                )
            answer = json.loads(line)
            if "error" in answer:
                raise KafkaException(KafkaError(KafkaError._TIMED_OUT, answer["error"]))
            return answer["result"]

    def _started(self) -> "subprocess.Popen[bytes]":
        if self._child is None or self._child.poll() is not None:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "legato.kafka.admin_child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            assert self._child.stdin is not None
            self._child.stdin.write(json.dumps(self._config).encode() + b"\n")
            self._child.stdin.flush()
        return self._child

    def _stop(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.kill()
            child.wait(5)
            for pipe in (child.stdin, child.stdout):
                if pipe is not None:
                    pipe.close()


def _read_line(stream: IO[bytes], timeout: float) -> bytes:
    """One line, or b"" on EOF or when none came within `timeout`."""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if selector.select(left):
                return stream.readline()
    return b""
