"""Fair-use audit of "unlimited" plans over call records (ALLSET 001 §7, ProgetCom 002 §7).

Per user and calendar month it flags: more than 150 distinct numbers called, calls through a gateway/PBX
or a "mobility" SIP login, call-centre-like patterns; it counts calls outside the included destinations,
and computes the retroactive per-minute billing of national fixed calls and (ProgetCom) the 400 % penalty.

Call records (`caller_user,callee,start,duration_s,device_kind`) are read in chunks of bytes and parsed
column-wise with numpy, so memory stays bounded whatever the file size; destinations are classified with
prefix tables built once from `phonenumbers` metadata (never a parse per row). A row the fast parser
cannot take (quotes, a time with an offset, any error) sends its chunk through the row-by-row parser,
which names the file, line and field of the first bad row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.calendar import PARIS, in_spring_gap
from contracts.choices import CallDevice, Dest
from contracts.errors import InputError
from contracts.money import money
from contracts.month import Month
from contracts.profile import Profile

COLUMNS = ("caller_user", "callee", "start", "duration_s", "device_kind")
HEADER_BYTES = (",".join(COLUMNS) + "\n").encode()


# ----- rules (the profile's `fair_use:` section) ---------------------------------------------------------


class IncludedDestination(BaseModel):
    """One listed international destination: a region (ISO code) and the number types included."""

    model_config = ConfigDict(extra="forbid")
    name: str
    region: str
    types: list[Literal["fixed_line", "mobile"]] = ["fixed_line"]


class CallCentre(BaseModel):
    """Thresholds of a call-centre-like month: many calls, mostly to different numbers, mostly short."""

    model_config = ConfigDict(extra="forbid")
    min_calls: int = 1000
    min_distinct_ratio: Decimal = Decimal("0.5")
    max_mean_duration_s: int = 120
    clause: str


class Penalty(BaseModel):
    """ProgetCom's penalty: pct of the per-minute billing of all consumption, for these flags."""

    model_config = ConfigDict(extra="forbid")
    pct: Decimal
    flags: list[str]
    clause: str


class FairUseRules(BaseModel):
    """The `fair_use:` section of a profile."""

    model_config = ConfigDict(extra="forbid")
    clause: str
    max_distinct_numbers: int = 150
    max_distinct_clause: str
    national_fixed_prefixes: list[str] = ["1", "2", "3", "4", "5", "9"]
    national_mobile_prefixes: list[str] = ["6", "7"]
    national_clause: str
    international: list[IncludedDestination]
    international_clause: str
    international_count_in_text: int
    quirk: str = ""
    forbidden_devices: dict[str, str]  # device kind -> clause
    call_centre: CallCentre
    per_minute_eur: dict[str, Decimal]  # Dest name -> €/min (the tariff is not in the seeds: an input)
    per_minute_clause: str
    retro_unit: Literal["started_minute", "second"] = "started_minute"
    retro_clause: str
    out_of_plan_clause: str
    penalty: Penalty | None = None
    forwarding_note: str = ""


def fair_use_rules(profile: Profile, rates: dict[str, str] | None = None) -> FairUseRules:
    """The validated `fair_use:` section of `profile`, with per-minute rates overridden by `rates`."""
    data = dict(profile.fair_use or {})
    if not data:
        raise InputError(
            f"profile {profile.name} has no fair-use rules (only allset and progetcom have)", field="contract"
        )
    try:
        rules = FairUseRules.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            err["msg"], file=profile.path, field=".".join(["fair_use", *(str(x) for x in err["loc"])])
        ) from None
    for kind in rules.forbidden_devices:
        if kind not in CallDevice.__members__:
            raise InputError(
                f"unknown device kind {kind!r}", file=profile.path, field="fair_use.forbidden_devices"
            )
    for name, value in (rates or {}).items():
        if name not in Dest.__members__:
            raise InputError(
                f"unknown destination class {name!r}; one of {', '.join(Dest.__members__)}", field="--rate"
            )
        try:
            d = Decimal(value)
        except ArithmeticError:
            raise InputError(f"not a rate: {value!r}", field="--rate") from None
        if not d.is_finite() or d < 0:
            raise InputError(f"must be a finite rate ≥ 0, got {value}", field="--rate")
        rules.per_minute_eur[name] = d
    missing = [d.name for d in Dest if d.name not in rules.per_minute_eur]
    if missing:
        raise InputError(
            f"no per-minute rate for {missing}", file=profile.path, field="fair_use.per_minute_eur"
        )
    return rules


# ----- destination prefix tables ---------------------------------------------------------------------------

_TYPE_NAMES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)
_MAX_DEPTH = (
    4  # national digits explored; deeper ambiguity (numbers both fixed and mobile) counts as included
)


def _region_prefixes(region: str, types: tuple[str, ...]) -> list[str]:
    """E.164 digit prefixes of the numbers of `region` whose type is in `types`, from phonenumbers metadata.

    Walks a trie of national-number prefixes, keeping a prefix as soon as only the included patterns can
    still match it (partial regex matching); a type whose pattern equals an included one (US/CA fixed =
    mobile) is included too, as phonenumbers reports such numbers as FIXED_LINE_OR_MOBILE.
    """
    import phonenumbers
    import regex
    from phonenumbers.phonenumberutil import PhoneMetadata

    md = PhoneMetadata.metadata_for_region(region)
    if md is None:
        raise InputError(
            f"unknown region {region!r} in the included destinations", field="fair_use.international"
        )
    cc = str(phonenumbers.country_code_for_region(region))
    inc, other = [], []
    for name in _TYPE_NAMES:
        desc = getattr(md, name)
        if desc is not None and desc.national_number_pattern:
            (inc if name in types else other).append(desc.national_number_pattern)
    other = [p for p in other if p not in inc]
    if not inc:
        return []
    r_inc = regex.compile("(?:" + ")|(?:".join(inc) + ")")
    r_oth = regex.compile("(?:" + ")|(?:".join(other) + ")") if other else None
    out, stack = [], [str(d) for d in range(9, -1, -1)]
    while stack:
        p = stack.pop()
        a = r_inc.fullmatch(p, partial=True) is not None
        if not a:
            continue
        b = r_oth is not None and r_oth.fullmatch(p, partial=True) is not None
        if b and len(p) < _MAX_DEPTH:
            stack.extend(p + str(d) for d in range(9, -1, -1))
        else:
            out.append(cc + p)
    return out


@dataclass(frozen=True)
class PrefixTable:
    """Included international E.164 prefixes, by length, as sorted int64 arrays (built once)."""

    by_length: tuple[tuple[int, np.ndarray], ...]
    size: int

    def included(self, e164: np.ndarray, ndigits: np.ndarray) -> np.ndarray:
        """True where the number (int64 digits, with its digit count) starts with an included prefix."""
        out = np.zeros(e164.shape, dtype=bool)
        for k, table in self.by_length:
            ok = ndigits >= k
            if not ok.any():
                continue
            lead = e164 // _POW10[np.maximum(ndigits - k, 0)]
            pos = np.searchsorted(table, lead)
            hit = ok & (table[np.minimum(pos, len(table) - 1)] == lead)
            out |= hit
        return out


_POW10 = np.array([10**i for i in range(19)], dtype=np.int64)


@lru_cache(maxsize=8)
def prefix_table(destinations: tuple[tuple[str, tuple[str, ...]], ...]) -> PrefixTable:
    """Build (once per process and list) the prefix table of the included international destinations."""
    prefixes: set[str] = set()
    for region, types in destinations:
        prefixes.update(_region_prefixes(region, types))
    by_len: dict[int, list[int]] = {}
    for p in prefixes:
        by_len.setdefault(len(p), []).append(int(p))
    tables = tuple((k, np.array(sorted(v), dtype=np.int64)) for k, v in sorted(by_len.items(), reverse=True))
    return PrefixTable(tables, len(prefixes))


def _table_for(rules: FairUseRules) -> PrefixTable:
    key = {}
    for d in rules.international:
        key.setdefault(d.region.upper(), set()).update(d.types)
    return prefix_table(tuple(sorted((r, tuple(sorted(t))) for r, t in key.items())))


# ----- parsing ---------------------------------------------------------------------------------------------


@dataclass
class Columns:
    """Parsed call records of one chunk, column-wise."""

    user: np.ndarray  # int32 global user id
    month: np.ndarray  # int32 year*12 + month-1
    e164: np.ndarray  # int64 digits (E.164 for normalised numbers, raw digits otherwise)
    ndigits: np.ndarray  # int8
    kind: np.ndarray  # int8: 0 national, 1 international (E.164), 2 special/short
    duration: np.ndarray  # int64 seconds
    device: np.ndarray  # int8 CallDevice

    def __len__(self) -> int:
        return len(self.user)


