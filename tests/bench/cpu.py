"""CPU used by each process of the box while a bench runs, from /proc (Linux).

A `CpuMeter` reads every process's user + system ticks when it starts and again when it is read,
and sums them by role: the API, the engine and the intake of `legato serve` (named by
`legato.supervision`), PostgreSQL, the Kafka broker(s), Redis, the workers and the load generator
(this process). The box's own total comes from /proc/stat, so what no role claims (other
processes, processes that ended in between) shows as "other".
"""

import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


def _stat(pid: int) -> tuple[str, int] | None:
    """(comm, utime + stime in ticks) of a live process, or None."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    return comm, int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def _cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# (role, test on (comm, cmdline)), first match wins.
ROLES: tuple[tuple[str, Callable[[str, str], bool]], ...] = (
    ("engine", lambda comm, _: comm == "legato-engine"),
    ("intake", lambda comm, _: comm == "legato-intake"),
    ("API", lambda _, cmd: "legato serve" in cmd or "legato.kafka.admin_child" in cmd),
    ("PostgreSQL", lambda comm, _: comm == "postgres"),
    ("Kafka broker", lambda _, cmd: "kafka.Kafka" in cmd),
    ("Redis", lambda comm, _: comm.startswith("redis-server")),
    ("worker", lambda _, cmd: "noop_worker.py" in cmd or "conformance" in cmd),
)


def _role(pid: int, comm: str) -> str | None:
    if pid == os.getpid():
        return "load generator"
    cmd = _cmdline(pid)
    role = next((name for name, test in ROLES if test(comm, cmd)), None)
    if role is None and "multiprocessing.spawn" in cmd and "legato serve" in _cmdline(_parent(pid)):
        return "engine+intake (unnamed)"  # an orchestrator from before they were named (paired.py)
    return role


def _parent(pid: int) -> int:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0
    return int(raw[raw.rindex(")") + 2 :].split()[1])


def _box_ticks() -> int:
    """Busy ticks of every CPU: user, nice, system, irq, softirq (not idle, iowait or steal)."""
    fields = (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return user + nice + system + irq + softirq


class CpuMeter:
    def __init__(self) -> None:
        self._start = self._snapshot()
        self._box = _box_ticks()

    @staticmethod
    def _snapshot() -> dict[int, int]:
        ticks: dict[int, int] = {}
        for entry in PROC.iterdir():
            if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
                ticks[int(entry.name)] = stat[1]
        return ticks

    def seconds(self) -> dict[str, float]:
        """CPU seconds per role since the meter started; `box` is the whole machine, `other` the
        part of it no role claims."""
        box = _box_ticks() - self._box
        used: dict[str, int] = defaultdict(int)
        for pid, ticks in self._snapshot().items():
            stat = _stat(pid)
            role = _role(pid, stat[0]) if stat else None
            if role is not None:
                used[role] += ticks - self._start.get(pid, 0)
        out = {role: t / HZ for role, t in used.items()}
        out["other"] = max(0, box - sum(used.values())) / HZ
        out["box"] = box / HZ
        return out


def per_step_rows(seconds: dict[str, float], steps: int) -> list[tuple[str, str]]:
    """Table rows: CPU milliseconds per step of each role, the box's total last."""
    order = [r for r, _ in ROLES] + ["engine+intake (unnamed)", "load generator", "other", "box"]
    return [
        (f"CPU per step: {role}", f"{seconds[role] * 1000 / steps:.3f} ms")
        for role in order
        if role in seconds and steps
    ]
