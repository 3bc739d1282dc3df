"""CPU accounting for `make bench-compare`: the whole box and each process, sampled from /proc.

A background thread reads /proc/stat (all CPUs) and /proc/<pid>/stat (every process) a few times a
second. A phase's CPU is read afterwards for any wall-clock window [t0, t1]: the counters are
interpolated linearly between the samples around each end, so the window need not be known while
it runs (the load generators report theirs when they finish). Linux only; stdlib only.
"""

import os
import threading
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")
# /proc/stat "cpu" line: user nice system idle iowait irq softirq steal ...; busy = user + nice +
# system + irq + softirq (iowait and steal are not work done on this box).
_BUSY_FIELDS = (0, 1, 2, 5, 6)


def box_busy_ticks() -> int:
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    return sum(int(fields[i]) for i in _BUSY_FIELDS)


def _read_proc(pid: int) -> tuple[str, int, int, int] | None:
    """(comm, ppid, start time, utime + stime in ticks) of a process, None when it is gone."""
    try:  # os.read: a few times cheaper than open() for ~100 small files a sample
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            raw = os.read(fd, 4096).decode(errors="replace")
        finally:
            os.close(fd)
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
    return comm, int(rest[1]), int(rest[19]), int(rest[11]) + int(rest[12])


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


@dataclass
class Process:
    pid: int
    comm: str
    ppid: int
    started: int  # ticks after boot: tells a reused pid from the process that had it
    cmdline: str
    series: list[tuple[float, int]] = field(default_factory=list)  # (wall time, cpu ticks)


class Sampler(threading.Thread):
    """Samples the box and every process every `interval` seconds until stop()."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(name="cpu-sampler", daemon=True)
        self.interval = interval
        self.box: list[tuple[float, int]] = []
        self.processes: dict[int, Process] = {}  # the latest process seen with each pid
        self.gone: list[Process] = []  # processes whose pid was since reused
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def sample(self) -> None:
        now = time.time()
        box = box_busy_ticks()
        seen: list[tuple[int, tuple[str, int, int, int]]] = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                info = _read_proc(int(name))
                if info is not None:
                    seen.append((int(name), info))
        with self._lock:
            self.box.append((now, box))
            for pid, (comm, ppid, started, ticks) in seen:
                p = self.processes.get(pid)
                if p is None or p.started != started:
                    if p is not None:
                        self.gone.append(p)
                    p = self.processes[pid] = Process(pid, comm, ppid, started, _cmdline(pid))
                elif p.comm != comm or not p.cmdline:  # a fork that exec'd
                    p.comm, p.cmdline = comm, _cmdline(pid)
                p.series.append((now, ticks))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        self.sample()

    # ---- reading a window ---------------------------------------------------------------------

    def box_seconds(self, t0: float, t1: float) -> float:
        """Busy CPU seconds of the whole box (all cores) between two wall-clock times."""
        with self._lock:
            return (_at(self.box, t1) - _at(self.box, t0)) / TICK

    def process_seconds(self, t0: float, t1: float, label: Callable[[Process], str]) -> dict[str, float]:
        """CPU seconds per label between two wall-clock times (a process started inside the window
        counts from zero; one that ended inside it keeps what it had used)."""
        used: list[tuple[Process, float]] = []
        with self._lock:
            for p in [*self.gone, *self.processes.values()]:
                if p.series and p.series[-1][0] >= t0 and p.series[0][0] <= t1:
                    used.append((p, (_at(p.series, t1) - _at(p.series, t0)) / TICK))
        out: dict[str, float] = {}
        for p, seconds in used:  # label() may call ancestry(), which takes the lock
            if seconds > 0:
                key = label(p)
                out[key] = out.get(key, 0.0) + seconds
        return out

    def ancestry(self, pid: int) -> list[Process]:
        """The process and its known ancestors, nearest first."""
        chain: list[Process] = []
        with self._lock:
            while pid in self.processes and len(chain) < 64:
                p = self.processes[pid]
                chain.append(p)
                pid = p.ppid
        return chain


def _at(series: list[tuple[float, int]], t: float) -> float:
    """A counter's value at time t: linear between samples; 0 before the first (a process born
    after t), the last value after the last (a process that exited)."""
    if not series:
        return 0.0
    i = bisect_left(series, (t, -1))
    if i == 0:
        return 0.0 if t < series[0][0] else float(series[0][1])
    if i == len(series):
        return float(series[-1][1])
    (ta, va), (tb, vb) = series[i - 1], series[i]
    return va + (vb - va) * (t - ta) / (tb - ta) if tb > ta else float(vb)
