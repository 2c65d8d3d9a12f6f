"""Peak memory of `centrex sla compute` on a 5,000,000-row incidents file (issue 14 §8, target < 1 GiB),
on the valid file and on the same file with one malformed row in the middle (refused, exit 2).

Writes a synthetic incidents file (N rows over one year, 2,000 sites) and its billing file, then runs the
real command in a child process with stdout to /dev/null and reads the child's peak RSS. Prints rows/s,
peak RSS, and two ratios measured in the same run: peak RSS over the file size, and over a baseline
child that only reads the file with `csv.reader` into lists (what a naive reader holds).
Usage: python bench/rss_sla_5m.py [N] [--contract alleo] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from contracts.choices import CAUSES

SITES = 2000
T0 = 1767222000  # 2026-01-01 00:00 Paris, epoch seconds


def write_inputs(directory: Path, n: int, seed: int = 5) -> tuple[Path, Path]:
    """A valid incidents file of `n` rows (ISO times with offsets, 5 % open) and a full billing file."""
    rng = np.random.default_rng(seed)
    inc, bill = directory / "incidents.csv", directory / "billing.csv"
    chunk = 500_000
    with inc.open("w", encoding="utf-8") as fh:
        fh.write("ticket,site,notified_at,restored_at,cause\n")
        for lo in range(0, n, chunk):
            m = min(chunk, n - lo)
            start = T0 + rng.integers(0, 360 * 86400, m)
            stop = start + rng.integers(60, 3 * 86400, m)
            site = rng.integers(0, SITES, m)
            cause = rng.integers(0, len(CAUSES), m)
            open_ = rng.random(m) < 0.05
            s_txt = np.datetime_as_string(start.astype("datetime64[s]"), unit="s")
            e_txt = np.datetime_as_string(stop.astype("datetime64[s]"), unit="s")
            lines = [
                f"T{lo + i},S{site[i]},{s_txt[i]}Z,{'' if open_[i] else e_txt[i] + 'Z'},{CAUSES[cause[i]]}\n"
                for i in range(m)
            ]
            fh.writelines(lines)
    with bill.open("w", encoding="utf-8") as fh:
        fh.write("site,month,recurring_fees,usage_charges\n")
        for s in range(SITES):
            for mth in range(1, 13):
                fh.write(f"S{s},2026-{mth:02d},300.00,45.50\n")
    return inc, bill


def child_peak(cmd: list[str], expect: int = 0) -> tuple[float, int]:
    """Run `cmd` in a fresh child; return (seconds, peak RSS in bytes) of that child alone (os.wait4
    gives the child's own rusage, whatever ran before)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - t
    if proc.returncode != expect:
        sys.exit(f"command exited {proc.returncode}, expected {expect}: {err[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("n", nargs="?", type=int, default=5_000_000)
    ap.add_argument("--contract", default="alleo")
    ap.add_argument("--keep", type=Path, default=None, help="Write the inputs here and keep them.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = args.keep or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        inc, bill = write_inputs(d, args.n)
        size = inc.stat().st_size
        print(
            f"inputs: {args.n:,} incidents, {size / 2**20:,.0f} MiB, "
            f"written in {time.perf_counter() - t:.1f} s"
        )
        base_cmd = [sys.executable, "-c", f"import csv; rows = list(csv.reader(open({str(inc)!r})))"]
        base_s, base_rss = child_peak(base_cmd)
        cmd = [
            sys.executable,
            "-c",
            "from centrex.cli import main; main()",
            "-q",
            "sla",
            "compute",
            "--contract",
            args.contract,
            "--incidents",
            str(inc),
            "--billing",
            str(bill),
            "--as-of",
            "2027-01-01",
            "--format",
            "json",
        ]
        run_s, rss = child_peak(cmd)
        bad = d / "incidents_bad.csv"
        with (
            inc.open("rb") as src,
            bad.open("wb") as dst,
        ):  # the same file, one row a field too wide in the middle
            for k, row in enumerate(src):
                dst.write(row.replace(b",", b",,", 1) if k == args.n // 2 else row)
        cmd[cmd.index(str(inc))] = str(bad)
        bad_s, bad_rss = child_peak(cmd, expect=2)
    print(f"baseline (csv.reader into lists): {base_s:.1f} s, peak RSS {base_rss / 2**30:.2f} GiB")
    print(
        f"sla compute --contract {args.contract}: {run_s:.1f} s, {args.n / run_s:,.0f} incidents/s, "
        f"peak RSS {rss / 2**30:.2f} GiB (target < 1 GiB: {'met' if rss < 2**30 else 'NOT met'})"
    )
    print(
        f"the same with one malformed row in the middle: refused (exit 2) in {bad_s:.1f} s, "
        f"peak RSS {bad_rss / 2**30:.2f} GiB (target < 1 GiB: {'met' if bad_rss < 2**30 else 'NOT met'})"
    )
    print(
        f"ratios: peak RSS / file size = {rss / size:.2f}; "
        f"peak RSS / csv.reader baseline = {rss / base_rss:.2f}"
    )


if __name__ == "__main__":
    main()
