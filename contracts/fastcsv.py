"""Low-memory reader of a large, plain incidents CSV: the text is read in blocks of bytes and parsed with
numpy (field offsets, fixed-width ISO times, dictionary-encoded text columns), so a 5,000,000-row file
never exists as Python strings at once (issue 10 §3: peak RSS < 2 GiB).

This reader is optimistic: it only accepts what it can read exactly as the full reader of
contracts/records.py would. Anything else (quotes, blank lines inside, edge whitespace, control bytes,
time forms it does not know, any error at all) raises `Fallback`, and the caller re-reads the file with the
full reader, which decides and words every error (file, line, field, reason). The fast reader never raises
InputError itself, so the messages and their order stay the full reader's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from contracts.calendar import DST_YEARS, in_spring_gap, local_to_epoch

BLOCK = 1 << 24  # bytes of text per step (16 MiB: ~250,000 incident rows)
PAD = 72  # spare zero bytes after a block: the widest fixed-width read (64) fits
_NL, _SP, _TAB, _QUOTE = 10, 32, 9, 34
_T_MIN, _T_MAX = -2208988800, 7258118400  # the full reader's range (1900-01-01 and 2200-01-01 UTC)
NAT = np.iinfo(np.int64).min


class Fallback(Exception):
    """The fast reader cannot vouch for this file: re-read it with the full reader."""


def open_csv(path: str | Path) -> tuple[str, str, BinaryIO]:
    """Return (header line, delimiter, the open file positioned at the first body line)."""
    try:
        fh = Path(path).open("rb")  # noqa: SIM115 - the caller closes it
    except OSError:
        raise Fallback from None
    head = fh.readline()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.endswith(b"\n"):
        fh.close()
        raise Fallback
    head = head[:-2] if head.endswith(b"\r\n") else head[:-1]
    if b"\r" in head or b'"' in head:
        fh.close()
        raise Fallback
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        fh.close()
        raise Fallback from None
    delim = ";" if text.count(";") > text.count(",") else ","
    return text, delim, fh


def blocks(fh: BinaryIO, block: int | None = None) -> Iterator[bytes]:
    """Blocks of whole body lines cut after a newline, CRLF made LF, without the final newline(s); blank
    lines only at the very end."""
    block = block or BLOCK
    carry = b""
    blank_seen = False
    while True:
        data = fh.read(block)
        if data:
            data = carry + data
            cut = data.rfind(b"\n")
            if cut < 0:
                carry = data
                continue
            chunk, carry = data[: cut + 1], data[cut + 1 :]
        else:
            chunk, carry = carry, b""
        if chunk:
            if b"\r" in chunk:
                chunk = chunk.replace(b"\r\n", b"\n")
                if b"\r" in chunk:
                    raise Fallback
            body = chunk.rstrip(b"\n")
            if body:
                if blank_seen or body.startswith(b"\n") or b"\n\n" in body:
                    raise Fallback  # a blank line inside the file: the full reader numbers the rest
                yield body
            if len(chunk) - len(body) > 1 or (not body and chunk):
                blank_seen = True
        if not data:
            return


def fields(body: bytes, delim: str, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bytes + PAD zeros, starts, ends) of every field, shaped (rows, width); Fallback on a malformed
    block."""
    buf = np.frombuffer(body, dtype=np.uint8)
    if ((buf < 32) & (buf != _NL) & (buf != _TAB)).any() or (buf == _QUOTE).any():
        raise Fallback  # control bytes or quotes: the csv module decides
    if (buf >= 128).any():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise Fallback from None
    is_sep = (buf == ord(delim)) | (buf == _NL)
    seps = np.flatnonzero(is_sep)
    total = len(seps) + 1
    if total % width:
        raise Fallback
    rows = total // width
    nl = np.append(buf[seps] == _NL, True).reshape(rows, width)
    if not nl[:, -1].all() or nl[:, :-1].any():
        raise Fallback  # a row of another width
    starts = np.empty(total, dtype=np.int64)
    starts[0] = 0
    starts[1:] = seps + 1
    ends = np.append(seps, len(buf))
    spare = np.zeros(len(buf) + PAD, dtype=np.uint8)  # room for a fixed-width window at the last field
    spare[: len(buf)] = buf
    return spare, starts.reshape(rows, width), ends.reshape(rows, width)


