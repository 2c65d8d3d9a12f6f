"""ALLOcloud channel allowance (concurrent calls) and the rules that count billable users (004 §11.d).

The allowance is read as marginal tiers: users 1-2 bring 2 channels each, users 3-5 one, users 6-10
a half, every user beyond 10 a quarter. The flat reading ("3 users = 1 channel/user = 3 channels")
would give 3 users fewer channels than 2, which cannot be meant (CONTRACTS.md §9). The tiers are data:
`DEFAULT_TIERS` here, overridden by the `channels:` section of the contract profile.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from numpy.typing import ArrayLike, NDArray

from contracts.choices import Counting, DeviceKind, Rounding
from contracts.errors import InputError
from contracts.tables import ColumnMap, open_table

CLAUSE = "004 §11.d"


@dataclass(frozen=True)
class Tier:
    """Channels each user brings while the user count lies in [first_user, last_user] (None = no end)."""

    first_user: int
    last_user: int | None
    per_user: Fraction


DEFAULT_TIERS: tuple[Tier, ...] = (  # 004 §11.d
    Tier(1, 2, Fraction(2)),
    Tier(3, 5, Fraction(1)),
    Tier(6, 10, Fraction(1, 2)),
    Tier(11, None, Fraction(1, 4)),
)
DEFAULT_MAX_QUARTERLY_REDUCTION = Fraction(1, 10)  # 003 §2, 004 §11.d


@dataclass(frozen=True)
class ChannelTerms:
    """The channel rules of one contract: tiers, rounding choice, the quarterly reduction limit."""

    tiers: tuple[Tier, ...] = DEFAULT_TIERS
    rounding: Rounding = Rounding.floor
    max_quarterly_reduction: Fraction = DEFAULT_MAX_QUARTERLY_REDUCTION
    clause: str = CLAUSE


def _fraction(value: object, where: str) -> Fraction:
    try:
        return Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise InputError(f"not a number: {value!r}", field=where) from None


def terms_from_section(
    section: Mapping[str, object], rounding: str | Rounding = Rounding.floor
) -> ChannelTerms:
    """Build `ChannelTerms` from a profile's `channels:` mapping (tiers contiguous from user 1, last open).

    Expected keys: `tiers: [{from, to, per_user}]` (to: null on the last), optional
    `max_quarterly_reduction`, `clause`.
    """
    raw = section.get("tiers")
    if not isinstance(raw, list) or not raw:
        raise InputError("must be a non-empty list of {from, to, per_user}", field="channels.tiers")
    tiers: list[Tier] = []
    expect = 1
    for i, item in enumerate(raw):
        where = f"channels.tiers[{i}]"
        if not isinstance(item, Mapping) or not {"from", "per_user"} <= set(item):
            raise InputError("needs keys from, to, per_user", field=where)
        first, last = item["from"], item.get("to")
        if first != expect:
            raise InputError(f"tiers must be contiguous: expected from={expect}, got {first!r}", field=where)
        if last is not None and (not isinstance(last, int) or last < first):
            raise InputError(f"to must be an integer >= from, or null, got {last!r}", field=where)
        if last is None and i != len(raw) - 1:
            raise InputError("only the last tier may be open (to: null)", field=where)
        per_user = _fraction(item["per_user"], f"{where}.per_user")
        if per_user < 0:
            raise InputError("per_user must be >= 0", field=f"{where}.per_user")
        tiers.append(Tier(int(first), last, per_user))
        expect = (last or 0) + 1
    if tiers[-1].last_user is not None:
        raise InputError("the last tier must be open (to: null)", field="channels.tiers")
    reduction = _fraction(
        section.get("max_quarterly_reduction", DEFAULT_MAX_QUARTERLY_REDUCTION),
        "channels.max_quarterly_reduction",
    )
    if not 0 <= reduction <= 1:
        raise InputError("must lie in [0, 1]", field="channels.max_quarterly_reduction")
    try:
        rnd = Rounding(str(rounding))
    except ValueError:
        raise InputError(f"must be floor or exact, got {rounding!r}", field="channels_rounding") from None
    return ChannelTerms(tuple(tiers), rnd, reduction, str(section.get("clause", CLAUSE)))


def _check_users(users: int) -> int:
    if isinstance(users, bool) or not isinstance(users, int | np.integer) or users < 0:
        raise InputError(f"the number of users must be an integer >= 0, got {users!r}", field="users")
    return int(users)


def exact_allowance(users: int, tiers: Sequence[Tier] = DEFAULT_TIERS) -> Fraction:
    """Return the formula's channels for `users` billable users, summed over the marginal tiers.

    0 users -> 0 channels; 1 -> 2, 3 -> 5, 6 -> 7.5, 11 -> 9.75, 100 -> 32 (004 §11.d).
    """
    n = _check_users(users)
    total = Fraction(0)
    for t in tiers:
        top = n if t.last_user is None else min(n, t.last_user)
        if top >= t.first_user:
            total += (top - t.first_user + 1) * t.per_user
    return total


def allowance(users: int, terms: ChannelTerms = ChannelTerms()) -> Fraction:
    """Return the usable channels: the exact allowance, floored unless `channels_rounding: exact`."""
    value = exact_allowance(users, terms.tiers)
    if terms.rounding is Rounding.floor:  # 004 §11.d [choice] channels_rounding
        return Fraction(math.floor(value))
    return value


def allowance_many(users: ArrayLike, terms: ChannelTerms = ChannelTerms()) -> NDArray[np.float64]:
    """Return `allowance` for an array of user counts (float; quarters are exact in binary)."""
    n = np.asarray(users, dtype=np.int64)
    if (n < 0).any():
        raise InputError("the number of users must be >= 0", field="users")
    total = np.zeros(n.shape, dtype=np.float64)
    for t in terms.tiers:
        top = n if t.last_user is None else np.minimum(n, t.last_user)
        total += np.clip(top - t.first_user + 1, 0, None) * float(t.per_user)
    return np.floor(total) if terms.rounding is Rounding.floor else total


# --- quarterly reduction --------------------------------------------------------------------------


def min_users_after_quarter(users: int, terms: ChannelTerms = ChannelTerms()) -> int:
    """Return the fewest billable users a quarter may end with, starting it with `users`.

    A reduction of at most 10 % per quarter, in whole users: floor(10 % of n) may go, so an account
    under 10 users cannot shrink at all under the letter of the text (003 §2, 004 §11.d).
    """
    n = _check_users(users)
    return n - math.floor(n * terms.max_quarterly_reduction)


def reduction_schedule(users: int, target: int, terms: ChannelTerms = ChannelTerms()) -> list[int]:
    """Return the billable users at the end of each quarter to go from `users` down to `target`.

    Empty when `target >= users`; raises `InputError` when the limit never lets the count reach it.
    """
    n, goal = _check_users(users), _check_users(target)
    steps: list[int] = []
    while n > goal:
        nxt = max(goal, min_users_after_quarter(n, terms))
        if nxt == n:
            raise InputError(
                f"{n} users cannot be reduced under the {terms.max_quarterly_reduction * 100}% per quarter "
                f"limit (003 §2, 004 §11.d): floor({terms.max_quarterly_reduction} x {n}) = 0",
                field="users",
            )
        steps.append(nxt)
        n = nxt
    return steps


# --- user counting --------------------------------------------------------------------------------


KIND_HELP: dict[DeviceKind, str] = {
    DeviceKind.desk_phone: "a person's desk phone (user required)",
    DeviceKind.softphone: "a person's softphone on a PC (user required)",
    DeviceKind.mobile_app: "a person's softphone on a smartphone (user required)",
    DeviceKind.dect_phone: "a person's DECT handset (user required)",
    DeviceKind.hot_desking: "a person with no device of their own, using shared phones (user required)",
    DeviceKind.door_phone: "door phone / intercom (parlophone): no user",
    DeviceKind.fax: "physical fax machine: no user",
    DeviceKind.emergency_phone: "emergency-call phone: no user",
    DeviceKind.pager: "paging loudspeaker: no user",
    DeviceKind.buzzer: "loud ringer: no user",
    DeviceKind.flasher: "ring flasher: no user",
    DeviceKind.common_room_phone: "phone of a room used by non-users (workshop, stock...): 1 user per phone "
    "(room required, user empty)",
    DeviceKind.meeting_room_phone: "phone of a room used by people who are users anyway (meeting room, "
    "cafeteria): 0 (room required, user empty)",
    DeviceKind.no_service_admin: "'No service' administrator: not billed, may have no device (user required)",
    DeviceKind.no_service_supervisor: "'No service' supervisor: not billed, may have no device "
    "(user required)",
}

DEVICE_COLUMNS = ("device", "kind", "user", "room")


@dataclass(frozen=True)
class DeviceRow:
    """One row of a devices file."""

    device: str
    kind: DeviceKind
    user: str
    room: str
    line: int = 0


@dataclass(frozen=True)
class UserCount:
    """Billable users and how they were counted."""

    billable: int
    persons: int
    common_room_phones: int
    no_user_devices: int
    users_room_phones: int
    no_service_users: int
    by_kind: dict[str, int] = field(default_factory=dict)


def parse_devices(
    text: str, source: str = "devices.csv", columns: ColumnMap | None = None
) -> list[DeviceRow]:
    """Parse a devices CSV (`device,kind,user,room`) into rows, checking each one."""
    rows: list[DeviceRow] = []
    with open_table(source, DEVICE_COLUMNS, name="devices", columns=columns, data=text.encode("utf-8")) as t:
        for line_no, rec in t.rows(DEVICE_COLUMNS):
            raw_kind = rec["kind"]
            try:
                kind = DeviceKind(raw_kind)
            except ValueError:
                known = ", ".join(k.value for k in DeviceKind)
                raise InputError(
                    f"unknown device kind {raw_kind!r}; known kinds: {known}",
                    file=source,
                    line=line_no,
                    field="kind",
                ) from None
            rows.append(DeviceRow(rec["device"], kind, rec["user"], rec["room"], line_no))
    return rows


def count_users(rows: Iterable[DeviceRow], source: str = "devices.csv") -> UserCount:
    """Return the billable users of a list of devices (004 §11.d).

    Each distinct natural person counts once whatever its devices; devices that need no user count 0;
    a room used by non-users counts one user per phone; a room used by users counts 0; "No service"
    administrators and supervisors count 0 and may not also hold a device.
    """
    persons: dict[str, int] = {}
    no_service: dict[str, int] = {}
    devices_seen: dict[str, int] = {}
    by_kind: Counter[str] = Counter()
    per_phone = none = users_room = 0
    for r in rows:

        def bad(reason: str, fld: str, r: DeviceRow = r) -> InputError:
            return InputError(reason, file=source, line=r.line, field=fld)

        by_kind[r.kind.value] += 1
        rule = r.kind.counting
        if r.device:
            if r.device in devices_seen:
                raise bad(f"device {r.device!r} already listed on line {devices_seen[r.device]}", "device")
            devices_seen[r.device] = r.line
        if rule in (Counting.person, Counting.not_billed) and not r.user:
            raise bad(f"a {r.kind.value} row needs the user's name", "user")
        if rule in (Counting.per_phone, Counting.users_room):
            if not r.room:
                raise bad(f"a {r.kind.value} row needs the room's name", "room")
            if r.user:
                raise bad(f"a {r.kind.value} belongs to its room, leave user empty", "user")
        if rule is Counting.person:
            persons.setdefault(r.user, r.line)
        elif rule is Counting.not_billed:
            if r.device:
                raise bad('a "No service" user may have no device (004 §11.d)', "device")
            no_service.setdefault(r.user, r.line)
        elif rule is Counting.per_phone:
            per_phone += 1
        elif rule is Counting.users_room:
            users_room += 1
        else:
            none += 1
    for name, line in no_service.items():
        if name in persons:
            raise InputError(
                f'{name!r} is a "No service" user (line {line}) and also has a device '
                f"(line {persons[name]}); a No service user has no device (004 §11.d)",
                file=source,
                line=max(line, persons[name]),
                field="user",
            )
    return UserCount(
        billable=len(persons) + per_phone,
        persons=len(persons),
        common_room_phones=per_phone,
        no_user_devices=none,
        users_room_phones=users_room,
        no_service_users=len(no_service),
        by_kind=dict(sorted(by_kind.items())),
    )
