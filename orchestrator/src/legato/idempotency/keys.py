"""The fast path of trigger idempotency: a Redis reservation per workflow and key.

The first request with a key reserves it with SET NX (the body's fingerprint and the run id it will
create). A request that finds a finished reservation is answered from Redis alone (the run id, or
422 for another body), one that finds a fresh unfinished one gets 409. Everything else goes to
PostgreSQL, which decides (record.py): a free key, an abandoned reservation (taken over), Redis
down or out of memory. Redis may lose keys (flush, failover) without a second run being possible:
what Redis answers is only ever what PostgreSQL committed or what a live request holds.

Redis errors never fail a trigger: after one, Redis is skipped for a second and PostgreSQL answers.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from uuid import UUID

import orjson
import redis
from uuid_utils.compat import uuid7

from legato import metrics

log = logging.getLogger(__name__)

KEY_PREFIX = "legato:idem:"
# An unfinished reservation older than this is taken over: its request died, or is slow enough
# that PostgreSQL (which makes the slower of the two wait for the other) settles it.
STALE_RESERVATION_MS = 5_000
# After a Redis error, triggers go straight to PostgreSQL for this long.
SKIP_AFTER_ERROR_S = 1.0

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_TAKE_OVER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0
"""


class Decision(Enum):
    NEW = "new"  # Redis does not know the answer: PostgreSQL decides (run_id is the one to create)
    REPLAY = "replay"  # the run exists: answer with it
    CONFLICT = "conflict"  # same key, different body: 422
    IN_FLIGHT = "in-flight"  # same key, first request still running: 409


@dataclass(frozen=True, slots=True)
class Reservation:
    decision: Decision
    run_id: UUID | None
    key: str
    value: bytes | None = None  # what this request holds in Redis (None: nothing)


def redis_key(workflow_id: str, key: str) -> str:
    return f"{KEY_PREFIX}{workflow_id}:{key}"


def _value(fingerprint: str, run_id: UUID, done: bool) -> bytes:
    return orjson.dumps({"fp": fingerprint, "runId": str(run_id), "at": _now_ms(), "done": done})


