"""CSV readers for incident tickets, billing and installs: fast (numpy on bytes, block by block, for
large incident files; csv module + numpy otherwise) and strict.

Every bad row gives an InputError naming the file, line and field. Times without an offset are Paris
wall-clock (CONTRACTS §13, fixed): the repeated autumn hour is its first occurrence, a time inside the
skipped spring hour is bad input. Times become int64 epoch seconds.
"""

from __future__ import annotations

import csv
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

import numpy as np

from contracts import fastcsv
from contracts.calendar import DST_YEARS, PARIS, in_spring_gap, local_to_epoch
from contracts.choices import CAUSES
from contracts.errors import InputError
from contracts.fastcsv import Fallback
from contracts.month import Month

_YEARS = "1900–2199"
_T_MIN, _T_MAX = -2208988800, 7258118400  # 1900-01-01 and 2200-01-01 UTC, epoch seconds
_MAX_EUR = Decimal("1e12")
NAT = np.iinfo(np.int64).min  # an empty time (open incident, no answer)
CAUSE_CODE = {c: i for i, c in enumerate(CAUSES)}
_TRUE = {"1", "true", "yes", "y", "oui", "t"}
_FALSE = {"0", "false", "no", "n", "non", "f", ""}


# ----- times ------------------------------------------------------------------------------------------
def _slow_local(value: str) -> tuple[int | None, str | None]:
    """Parse one ISO time; return (epoch seconds, None) or (None, reason)."""
    try:
        t = datetime.fromisoformat(value.strip())
        if t.tzinfo is None:
            aware = t.replace(tzinfo=PARIS)
            back = datetime.fromtimestamp(aware.timestamp(), PARIS).replace(tzinfo=None)
            if back != t.replace(microsecond=back.microsecond):
                return None, f"{value!r} does not exist in Europe/Paris (skipped DST hour)"
            t = aware
        return int(t.timestamp() // 1), None
    except (ValueError, OverflowError, OSError):  # not ISO, or out of range (year 1, 9999 + offset)
        return None, f"not an ISO 8601 time: {value!r}"


def _offsets(values: Sequence[str]) -> np.ndarray:
    """True where a time needs the slow path: an offset or Z, or shorter than a date (numpy would take
    "now", "today", "NaT", "2026"). Checked in bulk first: usually no value does."""
    n = len(values)
    if min(map(len, values)) >= 10:
        joined = "\x00".join(values)
        if "+" not in joined and "Z" not in joined and "z" not in joined and joined.count("-") == 2 * n:
            return np.zeros(n, dtype=bool)
    return np.fromiter(
        (len(s) < 10 or s[-1] in "Zz" or "+" in s[10:] or "-" in s[10:] for s in values), dtype=bool, count=n
    )


def parse_times(
    values: Sequence[str],
    *,
    file: str,
    field: str,
    allow_empty: bool = False,
    lines: np.ndarray | None = None,
) -> np.ndarray:
    """Parse ISO 8601 strings into int64 epoch seconds (NAT for empty when `allow_empty`)."""
    n = len(values)
    out = np.full(n, NAT, dtype=np.int64)

    def first_line(i: int) -> int:
        return int(lines[i]) if lines is not None else i + 2

    if n == 0:
        return out
    # slow path: an offset, or shorter than a date (numpy would take "now", "today", "NaT", "2026")
    offset = _offsets(values)
    naive_idx = np.flatnonzero(~offset)
    slow: list[int] = list(np.flatnonzero(offset))
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
                    line=first_line(i),
                    field=field,
                )
            utc = local_to_epoch(np.where(inside, local, 0))
            out[naive_idx[inside]] = utc[inside]
            # out of the table's years: the slow path decides (empty stays NAT)
            slow.extend(int(i) for i in naive_idx[(~inside) & (~empty)])
            if not allow_empty and empty.any():
                i = int(naive_idx[np.flatnonzero(empty)[0]])
                raise InputError("empty time", file=file, line=first_line(i), field=field)
    for i in slow:
        s = values[i]
        if not s.strip():
            if allow_empty:
                continue
            raise InputError("empty time", file=file, line=first_line(i), field=field)
        v, why = _slow_local(s)
        if why:
            raise InputError(why, file=file, line=first_line(i), field=field)
        out[i] = v
    far = (out != NAT) & ((out < _T_MIN) | (out >= _T_MAX))  # years the engine and calendars cover
    if far.any():
        i = int(np.flatnonzero(far)[0])
        raise InputError(
            f"{values[i]!r} is outside the years {_YEARS}", file=file, line=first_line(i), field=field
        )
    return out


