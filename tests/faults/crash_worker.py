"""A worker process for crash tests: `slow` mode announces each job then hangs; `fast` mode answers."""

import sys
import threading

from legato_worker import Worker, WorkerSettings


def main() -> None:
    action, mode = sys.argv[1], sys.argv[2]
    # A short session timeout so the group notices a kill -9 in seconds, not the default 45 s.
    settings = WorkerSettings.from_env()
    settings = WorkerSettings(
        **{**settings.__dict__, "kafka_config": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}}
    )
    worker = Worker(settings)

    def handle(payload: object) -> object:
        if mode == "slow":
            print(f"STARTED {payload}", flush=True)
            threading.Event().wait(60)
        return {"handledBy": mode, "payload": payload}

    worker.register(action, handle)
    worker.start()


if __name__ == "__main__":
    main()
