"""A worker whose handlers do nothing but return their input (for `make bench`)."""

import sys

from legato_worker import Worker


def main() -> None:
    worker = Worker()
    for action in sys.argv[1:]:
        worker.register(action, lambda payload: payload)
    worker.start()


if __name__ == "__main__":
    main()
