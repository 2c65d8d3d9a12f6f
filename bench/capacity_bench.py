"""Benchmark capacity sizing: Erlang B inverse at 10,000 channels, capacity table for 1..10,000 users.

Prints times and the speed-up against naive baselines run in the same process (never pass/fail):
- inverse: bisection on the log-space closed form vs a linear scan of the recursion (the textbook way);
- table: the vectorised `size_table` vs a plain loop of the scalar `size` per user count;
- why a recursion at all: the direct formula A^N/N! / sum A^k/k! in floats overflows past N = 170.

Run: .venv/bin/python bench/capacity_bench.py
"""

from __future__ import annotations

import math
import time

from contracts.sizing import load_channel_contract, size, size_table
from contracts.traffic import channels_for_blocking, erlang_b


def best(fn, repeat: int) -> float:
    """Best wall time of `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def scan_inverse(a: float, p: float) -> int:
    """Naive inverse: run the recursion channel by channel until the blocking drops to the target."""
    b, k = 1.0, 0
    while b > p:
        k += 1
        b = a * b / (k + a * b)
    return k


def direct_formula(a: float, n: int) -> float:
    """Naive Erlang B straight from its definition, in floats."""
    return (a**n / math.factorial(n)) / sum(a**k / math.factorial(k) for k in range(n + 1))


def main() -> None:
    gos = 0.01
    load = 10031.0  # needs exactly 10,000 channels at 1 %
    n = channels_for_blocking(load, gos)
    assert n == scan_inverse(load, gos)
    fast = best(lambda: channels_for_blocking(load, gos), 200)
    slow = best(lambda: scan_inverse(load, gos), 20)
    print(f"Erlang B inverse, {load:g} E at GoS {gos:g} -> {n} channels")
    print(f"  bisection on closed form : {fast * 1e3:8.3f} ms  ({1 / fast:,.0f} inverses/s)")
    print(f"  naive recursion scan     : {slow * 1e3:8.3f} ms  ({1 / slow:,.0f} inverses/s)")
    print(f"  speed-up                 : {slow / fast:8.1f} x")

    contract = load_channel_contract("allocloud")
    e = 0.1
    rows = size_table(1, 10_000, e, gos, contract)
    table = best(lambda: size_table(1, 10_000, e, gos, contract), 5)
    loop = best(lambda: [size(u, e, gos, contract) for u in range(1, 10_001)], 1)
    print(f"capacity table 1..10,000 users at {e} E/user, GoS {gos:g} ({len(rows)} rows)")
    print(f"  vectorised size_table    : {table * 1e3:8.1f} ms  ({len(rows) / table:,.0f} rows/s)")
    print(f"  loop of scalar size()    : {loop * 1e3:8.1f} ms  ({len(rows) / loop:,.0f} rows/s)")
    print(f"  speed-up                 : {loop / table:8.1f} x")

    print("why the recursion: direct formula in floats vs recursion")
    for a, ch in [(10.0, 18), (100.0, 120), (150.0, 171)]:
        try:
            direct = f"{direct_formula(a, ch):.12g}"
        except OverflowError as exc:
            direct = f"OverflowError ({exc})"
        print(f"  B({a:g}, {ch}) recursion {erlang_b(a, ch):.12g}  direct {direct}")
    t_direct = best(lambda: direct_formula(10.0, 150), 20)
    t_rec = best(lambda: erlang_b(10.0, 150), 20)
    print(
        f"  at N=150: direct {t_direct * 1e6:.1f} us, recursion {t_rec * 1e6:.1f} us, "
        f"ratio {t_direct / t_rec:.1f} x"
    )


if __name__ == "__main__":
    main()
