"""Call records for tests and benchmarks: a vectorised generator, and the naive per-row reference audit
(csv + a `phonenumbers.parse` per row + dicts of sets) that the fast audit is checked against."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from contracts.calls import COLUMNS
from contracts.choices import Dest
from contracts.errors import InputError
from contracts.profile import Profile
from contracts.usage import fair_use_rules

HEADER_BYTES = (",".join(COLUMNS) + "\n").encode()


def audit_naive(profile: Profile, cdrs: str | Path, limit: int | None = None) -> dict[tuple[str, str], dict]:
    """Row-by-row reference: csv + a `phonenumbers.parse` per row + dict of sets (for tests and the bench).

    Returns {(user, 'YYYY-MM'): {calls, distinct_numbers, dest counts by Dest name, devices}}.
    """
    import phonenumbers
    from phonenumbers import PhoneNumberType as T

    rules = fair_use_rules(profile)
    wanted = {(d.region.upper(), t) for d in rules.international for t in d.types}
    out: dict[tuple[str, str], dict] = {}
    with open(cdrs, newline="", encoding="utf-8") as fh:
        for k, row in enumerate(csv.DictReader(fh)):
            if limit is not None and k >= limit:
                break
            callee = row["callee"]
            month = row["start"][:7]
            g = out.setdefault(
                (row["caller_user"], month),
                {"calls": 0, "numbers": set(), **{d.name: 0 for d in Dest}, "devices": set()},
            )
            g["calls"] += 1
            g["devices"].add(row["device_kind"])
            dest = Dest.national_special
            try:
                num = phonenumbers.parse(callee if not callee.startswith("00") else "+" + callee[2:], "FR")
            except phonenumbers.NumberParseException:
                num = None
            if (
                num is not None
                and num.country_code == 33
                and len(str(num.national_number)) == 9
                and (callee.startswith(("+", "00")) or len(callee) == 10)
            ):
                first = str(num.national_number)[0]
                dest = (
                    Dest.national_fixed
                    if first in rules.national_fixed_prefixes
                    else Dest.national_mobile
                    if first in rules.national_mobile_prefixes
                    else Dest.national_special
                )
                g["numbers"].add(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))
            elif num is not None and callee.startswith(("+", "00")):
                region = phonenumbers.region_code_for_number(num)
                t = phonenumbers.number_type(num)
                types = (
                    {"fixed_line"}
                    if t == T.FIXED_LINE
                    else {"mobile"}
                    if t == T.MOBILE
                    else ({"fixed_line", "mobile"} if t == T.FIXED_LINE_OR_MOBILE else set())
                )
                dest = (
                    Dest.international_included
                    if any((region, x) in wanted for x in types)
                    else Dest.international_other
                )
                g["numbers"].add(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))
            else:
                g["numbers"].add(callee)
            g[dest.name] += 1
    for g in out.values():
        g["distinct_numbers"] = len(g.pop("numbers"))
    return out


def _digit_bytes(values: np.ndarray, width: int, strip: bool = False) -> np.ndarray:
    """(n, width) ASCII digits of `values`, zero-padded; with `strip`, leading zeros become 0 bytes."""
    out = np.empty((len(values), width), dtype=np.uint8)
    v = values.astype(np.int64).copy()
    for j in range(width - 1, -1, -1):
        out[:, j] = 48 + v % 10
        v //= 10
    if strip:
        lead = np.cumprod(out[:, :-1] == 48, axis=1).astype(bool)
        out[:, :-1][lead] = 0
    return out


def synthetic_cdrs(
    n: int,
    *,
    users: int = 200,
    months: tuple[int, int] = (2026, 3),
    n_months: int = 2,
    seed: int = 1,
    heavy_users: int = 3,
    gateway_users: int = 2,
    batch: int = 500_000,
) -> Iterator[bytes]:
    """Yield CSV bytes (header first) of `n` generated call records, batch by batch (vectorised).

    Users are `u0000`…; most call a pool of numbers (French fixed and mobile, an 08 number, a short
    number, listed and unlisted international numbers); the first `heavy_users` call a fresh number 9 times
    out of 10 (over 150 a month, short calls); the next `gateway_users` place 20 % of calls via a gateway.
    """
    import phonenumbers
    from phonenumbers import PhoneNumberType as T

    if users > 10_000:
        raise InputError("at most 10,000 generated users", field="users")
    rng = np.random.default_rng(seed)
    pool = []
    for region, t in [
        ("GB", T.FIXED_LINE),
        ("DE", T.FIXED_LINE),
        ("US", T.FIXED_LINE),
        ("CN", T.MOBILE),
        ("GB", T.MOBILE),
        ("JP", T.FIXED_LINE),
        ("MA", T.FIXED_LINE),
        ("ES", T.FIXED_LINE),
    ]:
        ex = phonenumbers.example_number_for_type(region, t)
        pool.append(phonenumbers.format_number(ex, phonenumbers.PhoneNumberFormat.E164))
    pool += [
        "0145678912",
        "0298765432",
        "0387654321",
        "0472345678",
        "0556789012",
        "0987654321",
        "0612345678",
        "0698765432",
        "0712345678",
        "0892680000",
        "3631",
    ]
    wc = max(len(x) for x in pool)
    pool_m = np.zeros((len(pool), wc), dtype=np.uint8)
    for i, x in enumerate(pool):
        pool_m[i, : len(x)] = np.frombuffer(x.encode(), np.uint8)
    y0, m0 = months
    first = np.datetime64(f"{y0:04d}-{m0:02d}", "M")
    days = np.arange(first.astype("datetime64[D]"), (first + n_months).astype("datetime64[D]"))
    day_m = np.frombuffer("".join(str(d) for d in days).encode(), np.uint8).reshape(len(days), 10)
    dev_m = np.frombuffer(b"handsetgateway", np.uint8).reshape(2, 7)
    yield HEADER_BYTES
    done = 0
    while done < n:
        k = min(batch, n - done)
        user = rng.integers(0, users, k)
        day = rng.integers(0, len(days), k)
        heavy = user < heavy_users
        fresh = heavy & (rng.random(k) < 0.9)
        gw = (user >= heavy_users) & (user < heavy_users + gateway_users) & (rng.random(k) < 0.2)
        callee = pool_m[rng.integers(0, len(pool), k)]
        fresh_m = np.zeros((k, wc), dtype=np.uint8)
        fresh_m[:, 0], fresh_m[:, 1] = 48, 49
        fresh_m[:, 2:10] = _digit_bytes(rng.integers(0, 10**8, k), 8)
        callee = np.where(fresh[:, None], fresh_m, callee)
        secs = rng.integers(8 * 3600, 19 * 3600, k)
        hms = np.concatenate(
            [
                _digit_bytes(secs // 3600, 2),
                np.full((k, 1), 58, np.uint8),
                _digit_bytes(secs // 60 % 60, 2),
                np.full((k, 1), 58, np.uint8),
                _digit_bytes(secs % 60, 2),
            ],
            axis=1,
        )
        dur = np.where(fresh, rng.integers(5, 60, k), rng.integers(1, 900, k))
        comma = np.full((k, 1), 44, np.uint8)
        row = np.concatenate(
            [
                np.full((k, 1), 117, np.uint8),
                _digit_bytes(user, 4),
                comma,
                callee,
                comma,
                day_m[day],
                np.full((k, 1), 84, np.uint8),
                hms,
                comma,
                _digit_bytes(dur, 3, strip=True),
                comma,
                dev_m[gw.astype(np.int64)],
                np.full((k, 1), 10, np.uint8),
            ],
            axis=1,
        )
        flat = row.ravel()
        yield flat[flat != 0].tobytes()
        done += k