class _Users:
    """Global ids of caller_user values, shared by every chunk of a file."""

    def __init__(self) -> None:
        self.by_hash: dict[int, int] = {}
        self.names: list[str] = []

    def id_of_name(self, name: str) -> int:
        return self.ids_of_hashes(np.array([_hash_bytes(name.encode())], dtype=np.uint64), [name])[0]

    def ids_of_hashes(self, hashes: np.ndarray, names: Any) -> np.ndarray:
        out = np.empty(len(hashes), dtype=np.int32)
        for i, h in enumerate(hashes.tolist()):
            uid = self.by_hash.get(h)
            if uid is None:
                uid = self.by_hash[h] = len(self.names)
                self.names.append(names[i] if isinstance(names, list) else names(i))
            out[i] = uid
        return out


_HASH_MUL = np.uint64(1099511628211)
_HASH_OFF = np.uint64(14695981039346656037)


def _hash_matrix(mat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """FNV-1a-like 64-bit hash of each row's first `lengths` bytes (vectorised over rows)."""
    h = np.full(mat.shape[0], _HASH_OFF, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(mat.shape[1]):
            live = j < lengths
            nh = (h ^ mat[:, j].astype(np.uint64)) * _HASH_MUL
            h = np.where(live, nh, h)
    return h


def _hash_bytes(b: bytes) -> int:
    mat = np.frombuffer(b, dtype=np.uint8).reshape(1, -1) if b else np.zeros((1, 0), np.uint8)
    return int(_hash_matrix(mat, np.array([len(b)]))[0])


def _windows(a: np.ndarray, width: int) -> np.ndarray:
    """A zero-padded copy of `a` viewed as overlapping rows of `width` bytes (row i = a[i:i+width])."""
    padded = np.concatenate([np.zeros(width, np.uint8), a, np.zeros(width, np.uint8)])
    return np.lib.stride_tricks.as_strided(padded[width:], shape=(len(a), width), strides=(1, 1))


def _left(win: np.ndarray, s: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Fields as (n, width) byte rows starting at `s`, bytes past each length zeroed."""
    mat = win[s]
    mat[np.arange(win.shape[1])[None, :] >= lengths[:, None]] = 0
    return mat


class _Reject(Exception):
    """The fast parser cannot take this chunk: parse it row by row (to locate the error, or for quotes)."""


def _number(a: np.ndarray, e: np.ndarray, lengths: np.ndarray, width: int) -> np.ndarray:
    """int64 value of the decimal digits a[e-length:e] (right-aligned gather); _Reject on a non-digit."""
    padded = np.concatenate([np.full(width, 48, np.uint8), a])
    win = np.lib.stride_tricks.as_strided(padded, shape=(len(a) + 1, width), strides=(1, 1))
    d = win[e] - np.uint8(48)  # row e of the padded view = a[e-width:e]
    d[np.arange(width)[None, :] < (width - lengths)[:, None]] = 0
    if (d > 9).any():
        raise _Reject
    return d.astype(np.int64) @ _POW10[width - 1 :: -1][:width]


def _fast_chunk(a: np.ndarray, users: _Users, delim: int = 44) -> Columns:
    """Parse a chunk of whole lines (each ending with \\n) in the exact column order, or raise _Reject.
    `delim` is the separator byte: "," or ";" (French spreadsheet exports)."""
    if (a == 34).any():  # quotes: leave to the csv module
        raise _Reject
    nl = np.flatnonzero(a == 10)
    n = len(nl)
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl.copy()
    cr = (ends > starts) & (a[np.maximum(ends - 1, 0)] == 13)
    ends -= cr
    commas = np.flatnonzero(a == delim)
    per_line = np.diff(np.searchsorted(commas, nl), prepend=0)
    if len(commas) != 4 * n or (per_line != 4).any():
        raise _Reject
    c = commas.reshape(n, 4)
    fs = [starts, c[:, 0] + 1, c[:, 1] + 1, c[:, 2] + 1, c[:, 3] + 1]
    fe = [c[:, 0], c[:, 1], c[:, 2], c[:, 3], ends]
    lens = [e - s for s, e in zip(fs, fe, strict=True)]
    if (
        any((ln == 0).any() for ln in lens)
        or lens[0].max() > 64
        or (lens[1] - (a[fs[1]] == 43)).max() > 18
        or lens[3].max() > 9
    ):
        raise _Reject
    spaces = int(np.count_nonzero(a == 32))
    if spaces and spaces != int(np.count_nonzero(a[np.minimum(fs[2] + 10, len(a) - 1)] == 32)):
        raise _Reject  # blanks around values: the row parser strips them, as csv users expect
    # caller_user
    ul = lens[0]
    umat = _left(_windows(a, int(ul.max())), fs[0], ul)
    uh = _hash_matrix(umat, ul)
    uniq, first, inv = np.unique(uh, return_index=True, return_inverse=True)
    ids = users.ids_of_hashes(
        uniq, lambda i: bytes(umat[first[i], : ul[first[i]]]).decode("utf-8", "replace")
    )
    user = ids[inv]
    # callee: optional '+', digits
    cl = lens[1]
    plus = a[fs[1]] == 43
    if (cl - plus < 1).any():  # an empty number or a lone "+": the row parser names it
        raise _Reject
    raw = _number(a, fe[1], cl - plus, int(cl.max()))
    lead = _windows(a, 2)[fs[1]]
    e164, ndig, kind = _normalise(lead, cl, plus, raw)
    # start: YYYY-MM-DDTHH:MM:SS exactly (anything else goes row by row)
    if (lens[2] != 19).any():
        raise _Reject
    sm = _windows(a, 19)[fs[2]]
    sep_ok = (sm[:, 4] == 45) & (sm[:, 7] == 45) & ((sm[:, 10] == 84) | (sm[:, 10] == 32))
    sep_ok &= (sm[:, 13] == 58) & (sm[:, 16] == 58)
    if not sep_ok.all():
        raise _Reject
    du = sm - np.uint8(48)
    if (du[:, [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]] > 9).any():
        raise _Reject
    dg = du.astype(np.int32)
    y = (dg[:, 0] * 1000 + dg[:, 1] * 100 + dg[:, 2] * 10 + dg[:, 3]).astype(np.int64)
    m, d = (dg[:, 5] * 10 + dg[:, 6]).astype(np.int64), (dg[:, 8] * 10 + dg[:, 9]).astype(np.int64)
    hh, mm, ss = dg[:, 11] * 10 + dg[:, 12], dg[:, 14] * 10 + dg[:, 15], dg[:, 17] * 10 + dg[:, 18]
    if ((m < 1) | (m > 12) | (d < 1) | (y < 1971) | (y > 2200) | (hh > 23) | (mm > 59) | (ss > 59)).any():
        raise _Reject
    mon = (y - 1970) * 12 + (m - 1)
    first_day = mon.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    next_first = (mon + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    if (d > next_first - first_day).any():
        raise _Reject
    local = (first_day + d - 1) * 86400 + hh * 3600 + mm * 60 + ss
    if in_spring_gap(local).any():  # CONTRACTS §13: a time in the skipped spring hour is bad input
        raise _Reject
    duration = _number(a, fe[3], lens[3], int(lens[3].max()))
    # device_kind: told apart by first byte and length, then compared whole
    kl = lens[4]
    kmat = _left(_windows(a, 8), fs[4], np.minimum(kl, 8))
    codes = np.full(n, -1, dtype=np.int8)
    for k in CallDevice:
        want = np.frombuffer(k.name.encode().ljust(8, b"\0"), np.uint8)
        codes[(kl == len(k.name)) & (kmat == want).all(axis=1)] = k.value
    if (codes < 0).any():
        raise _Reject
    return Columns(user, (y * 12 + m - 1).astype(np.int32), e164, ndig, kind, duration, codes)


def _normalise(cmat: np.ndarray, cl: np.ndarray, plus: np.ndarray, raw: np.ndarray):
    """Callee digits → (number, digit count, kind): '+CC…'/'00CC…' international, '0N' + 8 digits French."""
    ndig = (cl - plus).astype(np.int64)
    zero0 = (cmat[:, 0] == 48) & ~plus
    zero00 = zero0 & (cmat[:, 1] == 48)
    national = zero0 & ~zero00 & (ndig == 10)
    intl = plus | (zero00 & (ndig > 4))
    e164 = raw.copy()
    nd = ndig.copy()
    e164[zero00 & intl] = raw[zero00 & intl]  # leading zeros vanish in the integer value
    nd[zero00 & intl] -= 2
    e164[national] = 33 * 10**9 + raw[national]
    nd[national] = 11
    kind = np.full(len(raw), 2, dtype=np.int8)
    kind[intl] = 1
    kind[national] = 0
    # +33 numbers are national numbers
    fr = (kind == 1) & (nd == 11) & (e164 // 10**9 == 33)
    kind[fr] = 0
    if ((nd > 18) & (kind != 2)).any():
        raise _Reject
    return e164, nd.astype(np.int8), kind


def _parse_row(row: list[str], col: dict[str, int], users: _Users, path: str, line: int) -> tuple:
    """One CSV row → (user, month, e164, ndigits, kind, duration, device), or an InputError naming it."""

    def get(name: str) -> str:
        i = col[name]
        if i >= len(row):
            raise InputError("missing value (row too short)", file=path, line=line, field=name)
        return row[i].strip()

    if len(row) < len(col):
        raise InputError(f"expected {len(col)} columns, got {len(row)}", file=path, line=line)
    user = get("caller_user")
    if not user:
        raise InputError("empty user", file=path, line=line, field="caller_user")
    callee = get("callee")
    body = callee[1:] if callee.startswith("+") else callee
    if not body or not body.isascii() or not body.isdigit() or len(body) > 18:
        raise InputError(
            f"not a phone number: {callee!r} (digits, optional leading +)",
            file=path,
            line=line,
            field="callee",
        )
    start = get("start")
    try:
        t = datetime.fromisoformat(start)
    except ValueError:
        raise InputError(f"not an ISO date-time: {start!r}", file=path, line=line, field="start") from None
    if t.tzinfo is None:
        local = t.replace(tzinfo=PARIS)
        if local.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) != t:
            raise InputError(
                f"{start} does not exist in Paris (skipped spring hour)", file=path, line=line, field="start"
            )
    else:
        t = t.astimezone(PARIS)
    if not 1971 <= t.year <= 2200:
        raise InputError(f"year out of range: {start!r}", file=path, line=line, field="start")
    dur = get("duration_s")
    if not dur.isascii() or not dur.isdigit() or len(dur) > 9:
        raise InputError(
            f"not a whole number of seconds ≥ 0: {dur!r}", file=path, line=line, field="duration_s"
        )
    dev = get("device_kind")
    if dev not in CallDevice.__members__:
        raise InputError(
            f"unknown device kind {dev!r}; one of {', '.join(CallDevice.__members__)}",
            file=path,
            line=line,
            field="device_kind",
        )
    cb = callee.encode()
    cmat = np.frombuffer(cb, dtype=np.uint8).reshape(1, -1)
    plus = np.array([callee.startswith("+")])
    e164, nd, kind = _normalise(cmat, np.array([len(cb)]), plus, np.array([int(body)], dtype=np.int64))
    return (
        users.id_of_name(user),
        Month.containing(t),
        int(e164[0]),
        int(nd[0]),
        int(kind[0]),
        int(dur),
        CallDevice[dev].value,
    )


def _slow_chunk(
    text: str, header: list[str], users: _Users, path: str, first_line: int, delim: str = ","
) -> Columns:
    col = {name: header.index(name) for name in COLUMNS}
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        for k, row in enumerate(reader):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            rows.append(_parse_row(row, col, users, path, first_line + k))
    except csv.Error as exc:  # a stray "\r" or quote: a bad row, not a crash
        raise InputError(f"malformed CSV: {exc}", file=path, line=first_line + reader.line_num - 1) from None
    if not rows:
        return _empty()
    arr = list(zip(*rows, strict=True))
    return Columns(
        np.array(arr[0], np.int32),
        np.array(arr[1], np.int32),
        np.array(arr[2], np.int64),
        np.array(arr[3], np.int8),
        np.array(arr[4], np.int8),
        np.array(arr[5], np.int64),
        np.array(arr[6], np.int8),
    )


def _empty() -> Columns:
    z = np.zeros(0, dtype=np.int64)
    return Columns(
        z.astype(np.int32), z.astype(np.int32), z, z.astype(np.int8), z.astype(np.int8), z, z.astype(np.int8)
    )


def read_cdrs(path: str | Path, users: _Users, chunk_bytes: int = 4 << 20) -> Iterator[Columns]:
    """Yield the call records of a CSV file chunk by chunk (bounded memory)."""
    p = str(path)
    try:
        fh = open(p, "rb")  # noqa: SIM115 - closed in finally
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=p) from None
    try:
        head = fh.readline()
        try:
            first = head.decode("utf-8-sig")
            # French spreadsheet exports separate with ";": accepted like the other readers (issue 10 §1)
            delim = ";" if first.count(";") > first.count(",") else ","
            header = [h.strip() for h in next(csv.reader([first], delimiter=delim))]
        except (UnicodeDecodeError, StopIteration, csv.Error):
            raise InputError("no header line", file=p, line=1) from None
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise InputError(
                f"missing column(s) {', '.join(missing)}; need {','.join(COLUMNS)}", file=p, line=1
            )
        exact = header == list(COLUMNS)
        line = 2
        rest = b""
        while True:
            block = fh.read(chunk_bytes)
            data = rest + block
            if not data:
                break
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    rest = data
                    continue
                data, rest = data[:cut], data[cut:]
            else:
                rest = b""
                if not data.endswith(b"\n"):
                    data += b"\n"
            n_lines = data.count(b"\n")
            cols = None
            if exact:
                try:
                    cols = _fast_chunk(np.frombuffer(data, dtype=np.uint8), users, ord(delim))
                except _Reject:
                    cols = None
            if cols is None:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as exc:
                    bad = line + data[: exc.start].count(b"\n")
                    raise InputError("not UTF-8 text", file=p, line=bad) from None
                cols = _slow_chunk(text, header, users, p, line, delim)
            line += n_lines
            yield cols
            if not block:
                break
    finally:
        fh.close()


# ----- the audit --------------------------------------------------------------------------------------------


@dataclass
class _Acc:
    """Per-chunk partial aggregates keyed by group (user << 20 | month)."""

    keys: list[np.ndarray] = field(default_factory=list)
    calls: list[np.ndarray] = field(default_factory=list)  # (g, len(Dest))
    seconds: list[np.ndarray] = field(default_factory=list)
    minutes: list[np.ndarray] = field(default_factory=list)  # started minutes
    devices: list[np.ndarray] = field(default_factory=list)  # (g, len(CallDevice)) call counts
    pair_hash: list[np.ndarray] = field(default_factory=list)
    pair_group: list[np.ndarray] = field(default_factory=list)


def _classify(c: Columns, rules: FairUseRules, table: PrefixTable) -> np.ndarray:
    """Dest class of every call: national by prefix (001 §7, 002 §7.1 a-b), international by the table."""
    dest = np.full(len(c), Dest.national_special, dtype=np.int8)
    nat = c.kind == 0
    first = (c.e164 // 10**8) % 10  # first digit after 33
    fixed = np.isin(first, [int(x) for x in rules.national_fixed_prefixes])
    mobile = np.isin(first, [int(x) for x in rules.national_mobile_prefixes])
    dest[nat & fixed] = Dest.national_fixed
    dest[nat & mobile] = Dest.national_mobile
    intl = c.kind == 1
    if intl.any():
        inc = table.included(c.e164, c.ndigits.astype(np.int64))
        dest[intl] = np.where(inc[intl], Dest.international_included, Dest.international_other)
    return dest


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (vectorised), to hash (group, number) pairs into one uint64."""
    with np.errstate(over="ignore"):
        x = x.astype(np.uint64)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _accumulate(acc: _Acc, c: Columns, dest: np.ndarray) -> None:
    gkey = (c.user.astype(np.int64) << 20) | c.month.astype(np.int64)
    mmin, span = int(c.month.min()), int(c.month.max()) - int(c.month.min()) + 1
    size = (int(c.user.max()) + 1) * span
    if size <= 4 * len(c) + 4096:  # dense group ids: no sort needed
        gid = c.user.astype(np.int64) * span + (c.month - mmin)
        present = np.flatnonzero(np.bincount(gid, minlength=size))
        remap = np.zeros(size, dtype=np.int64)
        remap[present] = np.arange(len(present))
        inv = remap[gid]
        keys = ((present // span) << 20) | (present % span + mmin)
    else:
        keys, inv = np.unique(gkey, return_inverse=True)
    g = len(keys)
    nd, nk = len(Dest), len(CallDevice)
    cell = inv * nd + dest
    acc.keys.append(keys)
    acc.calls.append(np.bincount(cell, minlength=g * nd).reshape(g, nd))
    acc.seconds.append(
        np.bincount(cell, weights=c.duration, minlength=g * nd).reshape(g, nd).astype(np.int64)
    )
    started = (c.duration + 59) // 60
    acc.minutes.append(np.bincount(cell, weights=started, minlength=g * nd).reshape(g, nd).astype(np.int64))
    acc.devices.append(np.bincount(inv * nk + c.device, minlength=g * nk).reshape(g, nk))
    number = c.e164.astype(np.uint64) ^ (c.kind.astype(np.uint64) << np.uint64(60))
    with np.errstate(over="ignore"):
        h = _mix(_mix(gkey.astype(np.uint64)) ^ number)
    uh, first = np.unique(h, return_index=True)
    acc.pair_hash.append(uh)
    acc.pair_group.append(gkey[first])
    if sum(len(x) for x in acc.pair_hash) > 4 * len(acc.pair_hash[-1]) and len(acc.pair_hash) > 4:
        allh = np.concatenate(acc.pair_hash)
        allg = np.concatenate(acc.pair_group)
        uh, first = np.unique(allh, return_index=True)
        acc.pair_hash[:] = [uh]
        acc.pair_group[:] = [allg[first]]


@dataclass
class Audit:
    """The result of a fair-use audit."""

    contract: str
    cdrs: str
    records: int
    users: int
    user_months: int
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    notes: list[str]
    provenance: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "contract": self.contract,
            "cdrs": self.cdrs,
            "records": self.records,
            "users": self.users,
            "user_months": self.user_months,
            "totals": self.totals,
            "flagged": self.rows,
            "notes": self.notes,
            "provenance": self.provenance,
        }


def audit(
    profile: Profile,
    cdrs: str | Path,
    *,
    rates: dict[str, str] | None = None,
    every_month: bool = False,
    chunk_bytes: int = 4 << 20,
    progress: Any = None,
) -> Audit:
    """Audit the call records of `cdrs` against the fair-use rules of `profile` (001 §7 / 002 §7)."""
    rules = fair_use_rules(profile, rates)
    table = _table_for(rules)
    users = _Users()
    acc = _Acc()
    records = 0
    for cols in read_cdrs(cdrs, users, chunk_bytes):
        if len(cols) == 0:
            continue
        records += len(cols)
        _accumulate(acc, cols, _classify(cols, rules, table))
        if progress is not None:
            progress(records)
    return _report(profile, rules, str(cdrs), records, users, acc, every_month)


def _report(
    profile: Profile,
    rules: FairUseRules,
    path: str,
    records: int,
    users: _Users,
    acc: _Acc,
    every_month: bool,
) -> Audit:
    nd, nk = len(Dest), len(CallDevice)
    if acc.keys:
        allk = np.concatenate(acc.keys)
        keys, inv = np.unique(allk, return_inverse=True)
        g = len(keys)

        def reduce(parts: list[np.ndarray], width: int) -> np.ndarray:
            out = np.zeros((g, width), dtype=np.int64)
            np.add.at(out, inv, np.concatenate(parts).astype(np.int64))
            return out

        calls, seconds, minutes = reduce(acc.calls, nd), reduce(acc.seconds, nd), reduce(acc.minutes, nd)
        devices = reduce(acc.devices, nk)
        allh, allg = np.concatenate(acc.pair_hash), np.concatenate(acc.pair_group)
        _, first = np.unique(allh, return_index=True)
        distinct = np.bincount(np.searchsorted(keys, allg[first]), minlength=g)
    else:
        keys = np.zeros(0, dtype=np.int64)
        calls = seconds = minutes = np.zeros((0, nd), dtype=np.int64)
        devices = np.zeros((0, nk), dtype=np.int64)
        distinct = np.zeros(0, dtype=np.int64)
    rate = {d: rules.per_minute_eur[d.name] for d in Dest}
    out_plan = [Dest.national_special, Dest.international_other]
    cc = rules.call_centre
    rows = []
    tot = {
        "flagged_user_months": 0,
        "out_of_plan_calls": 0,
        "out_of_plan_eur": Decimal("0.00"),
        "retro_national_fixed_eur": Decimal("0.00"),
        "penalty_eur": Decimal("0.00"),
    }
    for i, key in enumerate(keys.tolist()):
        user, month = users.names[key >> 20], key & ((1 << 20) - 1)
        n_calls = int(calls[i].sum())
        flags, clauses = [], []
        if distinct[i] > rules.max_distinct_numbers:  # 001 §7, 002 §7.2 c)
            flags.append(f"over_{rules.max_distinct_numbers}_numbers")
            clauses.append(rules.max_distinct_clause)
        for kind, clause in rules.forbidden_devices.items():  # 001 §7, 002 §7.2 a)
            if devices[i, CallDevice[kind]] > 0:
                flags.append(kind)
                clauses.append(clause)
        mean_dur = int(seconds[i].sum()) / n_calls if n_calls else 0.0
        if (
            n_calls >= cc.min_calls
            and Decimal(int(distinct[i])) >= cc.min_distinct_ratio * n_calls
            and mean_dur <= cc.max_mean_duration_s
        ):  # 001 §7, 002 §7.2 b)
            flags.append("call_centre")
            clauses.append(cc.clause)
        oop_calls = int(sum(calls[i, d] for d in out_plan))
        oop = money(
            sum((_minutes(rules, minutes[i, d], seconds[i, d]) * rate[d] for d in out_plan), Decimal(0))
        )
        retro = Decimal("0.00")
        penalty = Decimal("0.00")
        if flags:  # national fixed calls billed per minute, retroactively (001 §7, 002 §7.3)
            nf = Dest.national_fixed
            retro = money(_minutes(rules, minutes[i, nf], seconds[i, nf]) * rate[nf])
            if rules.penalty and set(flags) & set(rules.penalty.flags):  # 002 §7.2 a), b)
                all_minutes = sum(
                    (_minutes(rules, minutes[i, d], seconds[i, d]) * rate[d] for d in Dest), Decimal(0)
                )
                penalty = money(all_minutes * rules.penalty.pct / 100)
                clauses.append(rules.penalty.clause)
        if flags or every_month:
            rows.append(
                {
                    "user": user,
                    "month": Month(month).text,
                    "calls": n_calls,
                    "distinct_numbers": int(distinct[i]),
                    "national_fixed_calls": int(calls[i, Dest.national_fixed]),
                    "national_fixed_minutes": int(minutes[i, Dest.national_fixed]),
                    "national_mobile_calls": int(calls[i, Dest.national_mobile]),
                    "international_included_calls": int(calls[i, Dest.international_included]),
                    "out_of_plan_calls": oop_calls,
                    "out_of_plan_eur": oop,
                    "gateway_calls": int(devices[i, CallDevice.gateway]),
                    "pbx_calls": int(devices[i, CallDevice.pbx]),
                    "mobility_calls": int(devices[i, CallDevice.mobility]),
                    "flags": ",".join(flags),
                    "retro_national_fixed_eur": retro,
                    "penalty_eur": penalty,
                    "clauses": "; ".join(dict.fromkeys(clauses)),
                }
            )
        tot["flagged_user_months"] += bool(flags)
        tot["out_of_plan_calls"] += oop_calls
        tot["out_of_plan_eur"] += oop
        tot["retro_national_fixed_eur"] += retro
        tot["penalty_eur"] += penalty
    notes = [rules.quirk] if rules.quirk else []
    notes.append(
        "rates per minute are inputs (the tariff is not in the seeds): "
        + ", ".join(f"{d.name}={rate[d]}" for d in Dest)
        + f" ({rules.per_minute_clause})"
    )
    if rules.forwarding_note:
        notes.append(rules.forwarding_note)
    rows.sort(key=lambda r: (r["user"], r["month"]))  # the same order whatever the chunking
    return Audit(
        profile.name, path, records, len(users.names), len(keys), rows, tot, notes, profile.provenance()
    )


def _minutes(rules: FairUseRules, started: Any, seconds: Any) -> Decimal:
    """Billed minutes: started minutes per call (« à la minute », default) or exact seconds / 60."""
    if rules.retro_unit == "started_minute":
        return Decimal(int(started))
    return Decimal(int(seconds)) / 60


# ----- reference implementation and generator (tests, benchmark) --------------------------------------------


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
