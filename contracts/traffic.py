"""Erlang B and C: blocking and waiting of a group of channels, and the channels a target needs.

Offered traffic is in Erlangs (calls per hour x mean holding time in hours). Two ways to compute
Erlang B, cross-checked by the tests:

- `erlang_b`: the textbook recursion B(k) = A.B(k-1) / (k + A.B(k-1)), B(0) = 1. Every step stays in
  [0, 1], so it neither overflows nor loses precision (the 1/B form overflows for large N);
  O(N) and accurate to ~1e-12 relative at N = 10,000.
- `erlang_b_many`: the closed form B = A^x e^-A / Gamma(x+1, A), vectorised with numpy over scipy's
  log-gamma and regularised incomplete gamma, and, where that gamma underflows (A far above x), the
  Legendre continued fraction of Gamma(x+1, A) (Lentz), which gives B directly. O(1) per value, so the
  inverses are a bisection (about 15 evaluations for 10,000 channels instead of 10,000 steps).

Both accept a non-integer number of channels (the continuous extension of Erlang B), which the
`channels_rounding: exact` reading of the ALLOcloud allowance needs (9.75 channels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from contracts.errors import InputError

_TINY_Q = 1e-290  # below this the regularised gamma is too close to underflow: use the fraction
_NEAR = 1e-9  # relative gap under which an inverse re-checks its boundary with the recursion


def _check_traffic(traffic: float) -> float:
    if not math.isfinite(traffic) or traffic < 0:
        raise InputError(f"offered traffic must be a finite number >= 0 Erlangs, got {traffic!r}")
    return float(traffic)


def _check_channels(channels: float) -> float:
    if not math.isfinite(channels) or channels < 0:
        raise InputError(f"channels must be a finite number >= 0, got {channels!r}")
    return float(channels)


def _check_probability(p: float, what: str) -> float:
    if not (0 < p < 1):
        raise InputError(f"{what} must lie strictly between 0 and 1, got {p!r}")
    return float(p)


def erlang_b(traffic: float, channels: float) -> float:
    """Return the blocking probability of `channels` trunks offered `traffic` Erlangs (recursion).

    A non-integer `channels` = f + m starts the recursion from the closed form at the fraction f.
    """
    a = _check_traffic(traffic)
    n = _check_channels(channels)
    if a == 0:
        return 0.0 if n > 0 else 1.0
    whole = math.floor(n)
    frac = n - whole
    b = 1.0 if frac == 0 else float(erlang_b_many(a, frac))
    k = frac
    for _ in range(whole):
        k += 1.0
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_b_curve(traffic: float, max_channels: int) -> list[float]:
    """Return [B(A, 0), B(A, 1), ..., B(A, max_channels)] from one pass of the recursion."""
    a = _check_traffic(traffic)
    out = [1.0]
    b = 1.0
    for k in range(1, int(max_channels) + 1):
        ab = a * b
        b = ab / (k + ab) if a > 0 else 0.0
        out.append(b)
    return out


def _lentz_b(a: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return B = K / A, K the Legendre continued fraction of A^-x e^A Gamma(x+1, A), for A > x+1.

    K = (A-x) + 1.x / ((A-x+2) + 2(x-1) / ((A-x+4) + 3(x-2) / ...)), evaluated by modified Lentz.
    """
    tiny = 1e-300
    f = a - x
    f = np.where(f == 0, tiny, f)
    c = f.copy()
    d = np.zeros_like(f)
    done = np.zeros(f.shape, dtype=bool)
    for k in range(1, 2000):
        ak = k * (x + 1 - k)
        bk = a - x + 2 * k
        d = bk + ak * d
        d = np.where(d == 0, tiny, d)
        c = bk + ak / c
        c = np.where(c == 0, tiny, c)
        d = 1.0 / d
        delta = c * d
        f = np.where(done, f, f * delta)
        done |= np.abs(delta - 1.0) < 1e-15
        if done.all():
            break
    return f / a


