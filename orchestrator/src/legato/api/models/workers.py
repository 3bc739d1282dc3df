# ruff: noqa: N815 - the API's field names
"""The answer of /workers: live workers per action, lag, and actions without a worker."""

from legato.api.models._base import Answer


class WorkerMember(Answer):
    clientId: str
    host: str
    language: str | None  # from the client id, `legato-<language>-<workerId>`


class ActionWorkers(Answer):
    group: str
    state: str
    workers: list[WorkerMember]
    languages: list[str]
    lag: int | None
    queuedJobs: int
    openJobs: int


class ActionWithoutWorker(Answer):
    action: str
    lag: int | None
    queuedJobs: int
    openJobs: int


class Workers(Answer):
    actions: dict[str, ActionWorkers]
    noWorker: list[ActionWithoutWorker]
    lagError: str | None
