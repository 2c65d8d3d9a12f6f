"""Instants read from the user: one rule for a time without an offset, and its vectorised twin.

A time without an offset is Europe/Paris wall-clock time (CONTRACTS §13, fixed): the repeated autumn hour is
its first occurrence, a time inside the skipped spring hour does not exist and is bad input. `paris()` is
that rule for one value; `parse_times()` applies it to a column (numpy, the same answers). Accepted forms:
ISO 8601 (`2026-03-10T09:00`, `2026-03-10 09:00:00`, with `Z` or `±HH:MM`, or a bare date), and the French
spreadsheet form, day first (`10/03/2026 09:00`, `10/03/2026 09:00:00`, `10/03/2026`). The tool always
writes ISO 8601.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

from contracts.calendar import DST_YEARS, PARIS, in_spring_gap, local_to_epoch
from contracts.errors import InputError
from contracts.month import YEARS as _YEAR_RANGE

NAT = np.iinfo(np.int64).min  # an empty time (open incident, no answer)
YEARS = f"{_YEAR_RANGE[0]}–{_YEAR_RANGE[1]}"  # the years a date may name, as errors word them
T_MIN, T_MAX = -2208988800, 7258118400  # 1900-01-01 and 2200-01-01 UTC, epoch seconds
_FRENCH = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?$")


class NonexistentTime(ValueError):
    """A Paris wall-clock time inside the skipped spring hour."""


def paris(t: datetime) -> datetime:
    """`t` as an aware datetime: kept when it has an offset, else read as Paris wall clock (CONTRACTS §13:
    the repeated autumn hour is its first occurrence; a time in the skipped spring hour raises
    NonexistentTime). Years too far out for the platform's clock are attached without the check."""
    if t.tzinfo is not None:
        return t
    aware = t.replace(tzinfo=PARIS)  # fold 0: the first occurrence of a repeated hour
    try:
        back = datetime.fromtimestamp(aware.timestamp(), PARIS).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return aware
    if back != t.replace(microsecond=back.microsecond):
        raise NonexistentTime(t)
    return aware


def iso_text(text: str) -> str:
    """The ISO 8601 spelling of a time: French day-first forms rewritten, anything else stripped as is."""
    s = text.strip()
    if "/" in s:
        m = _FRENCH.match(s)
        if m:
            d, mo, y, hh, mm, ss = m.groups()
            s = f"{y}-{int(mo):02d}-{int(d):02d}"
            if hh is not None:
                s += f"T{int(hh):02d}:{mm}:{ss or '00'}"
    return s


def parse_datetime(text: str) -> datetime:
    """One time, ISO 8601 or French day-first, as a datetime (naive when it had no offset); ValueError."""
    return datetime.fromisoformat(iso_text(text))


def parse_date(text: str) -> date:
    """A date (`2026-03-10`, `10/03/2026`, or the date of a full time); ValueError otherwise."""
    return parse_datetime(text).date()


def parse_instant(
    text: str, *, field: str = "--as-of", file: str | None = None, line: int | None = None
) -> datetime:
    """An instant given by the user, aware (a date means its Paris midnight); InputError when it is no
    time or does not exist in Paris."""
    try:
        t = parse_datetime(text)
    except ValueError:
        raise InputError(f"not an ISO 8601 instant: {text!r}", file=file, line=line, field=field) from None
    try:
        return paris(t)
    except NonexistentTime:
        raise InputError(
            f"{text!r} does not exist in Europe/Paris (skipped DST hour)", file=file, line=line, field=field
        ) from None