def erlang_b_many(traffic: ArrayLike, channels: ArrayLike) -> NDArray[np.float64] | float:
    """Return Erlang B for arrays of loads and channels (broadcast), by the closed form.

    Accurate to about 1e-11 relative (log-gamma cancellation at N = 10,000); used for speed, checked
    against `erlang_b` in the tests. Returns a float for scalar input.
    """
    a = np.asarray(traffic, dtype=np.float64)
    x = np.asarray(channels, dtype=np.float64)
    if not (np.isfinite(a).all() and np.isfinite(x).all()) or (a < 0).any() or (x < 0).any():
        raise InputError("offered traffic and channels must be finite numbers >= 0")
    a, x = np.broadcast_arrays(a, x)
    out = np.empty(a.shape, dtype=np.float64)
    zero = a == 0
    out[zero] = np.where(x[zero] > 0, 0.0, 1.0)
    live = ~zero
    if live.any():
        al, xl = a[live], x[live]
        q = special.gammaincc(xl + 1.0, al)
        res = np.empty(al.shape, dtype=np.float64)
        ok = q > _TINY_Q
        with np.errstate(divide="ignore", under="ignore"):
            logb = special.xlogy(xl[ok], al[ok]) - al[ok] - special.gammaln(xl[ok] + 1.0) - np.log(q[ok])
        res[ok] = np.exp(logb)
        if (~ok).any():  # deep left tail: A far above x, where the fraction converges fast
            res[~ok] = _lentz_b(al[~ok], xl[~ok])
        out[live] = np.minimum(res, 1.0)
    return float(out) if out.ndim == 0 else out


def _b_closed(a: float, x: float) -> float:
    """Return Erlang B by the closed form for one positive load (scalar path of `erlang_b_many`)."""
    q = float(special.gammaincc(x + 1.0, a))
    if q <= _TINY_Q:
        return float(_lentz_b(np.array([a]), np.array([float(x)]))[0])
    logb = x * math.log(a) - a - float(special.gammaln(x + 1.0)) - math.log(q)
    return min(math.exp(logb), 1.0)


