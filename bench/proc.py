"""Time one whole process: the benchmarks compare commands as the user runs them, start-up included."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system) of one process, stdout to /dev/null.

    Exits with the command's stderr when it fails: a failed run is not a timing."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err.decode()[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime
