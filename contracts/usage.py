"""Fair-use audit of "unlimited" plans over call records (ALLSET 001 §7, ProgetCom 002 §7).

Per user and calendar month it flags: more than 150 distinct numbers called, calls through a gateway/PBX
or a "mobility" SIP login, call-centre-like patterns; it counts calls outside the included destinations,
and computes the retroactive per-minute billing of national fixed calls and (ProgetCom) the 400 % penalty.

Call records are read block by block by contracts/calls.py; destinations are classified with the prefix
tables of contracts/destinations.py; here: the rules (the profile's `fair_use:` section) and the audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.calls import COLUMNS, Columns, Users, read_cdrs
from contracts.choices import CallDevice, Dest
from contracts.destinations import PrefixTable, table_for
from contracts.errors import InputError
from contracts.money import money
from contracts.month import Month
from contracts.profile import Profile
from contracts.tables import ColumnMap

__all__ = ["COLUMNS", "Audit", "FairUseRules", "audit", "fair_use_rules"]


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
    columns: ColumnMap | None = None,
    rates: dict[str, str] | None = None,
    every_month: bool = False,
    chunk_bytes: int = 4 << 20,
    progress: Any = None,
) -> Audit:
    """Audit the call records of `cdrs` against the fair-use rules of `profile` (001 §7 / 002 §7)."""
    rules = fair_use_rules(profile, rates)
    table = table_for(rules.international)
    users = Users()
    acc = _Acc()
    records = 0
    for cols in read_cdrs(cdrs, users, chunk_bytes, columns):
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
    users: Users,
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
