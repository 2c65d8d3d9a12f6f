"""Objectives without penalty, checked on real tickets: restoration time and equipment replacement time.

One function, `check_objectives`, for `sla compute`, `sla explain` and the simulation: per incident, in
file order, met / missed with the measured time and the clause. Restoration: 000 §5.4 (4 business
hours), 001 §4 (`restoration_objective_hours`, on the SLA clock), 002 §4 (4 h). Replacement: 001 §4
(`equipment_replacement_hours`: 96 h, 48 h or `warranty_split`), 002 §4 (72 h), wall-clock hours from
the diagnosis (« constatation ») to the replacement. What the file cannot tell is `not_measurable`,
never a guess. Numpy over the incidents: a million tickets cost a few array passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from contracts.month import Month
from contracts.profile import Profile
from contracts.records import NAT, Incidents
from contracts.sla import deemed_restoration

STATUSES = ("not_applicable", "met", "missed", "open", "not_measurable")  # the int8 codes, in order
_NA, _MET, _MISSED, _OPEN, _NM = range(len(STATUSES))
_WORDS = np.array(STATUSES, dtype=object)
_NO_OBJECTIVE = "no objective in the profile"


@dataclass
class ObjectiveResults:
    """Per incident (file order) for each objective: status, measured time, target; clock and clause."""

    restoration_status: np.ndarray  # object: met / missed / open / not_applicable
    restoration_minutes: np.ndarray  # float, NaN when not measured
    restoration_target_minutes: np.ndarray  # float, NaN without an objective
    restoration_clock: str  # business / wallclock ("" without an objective)
    restoration_clause: str
    replacement_status: np.ndarray  # object: met / missed / not_measurable / not_applicable
    replacement_hours: np.ndarray  # float, NaN when not measured
    replacement_target_hours: np.ndarray  # float, NaN when there is no target for the incident
    replacement_clause: str
    restoration_code: np.ndarray = field(repr=False, default=None)  # int8 index into STATUSES
    replacement_code: np.ndarray = field(repr=False, default=None)

    def __len__(self) -> int:
        return len(self.restoration_status)

    def incidents(self, positions: np.ndarray) -> list[dict[str, Any]]:
        """The JSON fields of the incidents at `positions` (`sla compute --format json`); NaN → None."""
        cols = [
            ("restoration_objective", self.restoration_status),
            ("restoration_objective_minutes", self.restoration_minutes),
            ("restoration_target_minutes", self.restoration_target_minutes),
            ("replacement_objective", self.replacement_status),
            ("replacement_hours", self.replacement_hours),
            ("replacement_target_hours", self.replacement_target_hours),
        ]
        names = [k for k, _ in cols]
        values = [_none_for_nan(a[positions].tolist()) for _, a in cols]
        return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]

    def applicable(self, positions: np.ndarray) -> np.ndarray:
        """The positions among `positions` where at least one objective applies (an excluded cause with
        nothing replaced has none: the JSON lists it nowhere, as the counts count it nowhere)."""
        keep = (self.restoration_code[positions] != _NA) | (self.replacement_code[positions] != _NA)
        return positions[keep]

    def incident(self, i: int) -> dict[str, Any]:
        """The JSON fields of incident `i`."""
        return self.incidents(np.array([i]))[0]

    def terms(self) -> dict[str, Any]:
        """The clock and clauses, the same for every incident of the profile (once per statement row)."""
        return {
            "restoration_clock": self.restoration_clock or None,
            "restoration_clause": self.restoration_clause,
            "replacement_clause": self.replacement_clause,
        }


def _none_for_nan(values: list) -> list:
    return [None if x != x else x for x in values]  # NaN is the only value unequal to itself


def _alsace(profile: Profile, incidents: Incidents) -> np.ndarray:
    """Per incident: whether its département gets the Alsace-Moselle holidays (one test per value)."""
    if incidents.departement is None:
        return np.full(len(incidents), profile.is_alsace_moselle(None), dtype=bool)
    flag = {d: profile.is_alsace_moselle(d) for d in set(incidents.departement)}
    return np.fromiter(map(flag.__getitem__, incidents.departement), dtype=bool, count=len(incidents))


def check_objectives(
    profile: Profile, incidents: Incidents, effective_end: np.ndarray | None = None
) -> ObjectiveResults:
    """Check every incident against the profile's restoration and replacement objectives.

    `effective_end`: the engine's restoration per incident (`SlaResult.effective_end`, the 002 §4
    48-hour rule applied); without it the same rule is applied here. A ticket without `restored_at` is
    open unless the 48-hour rule resolved it: never measured up to an `--as-of`."""
    terms = profile.sla_terms()
    n = len(incidents)
    restored = deemed_restoration(terms, incidents)
    if effective_end is not None:
        restored = np.where(incidents.restored == NAT, restored, effective_end)
    r_code, r_min, r_target, r_clock, r_clause = _restoration(profile, incidents, restored)
    p_code, p_hours, p_target, p_clause = _replacement(profile, incidents)
    assert len(r_code) == len(p_code) == n
    return ObjectiveResults(
        _WORDS[r_code],
        r_min,
        r_target,
        r_clock,
        r_clause,
        _WORDS[p_code],
        p_hours,
        p_target,
        p_clause,
        r_code,
        p_code,
    )


def _restoration(profile: Profile, inc: Incidents, restored: np.ndarray):
    """000 §5.4, 001 §4, 002 §4: time from the notification to the restoration on the objective's clock."""
    n = len(inc)
    terms = profile.sla_terms()
    obj = terms.objectives.restoration
    status = np.full(n, _NA, dtype=np.int8)
    minutes = np.full(n, np.nan)
    target = np.full(n, np.nan)
    if obj is None:
        return status, minutes, target, "", _NO_OBJECTIVE
    # a cause that does not count (maintenance, a move's announced window, …) is no failure to restore
    counted = np.array(terms.counted_mask, dtype=bool)[inc.cause]
    done = counted & (restored != NAT)
    status[counted & ~done] = _OPEN
    target[counted] = obj.minutes
    idx = np.flatnonzero(done)
    a, b = inc.notified[idx], restored[idx]
    secs = (b - a).astype(np.float64)
    if obj.clock == "business":
        alsace = _alsace(profile, inc)[idx]
        for v in (False, True):
            sel = alsace == v
            if sel.any():
                cal = profile.calendar("57" if v else None)
                secs[sel] = cal.business_seconds_array(a[sel], b[sel])
    minutes[idx] = secs / 60
    status[idx] = np.where(secs <= obj.minutes * 60, _MET, _MISSED)
    return status, minutes, target, obj.clock, obj.clause


