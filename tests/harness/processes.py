"""What a `legato serve` process did with its children: which run now, and which exited (and how)."""

import re
from pathlib import Path

# legato.supervision logs this when a child process of `legato serve` (its engine, its intake) exits
CHILD_EXIT = re.compile(r"the legato-\w+ process exited \(code (-?\d+)\)")


def children(pid: int) -> set[int]:
    """The processes `pid` started that run right now (a `legato serve`: its engine, its intake)."""
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def child_exits(log: str) -> list[str]:
    """The exit codes of the child processes a `legato serve` log reports (negative: a signal)."""
    return CHILD_EXIT.findall(log)
