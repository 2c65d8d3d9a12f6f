"""Call records (`caller_user,callee,start,duration_s,device_kind`), read through the table reader into
columns of numbers, block by block, so memory stays bounded whatever the file size.

A block is decoded column-wise from its cells' bytes (callee digits, times, durations); a block where any
cell is not plain goes row by row, which names the file, line and field of the first bad row. Both give
the same columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from contracts.calendar import PARIS
from contracts.choices import CallDevice
from contracts.errors import InputError
from contracts.instants import NonexistentTime, NotPlain, paris, parse_datetime, plain_times
from contracts.tables import Batch, ColumnMap, codes, open_table

COLUMNS = ("caller_user", "callee", "start", "duration_s", "device_kind")
_POW10 = np.array([10**i for i in range(19)], dtype=np.int64)
_YEARS = (1971, 2200)


_DEVICE = {k.name: k.value for k in CallDevice}


@dataclass
class Columns:
    """Parsed call records of one block, column-wise."""

    user: np.ndarray  # int32 global user id
    month: np.ndarray  # int32 year*12 + month-1 (Paris)
    e164: np.ndarray  # int64 digits (E.164 for normalised numbers, raw digits otherwise)
    ndigits: np.ndarray  # int8
    kind: np.ndarray  # int8: 0 national, 1 international (E.164), 2 special/short
    duration: np.ndarray  # int64 seconds
    device: np.ndarray  # int8 CallDevice

    def __len__(self) -> int:
        return len(self.user)


class Users:
    """Global ids of caller_user values, shared by every block of a file (in order of first appearance)."""

    def __init__(self) -> None:
        self.by_name: dict[str, int] = {}
        self.names: list[str] = []

    def ids(self, names: list[str]) -> np.ndarray:
        known = self.by_name
        for name in dict.fromkeys(names):
            if name not in known:
                known[name] = len(self.names)
                self.names.append(name)
        return np.fromiter(map(known.__getitem__, names), dtype=np.int32, count=len(names))


class _NotPlain(Exception):
    """A block the column-wise path cannot vouch for: read it row by row."""


def _number(buf: np.ndarray, en: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """int64 value of the decimal digits buf[en-length:en]; _NotPlain on a non-digit."""
    width = int(lengths.max()) if len(lengths) else 1
    padded = np.concatenate([np.full(width, 48, np.uint8), buf])
    win = np.lib.stride_tricks.as_strided(padded, shape=(len(buf) + 1, width), strides=(1, 1))
    d = win[en] - np.uint8(48)  # row e of the padded view = buf[e-width:e]
    d[np.arange(width)[None, :] < (width - lengths)[:, None]] = 0
    if (d > 9).any():
        raise _NotPlain
    return d.astype(np.int64) @ _POW10[width - 1 :: -1][:width]


def _normalise(lead: np.ndarray, cl: np.ndarray, plus: np.ndarray, raw: np.ndarray):
    """Callee digits → (number, digit count, kind): '+CC…'/'00CC…' international, '0N' + 8 digits French."""
    ndig = (cl - plus).astype(np.int64)
    zero0 = (lead[:, 0] == 48) & ~plus
    zero00 = zero0 & (lead[:, 1] == 48)
    national = zero0 & ~zero00 & (ndig == 10)
    intl = plus | (zero00 & (ndig > 4))
    e164 = raw.copy()
    nd = ndig.copy()
    nd[zero00 & intl] -= 2  # leading zeros vanish in the integer value
    e164[national] = 33 * 10**9 + raw[national]
    nd[national] = 11
    kind = np.full(len(raw), 2, dtype=np.int8)
    kind[intl] = 1
    kind[national] = 0
    fr = (kind == 1) & (nd == 11) & (e164 // 10**9 == 33)  # +33 numbers are national numbers
    kind[fr] = 0
    return e164, nd.astype(np.int8), kind


def _paris_month(epoch: np.ndarray) -> np.ndarray:
    """year*12 + month-1 of UTC epoch seconds, in Paris."""
    from contracts.calendar import _utc_offset

    local = (epoch + _utc_offset(epoch)).astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return local + 1970 * 12


def _columnwise(b: Batch, users: Users) -> Columns:
    """The block decoded column-wise, or _NotPlain."""
    cells = {n: b.cells[n] for n in COLUMNS}
    if any(c.raw is None for n, c in cells.items() if n in ("callee", "start", "duration_s")):
        raise _NotPlain
    names = cells["caller_user"].values
    if "" in names:
        raise _NotPlain
    buf, st, en = cells["callee"].raw
    cl = en - st
    plus = (cl > 0) & (buf[st] == 43)
    digits = cl - plus
    if (digits < 1).any() or (digits > 18).any():
        raise _NotPlain
    raw = _number(buf, en, digits)
    lead = np.stack([buf[st], buf[st + 1]], axis=1)
    e164, ndig, kind = _normalise(lead, cl, plus, raw)
    try:
        start = plain_times(*cells["start"].raw, allow_empty=False)
    except NotPlain:
        raise _NotPlain from None
    month = _paris_month(start)
    if ((month < _YEARS[0] * 12) | (month >= (_YEARS[1] + 1) * 12)).any():
        raise _NotPlain
    dbuf, dst, den = cells["duration_s"].raw
    dl = den - dst
    if (dl < 1).any() or (dl > 9).any():
        raise _NotPlain
    duration = _number(dbuf, den, dl)
    device = codes(cells["device_kind"], list(_DEVICE))  # CallDevice values are 0, 1, 2, 3 in order
    if device is None:
        raise _NotPlain
    return Columns(users.ids(names), month.astype(np.int32), e164, ndig, kind, duration, device)


def _row(values: dict[str, str], users: Users, path: str, line: int) -> tuple:
    """One row → (user, month, e164, ndigits, kind, duration, device), or an InputError naming it."""
    user = values["caller_user"]
    if not user:
        raise InputError("empty user", file=path, line=line, field="caller_user")
    callee = values["callee"]
    body = callee[1:] if callee.startswith("+") else callee
    if not body or not body.isascii() or not body.isdigit() or len(body) > 18:
        raise InputError(
            f"not a phone number: {callee!r} (digits, optional leading +)",
            file=path,
            line=line,
            field="callee",
        )
    start = values["start"]
    try:
        t = paris(parse_datetime(start)).astimezone(PARIS)
    except NonexistentTime:
        raise InputError(
            f"{start} does not exist in Paris (skipped spring hour)", file=path, line=line, field="start"
        ) from None
    except (ValueError, OverflowError):
        raise InputError(f"not an ISO date-time: {start!r}", file=path, line=line, field="start") from None
    if not _YEARS[0] <= t.year <= _YEARS[1]:
        raise InputError(f"year out of range: {start!r}", file=path, line=line, field="start")
    dur = values["duration_s"]
    if not dur.isascii() or not dur.isdigit() or len(dur) > 9:
        raise InputError(
            f"not a whole number of seconds ≥ 0: {dur!r}", file=path, line=line, field="duration_s"
        )
    dev = values["device_kind"]
    if dev not in _DEVICE:
        raise InputError(
            f"unknown device kind {dev!r}; one of {', '.join(_DEVICE)}",
            file=path,
            line=line,
            field="device_kind",
        )
    lead = np.frombuffer((callee.encode() + b"\0\0")[:2], dtype=np.uint8).reshape(1, 2)
    e164, nd, kind = _normalise(
        lead,
        np.array([len(callee)]),
        np.array([callee.startswith("+")]),
        np.array([int(body)], dtype=np.int64),
    )
    return (
        users.ids([user])[0],
        t.year * 12 + t.month - 1,
        int(e164[0]),
        int(nd[0]),
        int(kind[0]),
        int(dur),
        _DEVICE[dev],
    )


def _rowwise(b: Batch, users: Users, path: str) -> Columns:
    cols = [b.values(n) for n in COLUMNS]
    rows = [
        _row(dict(zip(COLUMNS, vals, strict=True)), users, path, int(line))
        for line, *vals in zip(b.lines.tolist(), *cols, strict=True)
    ]
    arr = list(zip(*rows, strict=True))
    types = (np.int32, np.int32, np.int64, np.int8, np.int8, np.int64, np.int8)
    return Columns(*(np.array(a, dtype=t) for a, t in zip(arr, types, strict=True)))


def read_cdrs(
    path: str | Path, users: Users, chunk_bytes: int = 4 << 20, columns: ColumnMap | None = None
) -> Iterator[Columns]:
    """Yield the call records of a CSV file block by block (bounded memory)."""
    p = str(path)
    with open_table(path, COLUMNS, name="calls", columns=columns) as t:
        for b in t.batches(COLUMNS, block=chunk_bytes):
            try:
                yield _columnwise(b, users)
            except _NotPlain:
                yield _rowwise(b, users, p)
