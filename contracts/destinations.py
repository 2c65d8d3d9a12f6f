"""Destination classes of a call, and the included international destinations as prefix tables
(001 §7, 002 §7.1), built once from `phonenumbers` metadata so that no call is parsed one by one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from contracts.errors import InputError


class Included(Protocol):
    """A listed international destination: a region (ISO code) and the number types included."""

    region: str
    types: list[str]


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


def table_for(included: Iterable[Included]) -> PrefixTable:
    """The prefix table of a list of included destinations (shared by every list naming the same ones)."""
    key: dict[str, set[str]] = {}
    for d in included:
        key.setdefault(d.region.upper(), set()).update(d.types)
    return prefix_table(tuple(sorted((r, tuple(sorted(t))) for r, t in key.items())))