def _replacement(profile: Profile, inc: Incidents):
    """001 §4, 002 §4: wall-clock hours from the diagnosis to the replacement against the target."""
    n = len(inc)
    obj = profile.sla_terms().objectives.replacement
    status = np.full(n, _NA, dtype=np.int8)
    hours = np.full(n, np.nan)
    target = np.full(n, np.nan)
    if obj is None:
        return status, hours, target, _NO_OBJECTIVE
    if inc.replaced_at is None:
        status[:] = _NM  # the file does not say what was replaced
        return status, hours, target, obj.clause
    replaced = inc.replaced_at != NAT  # empty replaced_at in a file that has the column: nothing replaced
    diagnosed = np.full(n, NAT, dtype=np.int64) if inc.diagnosed_at is None else inc.diagnosed_at
    measured = replaced & (diagnosed != NAT)  # the clock starts at the diagnosis (« constatation »)
    idx = np.flatnonzero(measured)
    hours[idx] = (inc.replaced_at[idx] - diagnosed[idx]) / 3600
    if inc.under_warranty is None:
        warranty = np.full(n, -1, dtype=np.int8)
    else:
        warranty = inc.under_warranty
    if obj.needs_warranty:
        other = np.nan if obj.otherwise_hours is None else obj.otherwise_hours
        target[:] = np.where(warranty == 1, obj.under_warranty_hours, np.where(warranty == 0, other, np.nan))
    else:
        target[:] = obj.under_warranty_hours
    status[replaced] = _NM  # until a diagnosis time and a target are known
    out_of_scope = replaced & (warranty == 0) & (obj.otherwise_hours is None)  # 002 §4 under warranty only
    status[out_of_scope] = _NA
    ok = measured & ~np.isnan(target)
    status[ok] = np.where(hours[ok] <= target[ok], _MET, _MISSED)
    return status, hours, target, obj.clause


