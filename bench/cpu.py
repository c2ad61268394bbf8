"""How much of the machine's CPUs work other than the benchmark's takes.

The benchmark shares its CPUs with whatever else runs on the machine; a test suite
started meanwhile would take CPU time from the servers being measured and make their
figures look worse than they are. ``CpuWatch`` samples, over a window, the CPU time of
every process and the time the whole machine spent busy (``/proc/stat``), and works out
the CPU time of work that is not the benchmark's own (this process, wrk, the servers it
started, the PostgreSQL backends of its database, the Redis server it uses), in CPUs
(1.0 = one CPU busy the whole window). ``wait_until_quiet`` waits, before a measurement,
until that other work has calmed down.
"""

import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def process_ticks(pid: int, stat: str | None = None) -> int:
    """Clock ticks of user and system time a live process has used (0 once gone)."""
    stat = _read(f"/proc/{pid}/stat") if stat is None else stat
    if not stat:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def busy_ticks(stat: str | None = None) -> int:
    """Clock ticks the machine's CPUs have spent busy (``/proc/stat``'s first line:
    user, nice, system, irq, softirq and steal; not idle or iowait)."""
    stat = _read("/proc/stat") if stat is None else stat
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(value) for value in stat.splitlines()[0].split()[1:9]
    )
    return user + nice + system + irq + softirq + steal


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(child) for child in _read(str(task / "children")).split()]
    return found


def descendants(pids: Iterable[int]) -> set[int]:
    """``pids`` and every live process below them."""
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo += children(pid)
    return seen


def pids_listening_on(port: int) -> set[int]:
    """Processes whose command line names ``:port`` (e.g. ``redis-server 127.0.0.1:6379``)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            command = _read(str(entry / "cmdline")).replace("\0", " ")
            if f":{port}" in command and "redis-server" in command:
                found.add(int(entry.name))
    return found


def all_process_ticks() -> dict[int, int]:
    """Clock ticks used so far by every live process that used any, by pid."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            used = process_ticks(int(entry.name))
            if used:
                ticks[int(entry.name)] = used
    return ticks


def foreign_cpus(
    *, busy: int, start: dict[int, int], last: dict[int, int], own: set[int], seconds: float
) -> float:
    """CPUs used by other work over a window of ``seconds``.

    ``busy``: clock ticks the machine spent busy in the window; ``start`` and ``last``:
    each process's ticks at the start and at its last sample (a process first seen in
    the window started in it); ``own``: the benchmark's processes. Two figures, of which
    the smaller counts: the machine's busy time less the benchmark's, which also sees
    processes too short-lived to be sampled, but takes the benchmark's own short-lived
    ones (PostgreSQL's parallel workers) for other work; and the time of the other
    processes sampled, which misses the short-lived ones.
    """
    if seconds <= 0:
        return 0.0
    used = {pid: ticks - start.get(pid, 0) for pid, ticks in last.items()}
    own_ticks = sum(ticks for pid, ticks in used.items() if pid in own)
    other_ticks = sum(ticks for pid, ticks in used.items() if pid not in own)
    return max(0, min(busy - own_ticks, other_ticks)) / CLOCK_TICKS / seconds


class CpuWatch:
    """``with CpuWatch(own) as watch: …`` then ``watch.foreign``: CPUs used meanwhile by
    work that is not the benchmark's. ``own()`` names the benchmark's live processes
    besides this one. Every process is sampled every ``interval`` seconds, so that one
    that ends meanwhile is counted up to its last sample."""

    def __init__(self, own: Callable[[], set[int]], interval: float = 0.2):
        self.own = own
        self.interval = interval
        self.foreign = 0.0
        self.own_ticks = 0

    def _sample(self) -> None:
        self._own |= self.own() | {os.getpid()}
        self._last.update(all_process_ticks())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> "CpuWatch":
        self._own = self.own() | {os.getpid()}
        self._start = all_process_ticks()
        self._last = dict(self._start)
        self._busy = busy_ticks()
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._run, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._sampler.join()
        self._sample()
        busy = busy_ticks() - self._busy
        elapsed = time.monotonic() - self._started
        self.own_ticks = sum(
            ticks - self._start.get(pid, 0) for pid, ticks in self._last.items() if pid in self._own
        )
        self.foreign = foreign_cpus(
            busy=busy, start=self._start, last=self._last, own=self._own, seconds=elapsed
        )


def wait_until_quiet(
    own: Callable[[], set[int]], *, limit: float, timeout: float, sample: float = 0.5
) -> tuple[bool, float]:
    """Waits until other work uses less than ``limit`` CPUs over two samples in a row, or
    ``timeout`` seconds; returns whether it got quiet, and the last sample."""
    deadline = time.monotonic() + timeout
    calm = 0
    while True:
        with CpuWatch(own) as watch:
            time.sleep(sample)
        calm = calm + 1 if watch.foreign < limit else 0
        if calm >= 2:
            return True, watch.foreign
        if time.monotonic() >= deadline:
            return False, watch.foreign
