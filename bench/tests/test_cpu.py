"""Telling the benchmark's CPU time from other work on the machine."""

import os
import subprocess
import sys

import pytest

from bench import cpu


def test_process_ticks_read_user_and_system_time_after_the_name():
    # A command name may hold spaces and parentheses.
    stat = "4242 (odd (name) x) S 1 4242 4242 0 -1 4194560 10 0 0 0 70 30 0 0 20 0 1 0"
    assert cpu.process_ticks(4242, stat) == 100
    assert cpu.process_ticks(4242, "") == 0


def test_descendants_include_the_processes_started_below():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])  # noqa: S603
    try:
        found = cpu.descendants([os.getpid()])
        assert {os.getpid(), child.pid} <= found
        assert os.getppid() not in found
    finally:
        child.kill()
        child.wait()


def test_busy_ticks_leave_out_idle_and_iowait():
    stat = "cpu  100 5 50 9000 40 3 7 2 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"
    assert cpu.busy_ticks(stat) == 100 + 5 + 50 + 3 + 7 + 2


def test_foreign_cpus_is_the_other_processes_time():
    ticks = cpu.CLOCK_TICKS
    start = {1: 10 * ticks, 2: 5 * ticks}
    # Over 10 s: process 1 (another's) used 3 CPU-seconds, process 3 (another's, started
    # meanwhile) 1, process 2 (the benchmark's) 8; the machine was busy 12.
    last = {1: 13 * ticks, 2: 13 * ticks, 3: 1 * ticks}
    window = {"start": start, "last": last, "seconds": 10.0}
    assert cpu.foreign_cpus(busy=12 * ticks, own={2}, **window) == pytest.approx(0.4)
    assert cpu.foreign_cpus(busy=12 * ticks, own={1, 2, 3}, **window) == 0.0


def test_busy_time_not_seen_in_any_process_is_not_held_against_the_run():
    ticks = cpu.CLOCK_TICKS
    # The machine was busy 20 CPU-seconds, but processes too short-lived to be sampled
    # (the benchmark's parallel query workers) took 8 of them: only the sampled other
    # process (2 CPU-seconds) counts.
    window = {"start": {1: 0, 2: 0}, "last": {1: 10 * ticks, 2: 2 * ticks}, "seconds": 10.0}
    assert cpu.foreign_cpus(busy=20 * ticks, own={1}, **window) == pytest.approx(0.2)
    # And other work busier than the machine's busy time less the benchmark's is capped.
    assert cpu.foreign_cpus(busy=11 * ticks, own={1}, **window) == pytest.approx(0.1)


def test_a_watch_counts_the_benchmarks_processes_as_its_own():
    child = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import time\nwhile time.process_time() < 0.6: pass",
        ]
    )
    try:
        with cpu.CpuWatch(lambda: {child.pid}, interval=0.05) as mine:
            child.wait()
    finally:
        child.kill()
    # The child used 0.6 s of CPU in the window and ended in it: its time is the
    # benchmark's, counted up to the last sample before it ended.
    assert mine.own_ticks >= 0.4 * cpu.CLOCK_TICKS