def parse_instant(text: str, *, field: str = "--as-of") -> datetime:
    """An instant given on the command line: ISO 8601, Paris wall clock when it has no offset (a date means
    its midnight). Like a time in the CSV files, a wall-clock time inside the skipped spring hour does not
    exist and is bad input (CONTRACTS §13); the repeated autumn hour is its first occurrence."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"not an ISO 8601 instant: {text!r}", field=field) from None
    if t.tzinfo:
        return t
    aware = t.replace(tzinfo=PARIS)
    try:
        back = datetime.fromtimestamp(aware.timestamp(), PARIS).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):  # years far out: the caller's range checks decide
        return aware
    if back != t.replace(microsecond=back.microsecond):
        raise InputError(f"{text!r} does not exist in Europe/Paris (skipped DST hour)", field=field)
    return aware


# ----- CSV --------------------------------------------------------------------------------------------
def _read(path: str | Path, required: Iterable[str]) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Read a CSV (UTF-8, BOM accepted); check the header and the width of every row."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            first = fh.readline()
            fh.seek(0)
            # French spreadsheet exports separate with ";" (decimal comma in amounts): accepted
            rows = list(csv.reader(fh, delimiter=";" if first.count(";") > first.count(",") else ","))
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=str(path)) from None
    if not rows:
        raise InputError("empty file (no header)", file=str(path), line=1)
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)}; header is {','.join(rows[0])}", file=str(path), line=1
        )
    body = rows[1:]
    width = len(header)
    lines = np.arange(2, len(body) + 2, dtype=np.int64)
    # drop fully blank lines (a trailing newline); any other width mismatch is a malformed row
    if any(len(r) != width for r in body):
        keep, kept = [], []
        for i, r in enumerate(body):
            if len(r) == width:
                keep.append(r)
                kept.append(i + 2)
            elif not any(x.strip() for x in r):
                continue
            else:
                raise InputError(
                    f"malformed row: {len(r)} fields, expected {width} ({','.join(header)})",
                    file=str(path),
                    line=int(lines[i]),
                )
        body = keep
        lines = np.array(kept, dtype=np.int64)
    return header, body, lines


def _read_columns(
    path: str | Path, required: Iterable[str]
) -> tuple[list[str], dict[str, list[str]], np.ndarray]:
    """Read a CSV into columns. Fast path for the common plain file (no quotes, no blank line inside):
    every row's width checked with numpy on the bytes, then one split of the text and list slicing per
    column. Anything else goes through the csv module."""
    try:
        raw = Path(path).read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b"\r\n" in raw:
            raw = raw.replace(b"\r\n", b"\n")
        raw = raw.rstrip(b"\n")
        text = raw.decode("utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        text = None
    if text is not None and '"' not in text and "\r" not in text:
        head, _, rest = text.partition("\n")
        delim = ";" if head.count(";") > head.count(",") else ","
        header = [h.strip().lower() for h in head.split(delim)]
        missing = [c for c in required if c not in header]
        if rest and not missing and "\n\n" not in rest:
            width = len(header)
            body = np.frombuffer(raw, dtype=np.uint8)[len(head.encode()) + 1 :]
            ends = np.append(np.flatnonzero(body == 10), len(body))
            per_line = np.diff(np.searchsorted(np.flatnonzero(body == ord(delim)), ends), prepend=0)
            if (per_line == width - 1).all():
                fields = rest.replace("\n", delim).split(delim)
                plain = " " not in rest and "\t" not in rest
                cols = {}
                for j, name in enumerate(header):
                    col = fields[j::width]
                    cols[name] = col if plain else [x.strip() for x in col]
                return header, cols, np.arange(2, len(ends) + 2, dtype=np.int64)
    header, body, lines = _read(path, required)
    cols = {name: [r[j].strip() for r in body] for j, name in enumerate(header)}
    return header, cols, lines


def _column(header: list[str], body: list[list[str]], name: str) -> list[str]:
    if name not in header:
        return []
    j = header.index(name)
    return [r[j] for r in body]


@dataclass
class Incidents:
    """Incident tickets as columns (row i is CSV line `line[i]`)."""

    file: str
    ticket: list[str]
    site: list[str]
    notified: np.ndarray  # epoch s
    restored: np.ndarray  # epoch s, NAT = open
    cause: np.ndarray  # int8 index into CAUSES
    pending_since: np.ndarray | None = None  # epoch s, NAT = none
    answered_at: np.ndarray | None = None
    departement: list[str] | None = None
    line: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.ticket)


def read_incidents(path: str | Path) -> Incidents:
    """Read `ticket,site,notified_at,restored_at,cause[,pending_since,answered_at,departement,…]`.

    The low-memory block reader (contracts/fastcsv.py) reads a plain, valid file; on anything else the
    full reader below re-reads the file and decides (same values, same errors)."""
    try:
        return _read_incidents_blocks(path)
    except Fallback:
        return _read_incidents_full(path)


_INCIDENT_COLUMNS = ("ticket", "site", "notified_at", "restored_at", "cause")


def _read_incidents_blocks(path: str | Path) -> Incidents:
    """Incidents from the block reader: no per-row Python object but the ticket strings; site, cause and
    departement dictionary-encoded block by block. Raises Fallback rather than InputError."""
    head, delim, fh = fastcsv.open_csv(path)
    with fh:
        return _incidents_from_blocks(str(path), head, delim, fh)


def _incidents_from_blocks(path: str, head: str, delim: str, fh: BinaryIO) -> Incidents:
    header = [h.strip().lower() for h in head.split(delim)]
    if any(c not in header for c in _INCIDENT_COLUMNS):
        raise Fallback
    col = {name: j for j, name in enumerate(header)}  # a repeated name: the last one, as the full reader
    width = len(header)
    optional = "pending_since" in header
    text_cols = ["site"] + (["departement"] if "departement" in header else [])
    tickets: list[str] = []
    codes: dict[str, list[np.ndarray]] = {c: [] for c in text_cols}
    values: dict[str, dict[str, int]] = {c: {} for c in text_cols}
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for body in fastcsv.blocks(fh):
        buf, st, en = fastcsv.fields(body, delim, width)
        used = [col[c] for c in (*_INCIDENT_COLUMNS, *text_cols[1:])]
        if optional:
            used += [col["pending_since"]] + ([col["answered_at"]] if "answered_at" in col else [])
        for j in used:
            fastcsv.check_edges(buf, st[:, j], en[:, j])
        tk = fastcsv.strings(buf, st[:, col["ticket"]], en[:, col["ticket"]])
        tickets.extend(tk)
        for c in text_cols:
            uniq, inv = fastcsv.encode(buf, st[:, col[c]], en[:, col[c]])
            known = values[c]
            codes[c].append(np.array([known.setdefault(u, len(known)) for u in uniq], dtype=np.int32)[inv])
        parts["cause"].append(fastcsv.lookup(buf, st[:, col["cause"]], en[:, col["cause"]], CAUSES))
        for name, empty_ok in (("notified_at", False), ("restored_at", True)) + (
            (("pending_since", True), ("answered_at", True)) if optional else ()
        ):
            if name in col:
                j = col[name]
                parts[name].append(fastcsv.times(buf, st[:, j], en[:, j], allow_empty=empty_ok))
        del buf, st, en, body
    n = len(tickets)
    if n == 0 or "" in tickets:
        raise Fallback
    hashes = np.fromiter(map(hash, tickets), dtype=np.int64, count=n)
    hashes.sort()
    if (hashes[1:] == hashes[:-1]).any() and len(set(tickets)) != n:
        raise Fallback  # a duplicate ticket: the full reader names both lines

    def joined(name: str) -> np.ndarray:
        return np.concatenate(parts.pop(name))

    text = {}
    for c in text_cols:
        if c == "site" and "" in values[c]:
            raise Fallback
        table = np.empty(len(values[c]), dtype=object)
        table[:] = list(values[c])
        text[c] = table[np.concatenate(codes.pop(c))].tolist()
    cause = joined("cause")
    notified, restored = joined("notified_at"), joined("restored_at")
    if ((restored != NAT) & (restored < notified)).any():
        raise Fallback
    pending = answered = None
    if optional:
        pending = joined("pending_since")
        answered = joined("answered_at") if "answered_at" in col else np.full(n, NAT, dtype=np.int64)
        if ((pending != NAT) & (answered != NAT) & (answered < pending)).any():
            raise Fallback
    lines = np.arange(2, n + 2, dtype=np.int64)
    dep = text.get("departement")
    return Incidents(
        str(path), tickets, text["site"], notified, restored, cause, pending, answered, dep, lines
    )


def _read_incidents_full(path: str | Path) -> Incidents:
    """The full reader: every row as strings, every error worded (file, line, field, reason)."""
    f = str(path)
    header, cols, lines = _read_columns(path, ["ticket", "site", "notified_at", "restored_at", "cause"])
    ticket = cols["ticket"]
    site = cols["site"]
    for name, col in (("ticket", ticket), ("site", site)):
        if "" in col:
            i = col.index("")
            raise InputError("empty value", file=f, line=int(lines[i]), field=name)
    if len(set(ticket)) != len(ticket):
        seen: dict[str, int] = {}
        for i, t in enumerate(ticket):
            if t in seen:
                raise InputError(
                    f"duplicate ticket {t!r} (first on line {lines[seen[t]]})",
                    file=f,
                    line=int(lines[i]),
                    field="ticket",
                )
            seen[t] = i
    causes_raw = cols["cause"]
    try:
        cause = np.fromiter(map(CAUSE_CODE.__getitem__, causes_raw), dtype=np.int8, count=len(causes_raw))
    except KeyError:
        for i, c in enumerate(causes_raw):
            if c not in CAUSE_CODE:
                raise InputError(
                    f"unknown cause {c!r}; one of {', '.join(CAUSES)}",
                    file=f,
                    line=int(lines[i]),
                    field="cause",
                ) from None
        raise
    notified = parse_times(cols["notified_at"], file=f, field="notified_at", lines=lines)
    restored = parse_times(cols["restored_at"], file=f, field="restored_at", allow_empty=True, lines=lines)
    bad = (restored != NAT) & (restored < notified)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError("restored before notified", file=f, line=int(lines[i]), field="restored_at")
    pending = answered = None
    if "pending_since" in header:
        pending = parse_times(
            cols["pending_since"],
            file=f,
            field="pending_since",
            allow_empty=True,
            lines=lines,
        )
        answered = (
            parse_times(
                cols["answered_at"],
                file=f,
                field="answered_at",
                allow_empty=True,
                lines=lines,
            )
            if "answered_at" in header
            else np.full(len(ticket), NAT, dtype=np.int64)
        )
        bad = (pending != NAT) & (answered != NAT) & (answered < pending)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                "answered before the request was sent", file=f, line=int(lines[i]), field="answered_at"
            )
    dep = cols["departement"] if "departement" in header else None
    return Incidents(f, ticket, site, notified, restored, cause, pending, answered, dep, lines)


def incidents_from_rows(rows: Iterable[dict], file: str = "<incidents>") -> Incidents:
    """Build Incidents from dicts with the CSV column names (values as strings or datetimes)."""
    import io

    rows = list(rows)
    cols = [
        "ticket",
        "site",
        "notified_at",
        "restored_at",
        "cause",
        "pending_since",
        "answered_at",
        "departement",
    ]
    present = [c for c in cols if any(c in r for r in rows)] or cols[:5]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(present)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in present])
    return _read_incidents_text(buf.getvalue(), file)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v)


def _read_incidents_text(text: str, file: str) -> Incidents:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        inc = read_incidents(tmp)
        inc.file = file
        return inc
    finally:
        os.unlink(tmp)


@dataclass
class BillingRow:
    """One site-month of billing: recurring fees and usage charges (euros, Decimal)."""

    site: str
    month: Month
    recurring: Decimal
    usage: Decimal
    departement: str | None
    line: int


def _money(text: str, *, file: str, line: int, field: str) -> Decimal:
    try:
        v = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise InputError(f"not a number: {text!r}", file=file, line=line, field=field) from None
    if not v.is_finite():
        raise InputError(f"not a finite amount: {text!r}", file=file, line=line, field=field)
    if v < 0:
        raise InputError(f"negative amount {text!r}", file=file, line=line, field=field)
    if v >= _MAX_EUR:  # beyond any bill, and beyond Decimal's 28 digits once rounded to the cent
        raise InputError(f"amount too large: {text!r}", file=file, line=line, field=field)
    return v


def read_billing(path: str | Path) -> list[BillingRow]:
    """Read `site,month,recurring_fees,usage_charges[,departement]` (one row per site-month)."""
    f = str(path)
    header, cols, lines = _read_columns(path, ["site", "month", "recurring_fees", "usage_charges"])
    deps = cols.get("departement") or [""] * len(lines)
    months: dict[str, Month] = {}
    amounts: dict[tuple[str, str], Decimal] = {}  # the same amounts recur across a fleet: parse once
    out: list[BillingRow] = []
    seen: dict[tuple[str, int], int] = {}
    rows = zip(cols["site"], cols["month"], cols["recurring_fees"], cols["usage_charges"], deps, strict=True)
    for i, (site, month, rec_t, use_t, dep) in enumerate(rows):
        ln = int(lines[i])
        if not site:
            raise InputError("empty value", file=f, line=ln, field="site")
        mk = months.get(month)
        if mk is None:
            mk = months[month] = Month.parse(month, file=f, line=ln)
        if (site, mk) in seen:
            raise InputError(
                f"duplicate site-month {site} {mk.text} (first on line {seen[(site, mk)]})",
                file=f,
                line=ln,
                field="month",
            )
        seen[(site, mk)] = ln
        rec = amounts.get(("recurring_fees", rec_t))
        if rec is None:
            rec = amounts[("recurring_fees", rec_t)] = _money(rec_t, file=f, line=ln, field="recurring_fees")
        use = amounts.get(("usage_charges", use_t))
        if use is None:
            use = amounts[("usage_charges", use_t)] = _money(use_t, file=f, line=ln, field="usage_charges")
        out.append(BillingRow(site, mk, rec, use, dep or None, ln))
    return out


@dataclass
class InstallRow:
    """One ALLEO site install: handsets, indicative date, actual service start (000 §3, §5.2)."""

    site: str
    handsets: int
    indicative_date: date
    service_start: date
    customer_caused: bool
    line: int


def _date(text: str, *, file: str, line: int, field: str) -> date:
    s = text.strip()
    try:
        return datetime.fromisoformat(s).date()  # a date, or a full time ("2026-02-05T10:00"), no junk
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {text!r}", file=file, line=line, field=field) from None


def read_installs(path: str | Path) -> list[InstallRow]:
    """Read `site,handsets,indicative_date,service_start,customer_caused`."""
    f = str(path)
    cols = ["site", "handsets", "indicative_date", "service_start", "customer_caused"]
    header, body, lines = _read(path, cols)
    ix = {c: header.index(c) for c in cols}
    out = []
    for i, r in enumerate(body):
        ln = int(lines[i])
        site = r[ix["site"]].strip()
        if not site:
            raise InputError("empty value", file=f, line=ln, field="site")
        try:
            handsets = int(r[ix["handsets"]].strip())
        except ValueError:
            raise InputError(
                f"not an integer: {r[ix['handsets']]!r}", file=f, line=ln, field="handsets"
            ) from None
        if handsets < 0:
            raise InputError("negative number of handsets", file=f, line=ln, field="handsets")
        ind = _date(r[ix["indicative_date"]], file=f, line=ln, field="indicative_date")
        start_txt = r[ix["service_start"]].strip()
        if not start_txt:
            continue  # not in service yet: no service-start date, no credit to date
        start = _date(start_txt, file=f, line=ln, field="service_start")
        cc = r[ix["customer_caused"]].strip().lower()
        if cc not in _TRUE | _FALSE:
            raise InputError(f"expected true/false, got {cc!r}", file=f, line=ln, field="customer_caused")
        out.append(InstallRow(site, handsets, ind, start, cc in _TRUE, ln))
    return out


def subset(inc: Incidents, idx: np.ndarray) -> Incidents:
    """The incidents at positions `idx` (e.g. one site's, for `sla explain`)."""
    pick = [int(i) for i in idx]
    return Incidents(
        inc.file,
        [inc.ticket[i] for i in pick],
        [inc.site[i] for i in pick],
        inc.notified[idx],
        inc.restored[idx],
        inc.cause[idx],
        None if inc.pending_since is None else inc.pending_since[idx],
        None if inc.answered_at is None else inc.answered_at[idx],
        None if inc.departement is None else [inc.departement[i] for i in pick],
        inc.line[idx],
    )
