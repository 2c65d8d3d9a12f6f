"""`centrex sla compute` against merely reading its input, as whole processes (issue 14 §8).

Writes N incidents over one year on 2,000 sites (and their billing), then runs, interleaved, 3 times
each: the command with `--format json > /dev/null`, the command's default table format, a bare
`csv.reader` pass over the incidents, a `pyarrow.csv.read_csv` of the file with both time columns parsed,
and a process that only imports the command's dependencies. Prints the medians (wall and CPU: the machine
is shared, so CPU time is the steadier figure) and the ratios measured in this run, with the load average.
Targets: json ≤ 3× the csv.reader pass on 300,000 incidents, ≤ 2× on 1,000,000; table ≤ 1.5× json.
Usage: python bench/sla_bench.py [N …] (default 300000 1000000) [--contract alleo]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from proc import timed
from rss_sla_5m import write_inputs

CSV_PASS = "import csv, sys\nfor _ in csv.reader(open(sys.argv[1], newline='')): pass\n"
ARROW_READ = (
    "import sys, pyarrow as pa, pyarrow.csv as pc\n"
    "pc.read_csv(sys.argv[1], convert_options=pc.ConvertOptions(column_types="
    "{'notified_at': pa.timestamp('s', 'UTC'), 'restored_at': pa.timestamp('s', 'UTC')}))\n"
)
IMPORTS = "import centrex.cli, contracts.sla, contracts.records, contracts.tables, pyarrow.csv\n"


def bench(n: int, contract: str, rounds: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        inc, bill = write_inputs(Path(tmp), n)
        py = sys.executable
        sla = [py, "-m", "centrex.cli", "sla", "compute", "-c", contract, "--incidents", str(inc)]
        sla += ["--billing", str(bill)]
        cmds = {
            "csv.reader pass": [py, "-c", CSV_PASS, str(inc)],
            "pyarrow read (times parsed)": [py, "-c", ARROW_READ, str(inc)],
            "imports only": [py, "-c", IMPORTS],
            "sla compute --format json": [*sla, "--format", "json"],
            "sla compute (table)": sla,
        }
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
        for _ in range(rounds):  # interleaved: each round runs every command once
            for name, cmd in cmds.items():
                times[name].append(timed(cmd))
        wall = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
        cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
        print(
            f"{n:,} incidents ({inc.stat().st_size / 2**20:.0f} MiB), contract {contract}, "
            f"median of {rounds}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus"
        )
        base = "csv.reader pass"
        for name in cmds:
            print(
                f"  {name:28s} {wall[name]:6.2f} s wall ({wall[name] / wall[base]:5.2f}x)  "
                f"{cpu[name]:6.2f} s cpu ({cpu[name] / cpu[base]:5.2f}x)"
            )
        target = 3.0 if n < 1_000_000 else 2.0
        j, t = "sla compute --format json", "sla compute (table)"
        print(
            f"  json / csv.reader: {wall[j] / wall[base]:.2f}x wall, {cpu[j] / cpu[base]:.2f}x cpu "
            f"(target <= {target:g}x); table / json: {wall[t] / wall[j]:.2f}x wall, "
            f"{cpu[t] / cpu[j]:.2f}x cpu (target <= 1.5x)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="*", type=int, default=[300_000, 1_000_000])
    ap.add_argument("--contract", default="alleo")
    args = ap.parse_args()
    for n in args.n:
        bench(n, args.contract)


if __name__ == "__main__":
    main()
