"""Readers of the SLA engine's tables: incident tickets, billing and installs (through contracts/tables.py).

Every bad row gives an InputError naming the file, line and field. Times are read by contracts/instants.py
(Paris wall clock without an offset, CONTRACTS §13) and become int64 epoch seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from contracts.choices import CAUSES
from contracts.errors import InputError
from contracts.instants import NAT, NotPlain, parse_date, parse_times, plain_times
from contracts.month import Month
from contracts.tables import Batch, ColumnMap, codes, open_table, read_all

_MAX_EUR = Decimal("1e12")
CAUSE_CODE = {c: i for i, c in enumerate(CAUSES)}
_TRUE = {"1", "true", "yes", "y", "oui", "t"}
_FALSE = {"0", "false", "no", "n", "non", "f", ""}


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
    # Optional columns (None when the file has no such column), for 001 §4 / 002 §4:
    provider_detected: np.ndarray | None = None  # bool: caught by the provider's supervision
    diagnosed_at: np.ndarray | None = None  # epoch s, NAT = none: « constatation » of the equipment failure
    replaced_at: np.ndarray | None = None  # epoch s, NAT = nothing replaced
    under_warranty: np.ndarray | None = None  # int8: 1 under warranty, 0 not, -1 unknown

    def __len__(self) -> int:
        return len(self.ticket)


INCIDENT_COLUMNS = ("ticket", "site", "notified_at", "restored_at", "cause")
INCIDENT_OPTIONAL = (
    "pending_since",
    "answered_at",
    "departement",
    "detected_by",
    "diagnosed_at",
    "replaced_at",
    "under_warranty",
)
DETECTED_BY = ("customer", "provider", "")  # read case-blind; empty = customer
_WARRANTY = {**{t: 1 for t in _TRUE}, **{f: 0 for f in _FALSE}, "": -1}
_WARRANTY_WORDS = tuple(_WARRANTY)
_WARRANTY_CODES = np.array([_WARRANTY[w] for w in _WARRANTY_WORDS], dtype=np.int8)


def _times(b: Batch, name: str, *, file: str, allow_empty: bool) -> np.ndarray:
    """A time column of a batch: column-wise on its bytes when plain, else value by value (located)."""
    c = b.cells[name]
    if c.raw is not None:
        try:
            return plain_times(*c.raw, allow_empty=allow_empty)
        except NotPlain:
            pass
    return parse_times(c.values, file=file, field=name, allow_empty=allow_empty, lines=b.lines)


def _first_empty(values: list[str], b: Batch, *, file: str, field: str) -> None:
    if "" in values:
        raise InputError("empty value", file=file, line=int(b.lines[values.index("")]), field=field)


def _duplicate(tickets: list[str], lines: np.ndarray, *, file: str) -> None:
    """Refuse a repeated ticket, naming both lines (hashes sorted first: a dict only when one repeats)."""
    n = len(tickets)
    hashes = np.fromiter(map(hash, tickets), dtype=np.int64, count=n)
    hashes.sort()
    if not (hashes[1:] == hashes[:-1]).any():
        return
    seen: dict[str, int] = {}
    for i, t in enumerate(tickets):
        if t in seen:
            raise InputError(
                f"duplicate ticket {t!r} (first on line {lines[seen[t]]})",
                file=file,
                line=int(lines[i]),
                field="ticket",
            )
        seen[t] = i


class _FirstError:
    """The error the reader reports: of the first check that fails, its first row in the file, whatever the
    blocks (checks run block by block; a check already failed is not run again)."""

    def __init__(self) -> None:
        self.found: dict[int, InputError] = {}

    def run(self, rank: int, check, *args, **kw):
        if self.found and min(self.found) <= rank:
            return None
        try:
            return check(*args, **kw)
        except InputError as exc:
            self.found[rank] = exc
            return None

    def raise_first(self) -> None:
        if self.found:
            raise self.found[min(self.found)]


def _cause_codes(b: Batch, *, file: str) -> np.ndarray:
    """Causes read without regard to case (`Network` is `network`); any other unknown value is located."""
    fast = codes(b.cells["cause"], CAUSES, fold_case=True)
    if fast is not None:
        return fast
    raw = b.values("cause")
    try:
        return np.fromiter(map(_cause_code, raw), dtype=np.int8, count=len(raw))
    except KeyError:
        i = next(i for i, c in enumerate(raw) if c.lower() not in CAUSE_CODE)
        raise InputError(
            f"unknown cause {raw[i]!r}; one of {', '.join(CAUSES)}",
            file=file,
            line=int(b.lines[i]),
            field="cause",
        ) from None


def _cause_code(text: str) -> int:
    code = CAUSE_CODE.get(text)
    return CAUSE_CODE[text.lower()] if code is None else code


def _words(b: Batch, name: str, words: tuple[str, ...], *, file: str, expected: str) -> np.ndarray:
    """Index in `words` (lower case) of each cell, case-blind: on the bytes when plain, else by value."""
    fast = codes(b.cells[name], words, fold_case=True)
    if fast is not None:
        return fast
    index = {w: i for i, w in enumerate(words)}
    raw = b.values(name)
    out = np.fromiter((index.get(v.lower(), -1) for v in raw), dtype=np.int8, count=len(raw))
    if (out < 0).any():
        i = int(np.flatnonzero(out < 0)[0])
        raise InputError(f"expected {expected}, got {raw[i]!r}", file=file, line=int(b.lines[i]), field=name)
    return out


def _detected(b: Batch, *, file: str) -> np.ndarray:
    code = _words(b, "detected_by", DETECTED_BY, file=file, expected="customer or provider (or empty)")
    return code == 1


def _warranty(b: Batch, *, file: str) -> np.ndarray:
    code = _words(b, "under_warranty", _WARRANTY_WORDS, file=file, expected="true, false or empty")
    return _WARRANTY_CODES[code]


def _order(first: np.ndarray, then: np.ndarray, b: Batch, *, file: str, field: str, reason: str) -> None:
    bad = (then != NAT) & (first != NAT) & (then < first)
    if bad.any():
        raise InputError(reason, file=file, line=int(b.lines[int(np.flatnonzero(bad)[0])]), field=field)


def read_incidents(path: str | Path, columns: ColumnMap | None = None) -> Incidents:
    """Read `ticket,site,notified_at,restored_at,cause[,pending_since,answered_at,departement,…]`.

    Block by block: the text columns interned (one string per distinct site), the rest as arrays, so a
    file of millions of rows stays well under its size in memory."""
    f = str(path)
    err = _FirstError()
    with open_table(
        path, INCIDENT_COLUMNS, optional=INCIDENT_OPTIONAL, name="incidents", columns=columns
    ) as t:
        optional, answered_col, dep_col = t.has("pending_since"), t.has("answered_at"), t.has("departement")
        new_cols = [c for c in ("detected_by", "diagnosed_at", "replaced_at", "under_warranty") if t.has(c)]
        tickets: list[str] = []
        sites: list[str] = []
        deps: list[str] = []
        interned: dict[str, str] = {}
        parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("cause", "n", "r", "p", "a", "line", *INCIDENT_OPTIONAL[3:])
        }
        for b in t.batches([*INCIDENT_COLUMNS, *INCIDENT_OPTIONAL]):
            tk, st = b.values("ticket"), b.values("site")
            err.run(1, _first_empty, tk, b, file=f, field="ticket")
            err.run(2, _first_empty, st, b, file=f, field="site")
            # rank 3: a duplicate ticket, checked over the whole file below
            cause = err.run(4, _cause_codes, b, file=f)
            notified = err.run(5, _times, b, "notified_at", file=f, allow_empty=False)
            restored = err.run(6, _times, b, "restored_at", file=f, allow_empty=True)
            if notified is not None and restored is not None:
                err.run(
                    7,
                    _order,
                    notified,
                    restored,
                    b,
                    file=f,
                    field="restored_at",
                    reason="restored before notified",
                )
            if optional:
                pending = err.run(8, _times, b, "pending_since", file=f, allow_empty=True)
                answered = (
                    err.run(9, _times, b, "answered_at", file=f, allow_empty=True)
                    if answered_col
                    else np.full(len(b), NAT, dtype=np.int64)
                )
                if pending is not None and answered is not None:
                    err.run(
                        10,
                        _order,
                        pending,
                        answered,
                        b,
                        file=f,
                        field="answered_at",
                        reason="answered before the request was sent",
                    )
                parts["p"].append(pending)
                parts["a"].append(answered)
            _optional_columns(err, b, new_cols, notified, parts, file=f)
            tickets.extend(tk)
            sites.extend(map(interned.setdefault, st, st))  # one string per distinct site
            if dep_col:
                dv = b.values("departement")
                deps.extend(map(interned.setdefault, dv, dv))
            parts["cause"].append(cause)
            parts["n"].append(notified)
            parts["r"].append(restored)
            parts["line"].append(b.lines)
    lines = np.concatenate(parts["line"]) if parts["line"] else np.zeros(0, dtype=np.int64)
    if len(tickets) > 1:
        err.run(3, _duplicate, tickets, lines, file=f)
    err.raise_first()

    def joined(key: str, dtype: type) -> np.ndarray:
        return np.concatenate(parts[key]) if parts[key] else np.zeros(0, dtype=dtype)

    dtypes = {
        "detected_by": bool,
        "diagnosed_at": np.int64,
        "replaced_at": np.int64,
        "under_warranty": np.int8,
    }
    extra = {c: joined(c, dtypes[c]) if c in new_cols else None for c in dtypes}
    return Incidents(
        f,
        tickets,
        sites,
        joined("n", np.int64),
        joined("r", np.int64),
        joined("cause", np.int8),
        joined("p", np.int64) if optional else None,
        joined("a", np.int64) if optional else None,
        deps if dep_col else None,
        lines,
        provider_detected=extra["detected_by"],
        diagnosed_at=extra["diagnosed_at"],
        replaced_at=extra["replaced_at"],
        under_warranty=extra["under_warranty"],
    )


def _optional_columns(err: _FirstError, b: Batch, cols: list[str], notified, parts, *, file: str) -> None:
    """`detected_by`, `diagnosed_at`, `replaced_at`, `under_warranty` of a batch, checked in that order."""
    diagnosed = None
    if "detected_by" in cols:
        parts["detected_by"].append(err.run(11, _detected, b, file=file))
    if "diagnosed_at" in cols:
        diagnosed = err.run(12, _times, b, "diagnosed_at", file=file, allow_empty=True)
        if diagnosed is not None and notified is not None:
            reason = "diagnosed before notified"
            err.run(13, _order, notified, diagnosed, b, file=file, field="diagnosed_at", reason=reason)
        parts["diagnosed_at"].append(diagnosed)
    if "replaced_at" in cols:
        replaced = err.run(14, _times, b, "replaced_at", file=file, allow_empty=True)
        for rank, first, what in ((15, notified, "notified"), (16, diagnosed, "diagnosed")):
            if replaced is not None and first is not None:
                reason = f"replaced before {what}"
                err.run(rank, _order, first, replaced, b, file=file, field="replaced_at", reason=reason)
        parts["replaced_at"].append(replaced)
    if "under_warranty" in cols:
        parts["under_warranty"].append(err.run(17, _warranty, b, file=file))


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


BILLING_COLUMNS = ("site", "month", "recurring_fees", "usage_charges")


def read_billing(path: str | Path, columns: ColumnMap | None = None) -> list[BillingRow]:
    """Read `site,month,recurring_fees,usage_charges[,departement]` (one row per site-month)."""
    f = str(path)
    with open_table(path, BILLING_COLUMNS, optional=("departement",), name="billing", columns=columns) as t:
        cols, lines = read_all(t, [*BILLING_COLUMNS, "departement"])
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
    try:
        return parse_date(text)  # a date, or a full time ("2026-02-05T10:00"), ISO or day first; no junk
    except ValueError:
        raise InputError(f"not a date (YYYY-MM-DD): {text!r}", file=file, line=line, field=field) from None


INSTALL_COLUMNS = ("site", "handsets", "indicative_date", "service_start", "customer_caused")


def read_installs(path: str | Path, columns: ColumnMap | None = None) -> list[InstallRow]:
    """Read `site,handsets,indicative_date,service_start,customer_caused`."""
    f = str(path)
    out = []
    with open_table(path, INSTALL_COLUMNS, name="installs", columns=columns) as t:
        for ln, r in t.rows(INSTALL_COLUMNS):
            site = r["site"]
            if not site:
                raise InputError("empty value", file=f, line=ln, field="site")
            try:
                handsets = int(r["handsets"])
            except ValueError:
                raise InputError(
                    f"not an integer: {r['handsets']!r}", file=f, line=ln, field="handsets"
                ) from None
            if handsets < 0:
                raise InputError("negative number of handsets", file=f, line=ln, field="handsets")
            ind = _date(r["indicative_date"], file=f, line=ln, field="indicative_date")
            start_txt = r["service_start"]
            if not start_txt:
                continue  # not in service yet: no service-start date, no credit to date
            start = _date(start_txt, file=f, line=ln, field="service_start")
            cc = r["customer_caused"].lower()
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
        provider_detected=None if inc.provider_detected is None else inc.provider_detected[idx],
        diagnosed_at=None if inc.diagnosed_at is None else inc.diagnosed_at[idx],
        replaced_at=None if inc.replaced_at is None else inc.replaced_at[idx],
        under_warranty=None if inc.under_warranty is None else inc.under_warranty[idx],
    )
