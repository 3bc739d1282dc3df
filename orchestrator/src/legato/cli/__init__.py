"""The `legato` command: an API client (workflows, runs, trigger, dlt, schedules, triggers, actions,
workers, keys) and the server itself (serve, migrate). docs/cli.md describes every command and exit code."""

import sys


def main(argv: list[str] | None = None) -> int:
    """Run `legato` with these arguments (default: the process's); answer the exit code."""
    from legato.cli.app import run

    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