_COUNTED = (_MET, _MISSED, _OPEN, _NM)


def _notified_months(incidents: Incidents) -> tuple[Month, np.ndarray, int]:
    """The first month, each incident's month of notification as an offset from it, the months spanned."""
    lo = Month.at(int(incidents.notified.min()))
    hi = Month.at(int(incidents.notified.max()))
    starts = np.array([Month(k).first_instant for k in lo.through(hi.shift(1))], dtype=np.int64)
    return lo, np.searchsorted(starts, incidents.notified, side="right") - 1, len(starts)


def _site_month_keys(incidents: Incidents) -> tuple[np.ndarray, list[str], Month, int]:
    """Each incident's (site, month of notification) as one integer `site * months + month`, with the
    site names, the first month and the number of months that decode it."""
    index = {s: i for i, s in enumerate(dict.fromkeys(incidents.site))}
    site_idx = np.fromiter(map(index.__getitem__, incidents.site), dtype=np.int64, count=len(incidents))
    lo, mi, n_m = _notified_months(incidents)
    return site_idx * n_m + mi, list(index), lo, n_m


def objectives_by_site_month(
    incidents: Incidents, results: ObjectiveResults
) -> dict[tuple[str, Month], dict[str, int]]:
    """Counts per (site, month of the notification): restoration met / missed / open and replacement
    met / missed / not measurable (only the keys with a count appear: `restoration_met`, …)."""
    if len(incidents) == 0:
        return {}
    key, site_names, lo, n_m = _site_month_keys(incidents)
    out: dict[tuple[str, Month], dict[str, int]] = {}
    for name, code in (("restoration", results.restoration_code), ("replacement", results.replacement_code)):
        for c in _COUNTED:
            sel = code == c
            if not sel.any():
                continue
            uk, cnt = np.unique(key[sel], return_counts=True)
            for k, count in zip(uk.tolist(), cnt.tolist(), strict=True):
                cell = out.setdefault((site_names[k // n_m], Month(lo + k % n_m)), {})
                cell[f"{name}_{STATUSES[c]}"] = count
    return out


COUNT_KEYS = tuple(
    f"{name}_{STATUSES[c]}"
    for name in ("restoration", "replacement")
    for c in _COUNTED
    if (name, c) != ("replacement", _OPEN)
)  # the flat count fields of a statement row (a replacement is never `open`)


def short_text(counts: dict[str, int]) -> str:
    """A site-month's counts in a table cell: `R 2/3 +1 open; E 1/1 1 n/m` (met / measured)."""
    parts = []
    for key, tag in (("restoration", "R"), ("replacement", "E")):
        met, missed = counts.get(f"{key}_met", 0), counts.get(f"{key}_missed", 0)
        opened, nm = counts.get(f"{key}_open", 0), counts.get(f"{key}_not_measurable", 0)
        if met + missed + opened + nm == 0:
            continue
        text = f"{tag} {met}/{met + missed}"
        text += f" +{opened} open" if opened else ""
        text += f" {nm} n/m" if nm else ""
        parts.append(text)
    return "; ".join(parts)


def incidents_by_site_month(incidents: Incidents) -> dict[tuple[str, Month], np.ndarray]:
    """The positions of each site-month's incidents (month of the notification), in file order."""
    if len(incidents) == 0:
        return {}
    key, site_names, lo, n_m = _site_month_keys(incidents)
    order = np.argsort(key, kind="stable")
    uk, first = np.unique(key[order], return_index=True)
    groups = np.split(order, first[1:])
    return {(site_names[k // n_m], Month(lo + k % n_m)): g for k, g in zip(uk.tolist(), groups, strict=True)}
