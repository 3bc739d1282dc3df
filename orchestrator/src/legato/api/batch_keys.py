"""The keyed items of a batch trigger, one round at a time.

Each key's first item is decided as a single trigger with that Idempotency-Key would be (api.workflows):
Redis first (its fast path, pipelined for the round), then PostgreSQL in the group commit. A later
item of the key with the same body gets the first one's answer, as a replay when it is a run; one
with another body gets the 422 of a reused key once the first made (or replayed) a run, and is
decided in the next round otherwise, as it would be if it had been sent after the first.
"""

from collections.abc import Callable
from uuid import UUID

from starlette.concurrency import run_in_threadpool

from legato import metrics
from legato.api.batch_items import Answer, Item, failed, made
from legato.api.errors import ApiError
from legato.api.services import Services
from legato.api.triggering import BUSY, BUSY_RETRY_AFTER_S, REUSED
from legato.idempotency.keys import Decision, Reservation
from legato.idempotency.record import KeyBusy, KeyReused, Replayed
from legato.runs.trigger import RunAlreadyExists

_BUSY = ApiError(409, BUSY, {"Retry-After": str(BUSY_RETRY_AFTER_S)})
_REUSED = ApiError(422, REUSED)


class KeyedRound:
    def __init__(self, s: Services, workflow_id: str, items: list[Item], results: list[Answer]) -> None:
        self.s = s
        self.workflow_id = workflow_id
        self.results = results
        self.first: dict[str, Item] = {}
        self.repeats: list[tuple[Item, Item]] = []  # (an item, its key's first item), same body
        self.others: list[Item] = []  # items with another body than their key's first
        for item in items:
            assert item.key is not None
            first = self.first.setdefault(item.key, item)
            if first is item:
                continue
            if first.fingerprint == item.fingerprint:
                self.repeats.append((item, first))
            else:
                self.others.append(item)
        self.fresh: list[tuple[Item, Reservation]] = []  # the keys Redis left to PostgreSQL
        self.started = 0
        self._complete: list[tuple[Reservation, str, UUID]] = []
        self._release: list[Reservation] = []
        self._remember: list[Callable[[], None]] = []

    async def reserve(self) -> None:
        """Each key's answer from Redis, or its reservation (`fresh`: to be written)."""
        firsts = list(self.first.values())
        if not firsts:
            return
        wanted = [(i.key or "", i.fingerprint) for i in firsts]
        reservations = await run_in_threadpool(self.s.keys.reserve_many, self.workflow_id, wanted)
        for item, r in zip(firsts, reservations, strict=True):
            if r.decision is Decision.NEW:
                self.fresh.append((item, r))
            else:
                self.results[item.index] = self._from_redis(r)

    async def release(self) -> None:
        """This round made no run (refused, or the database stayed down): free its reservations."""
        if self.fresh:
            await run_in_threadpool(self.s.keys.release_many, [r for _, r in self.fresh])

    async def settle(self, outcomes: list[object]) -> None:
        """The answers of the `fresh` items from their writes' outcomes (in order), Redis told what
        PostgreSQL decided, then the answers of the repeats."""
        for (item, r), outcome in zip(self.fresh, outcomes, strict=True):
            self.results[item.index] = self._settled(item, r, outcome)
        if self._complete or self._release or self._remember:
            await run_in_threadpool(self._tell_redis)
        for item, first in self.repeats:
            answer = self.results[first.index]
            if answer["status"] == 200:
                metrics.child(metrics.IDEMPOTENT_REPLAYS, self.workflow_id).inc()
                answer = made(UUID(answer["runId"]), replayed=True)
            self.results[item.index] = answer

    def later(self) -> list[Item]:
        """The items for the next round: those with another body whose key's first made no run
        (the others get 422: the key is held for the first one's body now)."""
        left: list[Item] = []
        for item in self.others:
            if self.results[self.first[item.key or ""].index]["status"] == 200:
                self.results[item.index] = failed(_REUSED)
            else:
                left.append(item)
        return left

    def _from_redis(self, r: Reservation) -> Answer:
        metrics.IDEMPOTENCY_DECISIONS.labels(r.decision.value.replace("-", "_"), "redis").inc()
        if r.decision is Decision.CONFLICT:
            return failed(_REUSED)
        if r.decision is Decision.IN_FLIGHT:
            return failed(_BUSY)
        assert r.run_id is not None
        metrics.child(metrics.IDEMPOTENT_REPLAYS, self.workflow_id).inc()
        return made(r.run_id, replayed=True)

    def _settled(self, item: Item, r: Reservation, outcome: object) -> Answer:
        """As the single trigger answers its write's outcome (api.workflows)."""
        assert r.run_id is not None
        if isinstance(outcome, UUID):
            metrics.IDEMPOTENCY_DECISIONS.labels("new", "postgres").inc()
            self._complete.append((r, item.fingerprint, outcome))
            self.started += 1
            return made(outcome)
        if isinstance(outcome, RunAlreadyExists):
            metrics.child(metrics.IDEMPOTENT_REPLAYS, self.workflow_id).inc()
            return made(r.run_id, replayed=True)
        if isinstance(outcome, Replayed):  # PostgreSQL had the run (Redis lost or never got it)
            metrics.IDEMPOTENCY_DECISIONS.labels("replay", "postgres").inc()
            metrics.child(metrics.IDEMPOTENT_REPLAYS, self.workflow_id).inc()
            run_id, ttl = outcome.run_id, outcome.ttl_seconds
            self._remember.append(lambda: self.s.keys.remember(r, item.fingerprint, run_id, ttl))
            return made(outcome.run_id, replayed=True)
        if isinstance(outcome, KeyReused):  # PostgreSQL holds the key for another body
            metrics.IDEMPOTENCY_DECISIONS.labels("conflict", "postgres").inc()
            exc = outcome
            self._remember.append(
                lambda: self.s.keys.remember(r, exc.fingerprint, exc.run_id, exc.ttl_seconds)
            )
            return failed(_REUSED)
        self._release.append(r)
        assert isinstance(outcome, BaseException)
        return failed(_BUSY if isinstance(outcome, KeyBusy) else outcome)

    def _tell_redis(self) -> None:
        self.s.keys.complete_many(self._complete)
        self.s.keys.release_many(self._release)
        for remember in self._remember:
            remember()