def check_edges(buf: np.ndarray, st: np.ndarray, en: np.ndarray) -> None:
    """Fallback when a field starts or ends with whitespace (the full reader strips it)."""
    full = en > st
    if not full.any():
        return
    a, b = buf[st[full]], buf[en[full] - 1]
    if ((a == _SP) | (a == _TAB) | (b == _SP) | (b == _TAB)).any():
        raise Fallback
    wide = np.flatnonzero((a >= 128) | (b >= 128))
    if wide.size:  # non-ASCII at an edge: could be a no-break space, ask Python
        for s in strings(buf, st[full][wide], en[full][wide]):
            if s != s.strip():
                raise Fallback


def _gather(buf: np.ndarray, st: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The bytes of the fields one after the other."""
    total = int(length.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint8)
    begin = np.cumsum(length) - length
    idx = np.arange(total, dtype=np.int64) + np.repeat(st - begin, length)
    return buf[idx]


def strings(buf: np.ndarray, st: np.ndarray, en: np.ndarray) -> list[str]:
    """The fields as Python strings (one decode and one split for the whole column)."""
    length = en - st
    n = len(st)
    if n == 0:
        return []
    out = np.full(int(length.sum()) + n, _NL, dtype=np.uint8)
    pos = np.cumsum(length + 1) - length - 1
    if length.sum():
        dest = np.arange(int(length.sum()), dtype=np.int64) + np.repeat(
            pos - (np.cumsum(length) - length), length
        )
        out[dest] = _gather(buf, st, length)
    return out[:-1].tobytes().decode("utf-8").split("\n")


def encode(buf: np.ndarray, st: np.ndarray, en: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Dictionary-encode a text column: (distinct values, index of each row's value)."""
    length = en - st
    w = int(length.max()) if len(length) else 0
    if w > 64:
        raise Fallback  # huge fields: rare, and the full reader copes
    w = max(8, -(-w // 8) * 8)
    mat = _padded(buf, st, length, w)
    words = mat.view("<u8")  # (rows, w / 8)
    key = words[:, 0].copy()
    for j in range(1, words.shape[1]):  # wider values: one 64-bit key per row, checked below
        key = (key * np.uint64(0x9E3779B97F4A7C15)) ^ words[:, j]
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    inv = inv.reshape(-1)
    if words.shape[1] > 1 and not (mat == mat[first[inv]]).all():  # two values on one key: sort them
        uniq, inv = np.unique(mat.view(f"S{w}").ravel(), return_inverse=True)
        return [u.decode("utf-8") for u in uniq.tolist()], inv.reshape(-1)
    return [mat[i].tobytes().rstrip(b"\x00").decode("utf-8") for i in first.tolist()], inv


def lookup(buf: np.ndarray, st: np.ndarray, en: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Index of each row's value in `names` (a short list, e.g. the causes); Fallback on any other."""
    length = en - st
    w = -(-max(len(x.encode()) for x in names) // 8) * 8
    if int(length.max()) > w:
        raise Fallback
    words = _padded(buf, st, length, w).view("<u8")
    out = np.full(len(st), -1, dtype=np.int8)
    for i, name in enumerate(names):
        b = name.encode()
        want = np.frombuffer(b.ljust(w, b"\x00"), dtype="<u8")
        hit = length == len(b)
        for j, x in enumerate(want):
            hit &= words[:, j] == x
        out[hit] = i
    if (out < 0).any():
        raise Fallback
    return out


def _padded(buf: np.ndarray, st: np.ndarray, length: np.ndarray, w: int) -> np.ndarray:
    """The fields as rows of `w` bytes, zero-padded."""
    mat = np.lib.stride_tricks.sliding_window_view(buf, w)[st]  # buf ends with PAD spare bytes
    mat *= np.arange(w, dtype=np.int64) < length[:, None]
    return mat


_POS_DIGITS = {
    10: (0, 1, 2, 3, 5, 6, 8, 9),
    16: (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15),
    19: (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18),
}
_POS_PUNCT = {10: ((4, b"-"), (7, b"-")), 16: ((4, b"-"), (7, b"-"), (13, b":")), 19: ()}
_POS_PUNCT[19] = _POS_PUNCT[16] + ((16, b":"),)


def times(buf: np.ndarray, st: np.ndarray, en: np.ndarray, *, allow_empty: bool) -> np.ndarray:
    """ISO times → int64 epoch seconds (NAT when empty). Read here: YYYY-MM-DD[(T| )HH:MM[:SS]] naive
    (Paris wall clock, years 1996–2100) or followed by Z or ±HH:MM. Anything else, an empty time where
    none is allowed, a time in the skipped spring hour or out of range: Fallback."""
    length = en - st
    n = len(st)
    out = np.full(n, NAT, dtype=np.int64)
    empty = length == 0
    if empty.any() and not allow_empty:
        raise Fallback
    lens = np.unique(length[~empty])
    for L in lens.tolist():
        sel = np.flatnonzero(length == L)
        out[sel] = _times_of_length(buf, st[sel], L)
    return out


def _digits(buf: np.ndarray, st: np.ndarray, pos: tuple[int, ...]) -> np.ndarray:
    d = np.lib.stride_tricks.sliding_window_view(buf, max(pos) + 1)[st][:, pos].astype(np.int64) - 48
    if ((d < 0) | (d > 9)).any():
        raise Fallback
    return d


def _times_of_length(buf: np.ndarray, st: np.ndarray, L: int) -> np.ndarray:
    for base in (19, 16, 10):
        if L in (base, base + 1, base + 6) and not (base == 10 and L != 10):
            break
    else:
        raise Fallback
    d = _digits(buf, st, _POS_DIGITS[base])
    for p, ch in _POS_PUNCT[base]:
        if (buf[st + p] != ch[0]).any():
            raise Fallback
    if base > 10:
        sep = buf[st + 10]
        if ((sep != ord("T")) & (sep != _SP)).any():
            raise Fallback
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    hour = d[:, 8] * 10 + d[:, 9] if base > 10 else np.zeros_like(year)
    minute = d[:, 10] * 10 + d[:, 11] if base > 10 else np.zeros_like(year)
    second = d[:, 12] * 10 + d[:, 13] if base == 19 else np.zeros_like(year)
    if ((month < 1) | (month > 12) | (day < 1) | (hour > 23) | (minute > 59) | (second > 59)).any():
        raise Fallback
    ym = (year - 1970) * 12 + month - 1
    first = ym.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    nxt = (ym + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    if (day > nxt - first).any():
        raise Fallback
    local = (first + day - 1) * 86400 + hour * 3600 + minute * 60 + second
    if L == base:  # naive: Paris wall clock
        if ((year < DST_YEARS[0]) | (year > DST_YEARS[1])).any() or in_spring_gap(local).any():
            raise Fallback
        return local_to_epoch(local)
    if L == base + 1:
        if (buf[st + base] != ord("Z")).any():
            raise Fallback
        utc = local
    else:
        sign = buf[st + base]
        if ((sign != ord("+")) & (sign != ord("-"))).any() or (buf[st + base + 3] != ord(":")).any():
            raise Fallback
        o = _digits(buf, st + base, (1, 2, 4, 5))
        oh, om = o[:, 0] * 10 + o[:, 1], o[:, 2] * 10 + o[:, 3]
        if ((oh > 23) | (om > 59)).any():
            raise Fallback
        utc = local - np.where(sign == ord("+"), 1, -1) * (oh * 3600 + om * 60)
    if ((utc < _T_MIN) | (utc >= _T_MAX)).any():
        raise Fallback
    return utc