class IdempotencyKeys:
    def __init__(self, client: "redis.Redis", ttl_seconds: int) -> None:
        self.client = client
        self.ttl = ttl_seconds
        self._release = client.register_script(_RELEASE)
        self._take_over = client.register_script(_TAKE_OVER)
        self._skip_until = 0.0
        self._checked = False

    def reserve(self, workflow_id: str, key: str, fingerprint: str) -> Reservation:
        rkey = redis_key(workflow_id, key)
        if time.monotonic() < self._skip_until:
            return Reservation(Decision.NEW, uuid7(), rkey)
        try:
            if not self._checked:
                self._check_settings()
            return self._reserve(rkey, fingerprint)
        except redis.RedisError as exc:
            self._failed(exc)
            return Reservation(Decision.NEW, uuid7(), rkey)

    def reserve_many(self, workflow_id: str, wanted: Sequence[tuple[str, str]]) -> list[Reservation]:
        """`reserve` for many (key, fingerprint) of one workflow, distinct keys, in order: one round
        trip reserves every free key (SET NX, pipelined), a second reads the held ones."""
        rkeys = [redis_key(workflow_id, key) for key, _ in wanted]
        if time.monotonic() < self._skip_until:
            return [Reservation(Decision.NEW, uuid7(), rkey) for rkey in rkeys]
        try:
            if not self._checked:
                self._check_settings()
            return self._reserve_many(rkeys, [fingerprint for _, fingerprint in wanted])
        except redis.RedisError as exc:
            self._failed(exc)
            return [Reservation(Decision.NEW, uuid7(), rkey) for rkey in rkeys]

    def _reserve_many(self, rkeys: list[str], fingerprints: list[str]) -> list[Reservation]:
        run_ids = [uuid7() for _ in rkeys]
        values = [_value(fp, run_id, done=False) for fp, run_id in zip(fingerprints, run_ids, strict=True)]
        pipe = self.client.pipeline(transaction=False)
        for rkey, value in zip(rkeys, values, strict=True):
            pipe.set(rkey, value, nx=True, ex=self.ttl)
        reserved = pipe.execute()
        held = [n for n, ok in enumerate(reserved) if not ok]
        for n in held:
            pipe.get(rkeys[n])
        raws = dict(zip(held, pipe.execute() if held else [], strict=True))
        out: list[Reservation] = []
        for n, rkey in enumerate(rkeys):
            if n not in raws:
                out.append(Reservation(Decision.NEW, run_ids[n], rkey, values[n]))
            else:
                found = self._held(rkey, fingerprints[n], raws[n])
                out.append(found if found is not None else self._reserve(rkey, fingerprints[n]))
        return out

    def _reserve(self, rkey: str, fingerprint: str) -> Reservation:
        for _ in range(3):
            run_id = uuid7()
            value = _value(fingerprint, run_id, done=False)
            if self.client.set(rkey, value, nx=True, ex=self.ttl):
                return Reservation(Decision.NEW, run_id, rkey, value)
            found = self._held(rkey, fingerprint, self.client.get(rkey))
            if found is not None:
                return found
        return Reservation(Decision.NEW, uuid7(), rkey)  # the key keeps changing: PostgreSQL decides

    def _held(self, rkey: str, fingerprint: str, raw: object) -> Reservation | None:
        """The answer of a key another request reserved; None: reserve it again (it expired or was
        released in between, or changed while being taken over)."""
        assert raw is None or isinstance(raw, bytes)
        if raw is None:
            return None
        held = orjson.loads(raw)
        held_id = UUID(held["runId"])
        if held["fp"] != fingerprint:
            return Reservation(Decision.CONFLICT, held_id, rkey)
        if held["done"]:
            return Reservation(Decision.REPLAY, held_id, rkey)
        if _now_ms() - int(held["at"]) < STALE_RESERVATION_MS:
            return Reservation(Decision.IN_FLIGHT, held_id, rkey)
        # Abandoned (or slow): take it over with the same run id; PostgreSQL settles it.
        mine = _value(fingerprint, held_id, done=False)
        if self._take_over(keys=[rkey], args=[raw, mine]) == 1:
            return Reservation(Decision.NEW, held_id, rkey, mine)
        return None

    def _check_settings(self) -> None:
        """Warn once if Redis may evict reservations (docs/failure-handling.md, Redis settings)."""
        self._checked = True
        try:
            policy = self.client.config_get("maxmemory-policy").get("maxmemory-policy")
        except redis.ResponseError:  # CONFIG disabled (managed Redis): nothing to check
            return
        if policy is not None and policy not in ("noeviction", b"noeviction"):
            log.warning(
                "Redis maxmemory-policy is %r: set it to noeviction, or reservations of requests in "
                "flight may be evicted (keys stay exact, PostgreSQL is their record)",
                policy,
            )

    def complete(self, r: Reservation, fingerprint: str, run_id: UUID) -> None:
        """The run was committed: later requests are answered from Redis."""
        if r.value is not None:
            done = _value(fingerprint, run_id, True)
            self._quietly(lambda: self.client.set(r.key, done, xx=True, keepttl=True))

    def complete_many(self, done: Sequence[tuple[Reservation, str, UUID]]) -> None:
        """`complete` for many (reservation, fingerprint, run id) in one round trip."""

        def write() -> None:
            pipe = self.client.pipeline(transaction=False)
            for r, fingerprint, run_id in done:
                if r.value is not None:
                    pipe.set(r.key, _value(fingerprint, run_id, True), xx=True, keepttl=True)
            pipe.execute()

        self._quietly(write)

    def remember(self, r: Reservation, fingerprint: str, run_id: UUID, ttl_seconds: int) -> None:
        """Put what PostgreSQL holds for the key back in Redis (after a flush, a failover, a miss)."""
        if ttl_seconds < 1:
            return  # about to expire: Redis must not outlive the record
        self._quietly(lambda: self.client.set(r.key, _value(fingerprint, run_id, True), ex=ttl_seconds))

    def release(self, r: Reservation) -> None:
        """This request made no run: free its reservation (if it still holds it)."""
        if r.value is not None:
            value = r.value
            self._quietly(lambda: self._release(keys=[r.key], args=[value]))

    def release_many(self, reservations: Sequence[Reservation]) -> None:
        """`release` for many reservations in one round trip."""

        def write() -> None:
            pipe = self.client.pipeline(transaction=False)
            for r in reservations:
                if r.value is not None:
                    self._release(keys=[r.key], args=[r.value], client=pipe)
            pipe.execute()

        self._quietly(write)

    def _quietly(self, write: Callable[[], object]) -> None:
        if time.monotonic() < self._skip_until:
            return
        try:
            write()
        except redis.RedisError as exc:
            self._failed(exc)

    def _failed(self, exc: redis.RedisError) -> None:
        if time.monotonic() >= self._skip_until:
            log.warning("Redis unavailable for idempotency keys (PostgreSQL answers): %s", exc)
        metrics.IDEMPOTENCY_REDIS_ERRORS.inc()
        self._skip_until = time.monotonic() + SKIP_AFTER_ERROR_S


def _now_ms() -> int:
    return int(time.time() * 1000)
