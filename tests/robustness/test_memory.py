"""Memory stays bounded on a large incidents file: an in-suite, smaller version of bench/rss_sla_5m.py
(the 5,000,000-row figure is the benchmark's). Peak RSS is a measure of space, not time."""

from __future__ import annotations

import importlib.util
import resource
import subprocess
import sys
from pathlib import Path

from rb_harness import COUNTS

ROOT = Path(__file__).resolve().parents[2]
ROWS = 250_000
LIMIT_BYTES = 1 << 30  # 1 GiB for 250 k rows (the 5 M-row target is 2 GiB)

_spec = importlib.util.spec_from_file_location("rss_bench", ROOT / "bench" / "rss_sla_5m.py")
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)


def test_sla_compute_peak_memory_on_250k_incidents(tmp_path):
    inc, bill = _bench.write_inputs(tmp_path, ROWS)
    code = (
        "import resource, sys\n"
        "from centrex.cli import main\n"
        "try:\n    main()\n"
        "finally:\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "-q",
            "sla",
            "compute",
            "--contract",
            "alleo",
            "--incidents",
            str(inc),
            "--billing",
            str(bill),
            "--as-of",
            "2027-01-01",
            "--format",
            "json",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak = int(done.stderr.strip().splitlines()[-1])
    COUNTS["figure: sla compute peak RSS on 250k incidents (MiB)"] += peak >> 20
    assert peak < LIMIT_BYTES, f"peak RSS {peak / 2**20:.0f} MiB on {ROWS:,} incidents"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss > 0
