"""Race-free trigger idempotency.

The first request with a key reserves it with SET NX, storing the body's fingerprint and the run
id it will create. The run id is fixed before the run exists, so whatever happens next (a crash, a
takeover of a stale reservation), PostgreSQL's primary key on runs lets at most one run be created
for the key. A failed trigger releases its reservation.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from uuid import UUID

import orjson
import redis
from uuid_utils.compat import uuid7

KEY_PREFIX = "legato:idem:"
RunExists = Callable[[UUID], bool]
# A reservation older than this whose run does not exist was abandoned (its request died).
STALE_RESERVATION_MS = 5_000

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Decision(Enum):
    NEW = "new"  # create the run with this id
    REPLAY = "replay"  # the run exists: answer with it
    CONFLICT = "conflict"  # same key, different body: 422
    IN_FLIGHT = "in-flight"  # same key, first request still running: 409


@dataclass(frozen=True, slots=True)
class Reservation:
    decision: Decision
    run_id: UUID | None
    key: str
    value: bytes | None = None


def redis_key(workflow_id: str, key: str) -> str:
    return f"{KEY_PREFIX}{workflow_id}:{key}"


class IdempotencyKeys:
    def __init__(self, client: "redis.Redis", ttl_seconds: int) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self._release = client.register_script(_RELEASE)

    def reserve(self, workflow_id: str, key: str, fingerprint: str, run_exists: RunExists) -> Reservation:
        rkey = redis_key(workflow_id, key)
        for _ in range(3):
            run_id = uuid7()
            value = orjson.dumps({"fp": fingerprint, "runId": str(run_id), "at": _now_ms(), "done": False})
            if self.client.set(rkey, value, nx=True, ex=self.ttl):
                return Reservation(Decision.NEW, run_id, rkey, value)
            raw = self.client.get(rkey)
            assert raw is None or isinstance(raw, bytes)
            if raw is None:
                continue  # expired or released in between: try to reserve again
            held = orjson.loads(raw)
            held_id = UUID(held["runId"])
            if held["fp"] != fingerprint:
                return Reservation(Decision.CONFLICT, held_id, rkey)
            if run_exists(held_id):
                if not held["done"]:
                    self.complete(Reservation(Decision.NEW, held_id, rkey, raw))
                return Reservation(Decision.REPLAY, held_id, rkey)
            if held["done"]:
                # The key outlived its run (a restored or wiped database): create it again.
                return Reservation(Decision.NEW, held_id, rkey, raw)
            if _now_ms() - int(held["at"]) < STALE_RESERVATION_MS:
                return Reservation(Decision.IN_FLIGHT, held_id, rkey)
            # Abandoned: take it over with the same run id (the primary key allows one run).
            return Reservation(Decision.NEW, held_id, rkey, raw)
        return Reservation(Decision.IN_FLIGHT, None, rkey)

    def complete(self, r: Reservation) -> None:
        held = orjson.loads(r.value or b"{}")
        held["done"] = True
        held["runId"] = str(r.run_id)
        self.client.set(r.key, orjson.dumps(held), xx=True, keepttl=True)

    def release(self, r: Reservation) -> None:
        if r.value is not None:
            self._release(keys=[r.key], args=[r.value])


def _now_ms() -> int:
    return int(time.time() * 1000)