def _first_below(fn, lo: int, hi: int) -> int:
    """Return the least n in [lo, hi] with fn(n) true, fn monotone false...true, fn(hi) true."""
    while lo < hi:
        mid = (lo + hi) // 2
        if fn(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def channels_for_blocking(traffic: float, target: float) -> int:
    """Return the fewest channels whose Erlang B blocking is at most `target` (a GoS like 0.01).

    Bisection on the closed form; a boundary closer than 1e-9 relative to the target is re-checked
    with the recursion, so the answer equals a scan of `erlang_b`.
    """
    a = _check_traffic(traffic)
    p = _check_probability(target, "grade of service")
    if a == 0:
        return 0

    def ok(n: int) -> bool:
        return _b_closed(a, n) <= p

    hi = max(1, math.ceil(a + 8 * math.sqrt(a) + 10))
    while not ok(hi):
        hi *= 2
    n = _first_below(ok, 0, hi)
    for m in (n - 1, n):  # boundary too close to call in floating point: settle it with the recursion
        if m >= 0 and abs(_b_closed(a, m) - p) <= _NEAR * p:
            return _scan_recursion(a, p)
    return n


def _scan_recursion(a: float, p: float) -> int:
    """Return the fewest channels with B <= p by scanning the recursion (the reference)."""
    b = 1.0
    k = 0
    while b > p:
        k += 1
        ab = a * b
        b = ab / (k + ab)
    return k


def channels_for_blocking_many(traffic: ArrayLike, target: float) -> NDArray[np.int64]:
    """Return `channels_for_blocking` for every load of an array at once (vectorised bisection)."""
    p = _check_probability(target, "grade of service")
    a = np.asarray(traffic, dtype=np.float64)
    if (a < 0).any() or not np.isfinite(a).all():
        raise InputError("offered traffic must be finite numbers >= 0 Erlangs")
    lo = np.zeros(a.shape, dtype=np.int64)
    hi = np.ceil(a + 8 * np.sqrt(a) + 10).astype(np.int64)
    while True:
        bad = erlang_b_many(a, hi) > p
        if not bad.any():
            break
        hi = np.where(bad, hi * 2, hi)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        good = erlang_b_many(a, mid) <= p
        hi = np.where(good, mid, hi)
        lo = np.where(good, lo, mid + 1)
    lo = np.where(a == 0, 0, lo)
    near = np.abs(erlang_b_many(a, lo) - p) <= _NEAR * p
    near |= (lo > 0) & (np.abs(erlang_b_many(a, np.maximum(lo - 1, 0)) - p) <= _NEAR * p)
    for i in np.flatnonzero(near & (a > 0)):
        lo.flat[i] = _scan_recursion(float(a.flat[i]), p)
    return lo


def erlang_c(traffic: float, channels: float) -> float:
    """Return the probability that a call waits (M/M/N queue, Erlang C); 1 when A >= N."""
    a = _check_traffic(traffic)
    n = _check_channels(channels)
    if a == 0:
        return 0.0
    if n <= a:
        return 1.0
    b = erlang_b(a, n)
    return n * b / (n - a + a * b)


def mean_wait(traffic: float, channels: float, holding: float) -> float:
    """Return the mean wait of all calls, in the unit of `holding` (C . h / (N - A)); inf when A >= N."""
    a = _check_traffic(traffic)
    n = _check_channels(channels)
    if n <= a:
        return math.inf
    return erlang_c(a, n) * holding / (n - a)


def wait_exceeds(traffic: float, channels: float, holding: float, t: float) -> float:
    """Return P(wait > t) = C . exp(-(N - A) t / h) (t and h in the same unit)."""
    a = _check_traffic(traffic)
    n = _check_channels(channels)
    if n <= a:
        return 1.0
    return erlang_c(a, n) * math.exp(-(n - a) * t / holding)


def channels_for_waiting(traffic: float, target: float) -> int:
    """Return the fewest channels whose Erlang C probability of waiting is at most `target`."""
    a = _check_traffic(traffic)
    p = _check_probability(target, "probability of waiting")
    if a == 0:
        return 0
    lo = math.floor(a) + 1  # C decreases in N above A
    hi = lo + 1
    while erlang_c(a, hi) > p:
        hi = lo + 2 * (hi - lo)
    return _first_below(lambda n: erlang_c(a, n) <= p, lo, hi)


def channels_for_mean_wait(traffic: float, holding: float, max_wait: float) -> int:
    """Return the fewest channels whose mean wait (same unit as `holding`) is at most `max_wait`."""
    a = _check_traffic(traffic)
    if not (holding > 0 and max_wait > 0):
        raise InputError("holding time and maximum mean wait must be > 0")
    if a == 0:
        return 0
    lo = math.floor(a) + 1
    hi = lo + 1
    while mean_wait(a, hi, holding) > max_wait:
        hi = lo + 2 * (hi - lo)
    return _first_below(lambda n: mean_wait(a, n, holding) <= max_wait, lo, hi)


def offered_traffic(calls_per_hour: float, mean_holding_s: float) -> float:
    """Return Erlangs from busy-hour calls and mean holding time in seconds (lambda . h)."""
    if calls_per_hour < 0 or mean_holding_s < 0:
        raise InputError("busy-hour calls and mean holding time must be >= 0")
    return calls_per_hour * mean_holding_s / 3600.0


__all__: Sequence[str] = (
    "channels_for_blocking",
    "channels_for_blocking_many",
    "channels_for_mean_wait",
    "channels_for_waiting",
    "erlang_b",
    "erlang_b_curve",
    "erlang_b_many",
    "erlang_c",
    "mean_wait",
    "offered_traffic",
    "wait_exceeds",
)
