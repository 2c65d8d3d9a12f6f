"""Pre-sales capacity sizing: a contract's channel allowance against the channels the traffic needs.

One answer per user count: the billable users' allowance (004 §11.d), the offered busy-hour traffic,
the fewest channels meeting the grade of service (Erlang B), the blocking the allowance gives, and
whether it fits or how many channels a traffic pack must bring.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from contracts import traffic
from contracts.channels import (
    ChannelTerms,
    allowance,
    allowance_many,
    count_users,
    parse_devices,
    reduction_schedule,
    terms_from_section,
)
from contracts.choices import Rounding
from contracts.errors import InputError
from contracts.profile import load_profile
from contracts.tables import ColumnMap


@dataclass(frozen=True)
class ChannelContract:
    """A contract's channel terms and the provenance line of the profile they come from."""

    name: str
    terms: ChannelTerms
    provenance: str


def load_channel_contract(
    contract: str, overrides: Mapping[str, Any] | Sequence[str] = ()
) -> ChannelContract:
    """Load the channel terms of a contract profile (its `channels:` section and `channels_rounding`)."""
    profile = load_profile(contract, overrides)
    if not profile.channels or "tiers" not in profile.channels:
        raise InputError(
            f"contract {profile.name!r} has no channel allowance (a `channels:` section with tiers); "
            "the allowance rule is ALLOcloud's (004 §11.d)",
            field="--contract",
        )
    rounding = profile.choices.get("channels_rounding", Rounding.floor)
    terms = terms_from_section(profile.channels, rounding)
    return ChannelContract(profile.name, terms, profile.provenance())


def erlangs_per_user(
    erlangs: float | None = None, calls_per_hour: float | None = None, holding_s: float | None = None
) -> float:
    """Return busy-hour Erlangs per user from either E directly or calls/hour x mean holding seconds."""
    if erlangs is not None and (calls_per_hour is not None or holding_s is not None):
        raise InputError(
            "give either --erlangs-per-user or --busy-hour-calls-per-user with --mean-holding-s, not both",
            field="--erlangs-per-user",
        )
    if erlangs is not None:
        if not (math.isfinite(erlangs) and erlangs >= 0):
            raise InputError(f"must be a number >= 0, got {erlangs!r}", field="--erlangs-per-user")
        return float(erlangs)
    if calls_per_hour is None or holding_s is None:
        raise InputError(
            "give --erlangs-per-user, or both --busy-hour-calls-per-user and --mean-holding-s",
            field="--erlangs-per-user",
        )
    if not (math.isfinite(calls_per_hour) and calls_per_hour >= 0):
        raise InputError(f"must be a number >= 0, got {calls_per_hour!r}", field="--busy-hour-calls-per-user")
    if not (math.isfinite(holding_s) and holding_s > 0):
        raise InputError(f"must be a number > 0, got {holding_s!r}", field="--mean-holding-s")
    return traffic.offered_traffic(calls_per_hour, holding_s)


def _check_gos(gos: float) -> float:
    if not (0 < gos < 1):
        raise InputError(f"grade of service must lie strictly between 0 and 1, got {gos!r}", field="--gos")
    return float(gos)


def _channels_value(x: Fraction | float) -> int | float:
    """An allowance as printed: an int when whole (floor reading), else the exact quarter."""
    f = Fraction(x)
    return int(f) if f.denominator == 1 else float(f)


def _verdict(extra: int) -> str:
    return "fits" if extra == 0 else f"traffic pack: +{extra} channel{'s' if extra > 1 else ''}"


def size(users: int, e_per_user: float, gos: float, contract: ChannelContract) -> dict[str, Any]:
    """Return the sizing of one customer: allowance, offered traffic, channels needed, verdict.

    `verdict` is `fits` when the allowance carries the traffic at the grade of service, otherwise
    `traffic pack: +N channels` with N = `extra_channels` (the allowance does not apply under a traffic
    pack with its own channel limit, 004 §11.d).
    """
    gos = _check_gos(gos)
    allow = allowance(users, contract.terms)
    offered = users * e_per_user
    needed = traffic.channels_for_blocking(offered, gos)
    extra = max(0, math.ceil(needed - allow))
    return {
        "users": users,
        "allowance_channels": _channels_value(allow),
        "erlangs_per_user": e_per_user,
        "offered_erlangs": round(offered, 6),
        "gos": gos,
        "channels_needed": needed,
        "blocking_at_allowance": traffic.erlang_b(offered, float(allow)),
        "extra_channels": extra,
        "verdict": _verdict(extra),
        "channels_rounding": contract.terms.rounding.value,
    }


def size_table(
    first: int, last: int, e_per_user: float, gos: float, contract: ChannelContract
) -> list[dict[str, Any]]:
    """Return `size` for every user count first..last, vectorised (10,000 rows in milliseconds)."""
    gos = _check_gos(gos)
    if first < 0 or last < first:
        raise InputError(f"bad user range {first}..{last}: need 0 <= first <= last", field="--users")
    n = np.arange(first, last + 1, dtype=np.int64)
    allow = allowance_many(n, contract.terms)
    offered = n * e_per_user
    needed = traffic.channels_for_blocking_many(offered, gos)
    blocking = traffic.erlang_b_many(offered, allow)
    extra = np.maximum(0, np.ceil(needed - allow)).astype(np.int64)
    rows = []
    for i, u in enumerate(n.tolist()):
        ex = int(extra[i])
        rows.append(
            {
                "users": u,
                "allowance_channels": _channels_value(float(allow[i])),
                "offered_erlangs": round(float(offered[i]), 6),
                "channels_needed": int(needed[i]),
                "blocking_at_allowance": float(blocking[i]),
                "extra_channels": ex,
                "verdict": _verdict(ex),
            }
        )
    return rows


def size_devices(
    devices_text: str,
    source: str,
    e_per_user: float,
    gos: float,
    contract: ChannelContract,
    columns: ColumnMap | None = None,
) -> dict[str, Any]:
    """Return `size` for the billable users counted from a devices CSV, with the counting breakdown."""
    count = count_users(parse_devices(devices_text, source, columns), source)
    result = size(count.billable, e_per_user, gos, contract)
    result["counting"] = {
        "persons": count.persons,
        "common_room_phones": count.common_room_phones,
        "no_user_devices": count.no_user_devices,
        "users_room_phones": count.users_room_phones,
        "no_service_users": count.no_service_users,
        "by_kind": count.by_kind,
        "clause": contract.terms.clause,
    }
    return result


def reduction_plan(users: int, target: int, contract: ChannelContract) -> list[dict[str, Any]]:
    """Return the quarters to go from `users` down to `target` billable users, with the allowance of each.

    Quarter 0 is the starting point; at most 10 % of the users may go per quarter (003 §2, 004 §11.d).
    """
    counts = [users, *reduction_schedule(users, target, contract.terms)]
    return [
        {"quarter": q, "users": n, "allowance_channels": _channels_value(allowance(n, contract.terms))}
        for q, n in enumerate(counts)
    ]


def pbx_channel_limit(users: int, contract: ChannelContract) -> int:
    """Return the whole number of concurrent calls a PBX enforces for `users` (the allowance, floored:
    a switch counts whole calls, so `channels_rounding: exact` 9.75 is enforced as 9)."""
    return math.floor(allowance(users, contract.terms))