def _epoch_or_reason(value: str) -> tuple[int | None, str | None]:
    """One time as epoch seconds, or (None, why not)."""
    try:
        t = paris(parse_datetime(value))
        return int(t.timestamp() // 1), None
    except NonexistentTime:
        return None, f"{value!r} does not exist in Europe/Paris (skipped DST hour)"
    except (ValueError, OverflowError, OSError):  # not a time, or out of range (year 1, 9999 + offset)
        return None, f"not an ISO 8601 time: {value!r}"


def _slow(values: Sequence[str]) -> np.ndarray:
    """True where a time needs the one-by-one path: an offset or Z, a French form, or shorter than a date
    (numpy would take "now", "today", "NaT", "2026"). Checked in bulk first: usually no value does."""
    n = len(values)
    if min(map(len, values)) >= 10:
        joined = "\x00".join(values)
        if not any(c in joined for c in "+Zz/") and joined.count("-") == 2 * n:
            return np.zeros(n, dtype=bool)
    return np.fromiter(
        (len(s) < 10 or s[-1] in "Zz" or "+" in s[10:] or "-" in s[10:] or "/" in s for s in values),
        dtype=bool,
        count=n,
    )


def parse_times(
    values: Sequence[str],
    *,
    file: str,
    field: str,
    allow_empty: bool = False,
    lines: np.ndarray | None = None,
) -> np.ndarray:
    """Times (stripped strings) → int64 epoch seconds, NAT for an empty one when `allow_empty`; the first
    bad one raises InputError with its line (`lines[i]`, else i + 2)."""
    n = len(values)
    out = np.full(n, NAT, dtype=np.int64)

    def line_of(i: int) -> int:
        return int(lines[i]) if lines is not None else i + 2

    if n == 0:
        return out
    slow_mask = _slow(values)
    naive_idx = np.flatnonzero(~slow_mask)
    slow: list[int] = list(np.flatnonzero(slow_mask))
    if naive_idx.size:
        sub = [values[i] for i in naive_idx] if slow else values
        try:
            with warnings.catch_warnings():  # numpy warns on zone-like suffixes; the slow path decides
                warnings.simplefilter("ignore")
                arr = np.array(sub, dtype="datetime64[s]")
        except ValueError:
            arr = None
        if arr is None:
            slow.extend(int(i) for i in naive_idx)
        else:
            empty = np.isnat(arr)
            local = np.where(empty, 0, arr.astype(np.int64))
            year = arr.astype("datetime64[Y]").astype(np.int64) + 1970
            inside = (~empty) & (year >= DST_YEARS[0]) & (year <= DST_YEARS[1])
            gap = inside & in_spring_gap(local)
            if gap.any():
                i = int(naive_idx[np.flatnonzero(gap)[0]])
                raise InputError(
                    f"{values[i]!r} does not exist in Europe/Paris (skipped DST hour)",
                    file=file,
                    line=line_of(i),
                    field=field,
                )
            utc = local_to_epoch(np.where(inside, local, 0))
            out[naive_idx[inside]] = utc[inside]
            # out of the table's years: the slow path decides (empty stays NAT)
            slow.extend(int(i) for i in naive_idx[(~inside) & (~empty)])
            if not allow_empty and empty.any():
                i = int(naive_idx[np.flatnonzero(empty)[0]])
                raise InputError("empty time", file=file, line=line_of(i), field=field)
    for i in sorted(slow):
        s = values[i]
        if not s.strip():
            if allow_empty:
                continue
            raise InputError("empty time", file=file, line=line_of(i), field=field)
        v, why = _epoch_or_reason(s)
        if why:
            raise InputError(why, file=file, line=line_of(i), field=field)
        out[i] = v
    far = (out != NAT) & ((out < T_MIN) | (out >= T_MAX))  # years the engine and calendars cover
    if far.any():
        i = int(np.flatnonzero(far)[0])
        raise InputError(
            f"{values[i]!r} is outside the years {YEARS}", file=file, line=line_of(i), field=field
        )
    return out


# ----- the fixed-width fast path on a column's bytes --------------------------------------------------------
_POS_DIGITS = {
    10: (0, 1, 2, 3, 5, 6, 8, 9),
    16: (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15),
    19: (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18),
}
_POS_PUNCT = {10: ((4, b"-"), (7, b"-")), 16: ((4, b"-"), (7, b"-"), (13, b":")), 19: ()}
_POS_PUNCT[19] = _POS_PUNCT[16] + ((16, b":"),)


class NotPlain(Exception):
    """The fixed-width path cannot vouch for these times: `parse_times` decides (and words the error)."""


def plain_times(buf: np.ndarray, st: np.ndarray, en: np.ndarray, *, allow_empty: bool) -> np.ndarray:
    """Times given as byte ranges [st, en) of `buf` (with ≥ 32 spare bytes after the last) → epoch seconds,
    NAT when empty. Read here: YYYY-MM-DD[(T| )HH:MM[:SS]], naive (Paris, 1996–2100), or with Z or ±HH:MM.
    Anything else, or any value `parse_times` would refuse: NotPlain. Same answers as `parse_times`."""
    length = en - st
    out = np.full(len(st), NAT, dtype=np.int64)
    empty = length == 0
    if empty.any() and not allow_empty:
        raise NotPlain
    for width in np.unique(length[~empty]).tolist():
        sel = np.flatnonzero(length == width)
        out[sel] = _of_width(buf, st[sel], width)
    return out


def _digits(buf: np.ndarray, st: np.ndarray, pos: tuple[int, ...]) -> np.ndarray:
    d = np.lib.stride_tricks.sliding_window_view(buf, max(pos) + 1)[st][:, pos] - np.uint8(48)
    if (d > 9).any():  # below "0" wraps round in uint8
        raise NotPlain
    return d.astype(np.int32)


def _of_width(buf: np.ndarray, st: np.ndarray, width: int) -> np.ndarray:
    for base in (19, 16, 10):
        if width in (base, base + 1, base + 6) and not (base == 10 and width != 10):
            break
    else:
        raise NotPlain
    d = _digits(buf, st, _POS_DIGITS[base])
    for p, ch in _POS_PUNCT[base]:
        if (buf[st + p] != ch[0]).any():
            raise NotPlain
    if base > 10:
        sep = buf[st + 10]
        if ((sep != ord("T")) & (sep != 32)).any():
            raise NotPlain
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    zero = np.zeros_like(year)
    hour = d[:, 8] * 10 + d[:, 9] if base > 10 else zero
    minute = d[:, 10] * 10 + d[:, 11] if base > 10 else zero
    second = d[:, 12] * 10 + d[:, 13] if base == 19 else zero
    if ((month < 1) | (month > 12) | (day < 1) | (hour > 23) | (minute > 59) | (second > 59)).any():
        raise NotPlain
    ym = (year - 1970) * 12 + month - 1
    first = ym.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    nxt = (ym + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    if (day > nxt - first).any():
        raise NotPlain
    local = (first + day - 1) * 86400 + (hour * 3600 + minute * 60 + second).astype(np.int64)
    if width == base:  # naive: Paris wall clock
        if ((year < DST_YEARS[0]) | (year > DST_YEARS[1])).any() or in_spring_gap(local).any():
            raise NotPlain
        return local_to_epoch(local)
    if width == base + 1:
        if (buf[st + base] != ord("Z")).any():
            raise NotPlain
        utc = local
    else:
        sign = buf[st + base]
        if ((sign != ord("+")) & (sign != ord("-"))).any() or (buf[st + base + 3] != ord(":")).any():
            raise NotPlain
        o = _digits(buf, st + base, (1, 2, 4, 5))
        oh, om = o[:, 0] * 10 + o[:, 1], o[:, 2] * 10 + o[:, 3]
        if ((oh > 23) | (om > 59)).any():
            raise NotPlain
        utc = local - np.where(sign == ord("+"), 1, -1) * (oh * 3600 + om * 60)
    if ((utc < T_MIN) | (utc >= T_MAX)).any():
        raise NotPlain
    return utc
