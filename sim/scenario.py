"""Scenario files: a pydantic model of the YAML (unknown keys are errors) and its loader.

Every error is reported as one `InputError` naming the file, the line and the key path
(`site_groups.2.count`), so `centrex run` can exit 2 before anything is written.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contracts.choices import Cause
from contracts.errors import InputError
from contracts.instants import paris
from contracts.profile import Profile, load_profile
from sim.choices import AppointmentDays, Distribution, DurationLaw, Kind, MoveNumbers, RepairWindow

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]

MAX_COMPONENTS = 5_000_000  # links, routers and handsets of the whole fleet (memory: ~100 bytes each)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_DEPARTEMENT = re.compile(r"^(\d{2}|2A|2B|97\d)$")


def _departement(v: Any) -> str:
    """A département code as text ("75", "2A", "971"); 7 → "07"."""
    v = f"{v:02d}" if isinstance(v, int) else str(v)
    if not _DEPARTEMENT.match(v):
        raise ValueError(f"{v!r} is not a French département code")
    return v


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(_Model):
    """A random duration in minutes: exponential with that mean, or fixed."""

    law: DurationLaw = DurationLaw.exponential
    mean_minutes: NonNegative


class FailureLaw(_Model):
    """Time to failure of one component kind: exponential, or Weibull with `shape` and the same mean."""

    distribution: Distribution = Distribution.exponential
    mtbf_hours: Positive
    shape: Positive = 1.0
    causes: dict[Cause, Probability] | None = None  # share of failures recorded under each cause

    @model_validator(mode="after")
    def _check(self) -> FailureLaw:
        if self.distribution is Distribution.exponential and self.shape != 1.0:
            raise ValueError("shape is only for distribution: weibull")
        if self.causes is not None and abs(sum(self.causes.values()) - 1.0) > 1e-9:
            raise ValueError("cause shares must add up to 1")
        return self


class Failures(_Model):
    """Failure laws of the site components."""

    access_link: FailureLaw
    backup_link: FailureLaw | None = None
    router: FailureLaw
    handset: FailureLaw


class PlatformOutage(_Model):
    """Common-cause outage of the shared platform: hits every site, cause `network`."""

    rate_per_year: Positive
    duration: Duration


class Storm(_Model):
    """Regional storm: force majeure cutting the links of a share of the sites of its regions."""

    name: str
    rate_per_year: Positive
    regions: list[str] = Field(min_length=1)
    share_of_sites: Annotated[float, Field(gt=0.0, le=1.0)]


class Maintenance(_Model):
    """Planned maintenance of the platform (cause `maintenance`): every `every_days` from `first`."""

    first: datetime
    every_days: Annotated[int, Field(gt=0)]
    duration_minutes: Positive

    @field_validator("first")
    @classmethod
    def _paris(cls, v: datetime) -> datetime:
        return paris(v)  # CONTRACTS §13: the skipped spring hour does not exist


class Repair(_Model):
    """Technician crews per region working in the profile's business window (or round the clock)."""

    window: RepairWindow = RepairWindow.business
    crews: dict[str, Annotated[int, Field(gt=0)]] = Field(min_length=1)
    diagnosis: Duration = Duration(mean_minutes=30)  # remote diagnosis / remote fix, business time
    remote_share: dict[Kind, Probability] = {}
    travel: Duration = Duration(mean_minutes=60)
    on_site: dict[Kind, Duration] = {}
    spare_part_hours: dict[Kind, NonNegative] = {}  # wall-clock lead time of a replacement part

    @field_validator("remote_share", "on_site", "spare_part_hours")
    @classmethod
    def _site_kinds(cls, v: dict) -> dict:
        if Kind.platform in v:
            raise ValueError("the platform is repaired by its outage duration, not by crews")
        return v


class Installs(_Model):
    """Parameters of the install process (ALLEO 000 §3; ProgetCom's appointment 002 §3 goes through the
    same steps) for groups with `install: true`."""

    wave_days: Annotated[int, Field(ge=0)] = 90
    indicative_business_days: Annotated[int, Field(ge=0)] = 25
    audit_business_days: Annotated[int, Field(ge=0)] = 5
    link_delivery_business_days: NonNegative = 15.0  # mean (exponential): the OBL delivers the access link
    prerequisites_fail: Probability = 0.2
    prerequisites_fix_days: Duration = Duration(mean_minutes=10 * 1440)
    email_business_days: Annotated[int, Field(ge=0)] = 2
    postpone: Probability = 0.1
    minor_reservations: Probability = 0.15
    major_nonconformity: Probability = 0.05
    retest_business_days: Annotated[int, Field(gt=0)] = 5
    missed_appointment: Probability = 0.05
    # 000 §3.3 counts the 5–10 day window in calendar days; the appointment itself falls on a business day
    # of the profile's calendar (`business`, no technician works on other days) or any day (`any`).
    appointment_days: AppointmentDays = AppointmentDays.business
    cancel: Probability = 0.0  # the customer cancels a booked appointment (000 §7.3 (iv), 002 §3)
    cancel_before: Duration = Duration(mean_minutes=72 * 60)  # how long before the appointment (wall clock)
    rebook_business_days: Annotated[int, Field(gt=0)] = 5  # a cancelled appointment is booked again then


class MoveEvent(_Model):
    """One move of a named site on `day` (to `departement`, default its own)."""

    site: str
    day: date  # (not `on`: YAML reads a bare `on` as true)
    departement: str | None = None

    @field_validator("departement", mode="before")
    @classmethod
    def _dep(cls, v: Any) -> str | None:
        return None if v is None else _departement(v)


class Moves(_Model):
    """Site moves (ALLEO 000 §3.5; under the other profiles a termination followed by a new order).

    `rate_per_year` per profile: moves per site per year (a site moves at most once in a run);
    `departements`: where a drawn move goes (uniformly; empty: within the site's own département);
    `interruption`: the estimated interruption window of the move order (000 §3.5);
    `numbers`: the named choice for the site's numbers (000 §2.3).
    """

    rate_per_year: dict[str, NonNegative] = {}
    departements: list[str] = []
    interruption: Duration = Duration(law=DurationLaw.fixed, mean_minutes=8 * 60)
    numbers: MoveNumbers = MoveNumbers.keep_in_zone
    events: list[MoveEvent] = []

    @field_validator("departements", mode="before")
    @classmethod
    def _deps(cls, v: Any) -> list[str]:
        return [_departement(x) for x in v] if isinstance(v, list) else v


class TerminationEvent(_Model):
    """One termination of a named site, effective on `day` (its first day without service)."""

    site: str
    day: date


class Terminations(_Model):
    """Whole-site terminations: a rate per site per year for each profile, and/or a list of events."""

    rate_per_year: dict[str, NonNegative] = {}
    events: list[TerminationEvent] = []


class Porting(_Model):
    """Number porting per site, after service start (000 §2.3)."""

    submit_business_days: Annotated[int, Field(ge=0)] = 2
    # 000 §2.3 gives the mandate an expiry date ("date de caducité") but no length: a named parameter,
    # counted in calendar days from the signature at order.
    valid_days: Annotated[int, Field(gt=0, le=3660)] = 365
    reject: Probability = 0.15
    resubmit: Probability = 0.7
    fix_business_days: Annotated[int, Field(gt=0)] = 5
    expire: Probability = 0.02


class GroupPorting(_Model):
    """What each site of a group ports: its `numbers` (the NDI and the SDA numbers tied to it)."""

    numbers: Annotated[int, Field(gt=0, le=1000)] = 1


class NumberRange(_Model):
    """An operator range the run's inventory loads: `size` numbers from `start` (E.164 or national)."""

    start: str
    size: Annotated[int, Field(gt=0, le=10_000_000)]

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v: Any) -> str:
        digits = re.sub(r"[\s.-]", "", str(v))
        national = digits[3:] if digits.startswith("+33") else digits[1:] if digits.startswith("0") else ""
        if len(national) != 9 or not national.isdigit() or national[0] not in "123459":
            raise ValueError(f"{v!r} is not a French 01–05 or 09 number (+33… or 0…)")
        return "+33" + national

    @property
    def zone(self) -> str:
        """The zone of the range: "01"…"05" geographic, "09" non-geographic."""
        return "0" + self.start[3]

    @property
    def first(self) -> int:
        """The first number as an E.164 integer."""
        return int(self.start[1:])


class Numbering(_Model):
    """The operator ranges the run allocates SDA blocks from (zone 01–05 per département, 09)."""

    ranges: list[NumberRange] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Numbering:
        spans = sorted((r.first, r.first + r.size - 1, i) for i, r in enumerate(self.ranges))
        for i, r in enumerate(self.ranges):
            last = str(r.first + r.size - 1)
            if len(last) != 11 or last[2] != r.start[3]:
                raise _PathError(
                    ("numbering", "ranges", i, "size"), f"range {r.start}+{r.size} leaves its zone"
                )
        for (_, last, _), (first, _, j) in zip(spans, spans[1:], strict=False):
            if first <= last:
                raise _PathError(("numbering", "ranges", j, "start"), "overlaps another range")
        return self


class NumberZone(StrEnum):
    """Where a group's SDA numbers come from: its département's zone (01–05) or the 09 zone."""

    geographic = "geographic"
    non_geographic = "non_geographic"


class WarrantyOfReplacement(StrEnum):
    """Whose warranty a replacement piece carries: its own from the day it is delivered, or the rest of the
    piece it replaces (the seeds give warranties « à compter de leur livraison » and say no more)."""

    new = "new"
    original = "original"


class Pending(_Model):
    """002 §4: tickets on which the provider waits for the customer's reply (ProgetCom's 48-hour rule)."""

    share: Probability = 0.0  # of the eligible tickets: a request awaiting the customer's reply
    after: Duration = Duration(mean_minutes=60)  # from the ticket's opening to the request
    answer: Duration = Duration(mean_minutes=600)  # from the request to the customer's answer
    never_answers: Probability = 0.0  # share of requests the customer never answers


class TicketRecording(_Model):
    """How providers record tickets: failures caught by supervision (001 §4 (i), 002 §4), requests awaiting
    the customer (002 §4) and the warranty of replacement pieces. Absent: every ticket opens at the
    customer's call, none waits for the customer."""

    provider_detected: Probability = 0.0  # share of failures the provider's supervision catches
    detection: Duration = Duration(mean_minutes=5)  # from the site going down to the detection
    pending: Pending = Pending()
    replacement_warranty: WarrantyOfReplacement = WarrantyOfReplacement.new


class ProfileSettings(_Model):
    """Choices of a contract profile flipped for this scenario (`--set key=value`), and the amounts of
    its « tarifs standards » fees (`contracts.fees`: `cancellation_eur: "120.00"`)."""

    set: dict[str, Any] = {}
    fees: dict[str, Any] = {}


class SiteGroup(_Model):
    """`count` identical sites under one contract profile."""

    name: str
    profile: str
    count: Annotated[int, Field(gt=0, le=100_000)]
    departement: str
    region: str
    backup_link: bool = False
    handsets: Annotated[int, Field(gt=0, le=1000)] = 4
    recurring_eur: Annotated[Decimal, Field(gt=0, decimal_places=2)]
    usage_eur: Annotated[Decimal, Field(ge=0, decimal_places=2)] = Decimal("0")
    install: bool = False
    porting: bool | GroupPorting = True  # true: each site ports 1 number (its main line)
    customer: str | None = None  # default: one customer per group, named after it
    city: str | None = None  # town of the synthetic addresses (default "Commune <département>")
    numbers: NumberZone = NumberZone.geographic
    lease_months: Annotated[int, Field(gt=0, le=120)] | None = None  # ALLEO leased equipment (000 §2.7)
    # Concurrent-call limit of the customer's tenant for profiles without a channel allowance (all but
    # ALLOcloud); required when the run checks the fleet on the test PBX (`centrex run --sip`).
    channels: Annotated[int, Field(ge=0, le=10_000)] | None = None

    @field_validator("customer", "city")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be empty")
        return None if v is None else v.strip()

    @property
    def customer_name(self) -> str:
        """The customer owning the group's sites."""
        return self.customer or self.name

    @property
    def ported_numbers(self) -> int:
        """Numbers each site ports (0: no porting)."""
        if self.porting is False:
            return 0
        return 1 if self.porting is True else self.porting.numbers

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("use letters, digits, '-' and '_'")
        return v

    @field_validator("departement", mode="before")
    @classmethod
    def _dep(cls, v: Any) -> str:
        return _departement(v)


class Scenario(_Model):
    """A fleet, its contracts, what breaks, who repairs, over a period."""

    name: str
    description: str = ""
    start: date
    duration_days: Annotated[int, Field(gt=0, le=3660)] = 365
    seed: Annotated[int, Field(ge=0)] = 0
    replications: Annotated[int, Field(gt=0)] = 10
    profiles: dict[str, ProfileSettings] = {}
    site_groups: list[SiteGroup] = Field(min_length=1)
    failures: Failures
    platform_outage: PlatformOutage | None = None
    storms: list[Storm] = []
    maintenance: Maintenance | None = None
    notification: Duration = Duration(mean_minutes=15)
    repair: Repair
    installs: Installs = Installs()
    porting: Porting | None = Porting()
    numbering: Numbering | None = None
    moves: Moves | None = None
    terminations: Terminations | None = None
    tickets: TicketRecording = TicketRecording()

    @field_validator("start")
    @classmethod
    def _start(cls, v: date) -> date:
        if not date(1996, 1, 1) <= v <= date(2090, 12, 31):
            raise ValueError("must be between 1996-01-01 and 2090-12-31 (the EU summer-time rule)")
        return v

    @model_validator(mode="after")
    def _cross(self) -> Scenario:
        names = [g.name for g in self.site_groups]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"site group names must be unique: {dup}")
        for i, g in enumerate(self.site_groups):
            if g.region not in self.repair.crews:
                raise _PathError(
                    ("site_groups", i, "region"), f"no crews for region {g.region!r} in repair.crews"
                )
            if g.backup_link and self.failures.backup_link is None:
                raise _PathError(("site_groups", i, "backup_link"), "needs failures.backup_link")
        owners: dict[str, str] = {}
        for i, g in enumerate(self.site_groups):
            first = owners.setdefault(g.customer_name, g.profile)
            if first != g.profile:
                raise _PathError(
                    ("site_groups", i, "customer"),
                    f"customer {g.customer_name!r} already has {first} sites: one account is one contract",
                )
        components = sum(g.count * (g.handsets + 3) for g in self.site_groups)
        if components > MAX_COMPONENTS:
            raise _PathError(
                ("site_groups",),
                f"{components:,} components is more than this tool simulates ({MAX_COMPONENTS:,})",
            )
        for i, s in enumerate(self.storms):
            for r in s.regions:
                if r not in self.repair.crews:
                    raise _PathError(("storms", i, "regions"), f"unknown region {r!r}")
        self._check_life()
        return self

    def _check_life(self) -> None:
        """Moves and terminations name used profiles, existing sites and days inside the scenario."""
        counts = {g.name: g.count for g in self.site_groups}
        end = self.start.toordinal() + self.duration_days
        used = set(self.profile_names)
        for key in ("moves", "terminations"):
            section = getattr(self, key)
            if section is None:
                continue
            for p in section.rate_per_year:
                if p not in used:
                    raise _PathError((key, "rate_per_year", p), "no site group uses this profile")
            seen: set[str] = set()
            for i, ev in enumerate(section.events):
                group, _, number = ev.site.rpartition("-")
                ok = group in counts and len(number) == 5 and number.isdigit()
                if not ok or not 1 <= int(number) <= counts[group]:
                    raise _PathError((key, "events", i, "site"), f"no site {ev.site!r} in the site groups")
                if not self.start.toordinal() <= ev.day.toordinal() < end:
                    raise _PathError((key, "events", i, "day"), "outside the scenario's period")
                if ev.site in seen:
                    raise _PathError((key, "events", i, "site"), f"{ev.site} is listed twice")
                seen.add(ev.site)

    @property
    def profile_names(self) -> list[str]:
        """Profiles used by the site groups, sorted."""
        return sorted({g.profile for g in self.site_groups})


class _PathError(ValueError):
    """A cross-field error located at a key path (pydantic keeps only the model's path)."""

    def __init__(self, path: tuple, message: str) -> None:
        self.path = path
        super().__init__(message)


def _line_of(node: yaml.Node | None, path: tuple) -> int | None:
    """Return the 1-based line of the YAML node at `path` (the deepest one found)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == str(key)), None)
            if nxt is None:
                hit = next((k for k, _ in node.value if k.value == str(key)), None)
                return hit.start_mark.line + 1 if hit is not None else line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def line_of(text: str, path: tuple) -> int | None:
    """The 1-based line of the key at `path` in scenario YAML `text` (for errors found after loading)."""
    try:
        return _line_of(yaml.compose(text), path)
    except yaml.YAMLError:
        return None


class _Loader(yaml.SafeLoader):
    """Safe loader that leaves dates as text, so pydantic checks them and names the key (2026-02-30)."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag != "tag:yaml.org,2002:timestamp"]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_value(text: str) -> Any:
    """One YAML value read like the scenario's own (dates left as text for pydantic)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def read_yaml(text: str, source: str = "<scenario>") -> tuple[dict[str, Any], yaml.Node]:
    """Parse scenario YAML text into plain data (dates left as text) and its node tree (for lines)."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", file=source, line=mark.line + 1 if mark else None
        ) from None
    if not isinstance(data, dict):
        raise InputError("a scenario is a YAML mapping", file=source)
    return data, root


def parse_scenario(text: str, source: str = "<scenario>", default_name: str = "scenario") -> Scenario:
    """Validate scenario YAML text; raise InputError naming file, line and key path."""
    data, root = read_yaml(text, source)
    data.setdefault("name", default_name)
    return validate_data(data, source, root)


def validate_data(data: dict[str, Any], source: str, root: yaml.Node | None) -> Scenario:
    """Validate scenario data read by `read_yaml` (lines looked up in `root`, when given)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = tuple(err["loc"])
        ctx = (err.get("ctx") or {}).get("error")
        if isinstance(ctx, _PathError):
            path, reason = ctx.path, str(ctx)
        elif err["type"] == "extra_forbidden":
            reason = "unknown key"
        else:
            reason = err["msg"].removeprefix("Value error, ")
        field = ".".join(str(p) for p in path) or None
        raise InputError(reason, file=source, line=_line_of(root, path), field=field) from None
    _check_profiles(scenario, source, root)
    _check_tickets(scenario, source, root)
    return scenario


def _lease_refusal(profile: Profile, lease_months: int) -> str:
    """Why `profile` refuses a lease length (its own words: `Profile.warranty_length` says it once)."""
    try:
        profile.warranty_length(lease_months)
    except InputError as exc:
        return exc.reason
    return ""


def _check_profiles(scenario: Scenario, source: str, root: yaml.Node) -> None:
    """Every profile named must load, and every choice set must be one of its choices."""
    for i, g in enumerate(scenario.site_groups):
        try:
            profile = load_profile(g.profile)
        except InputError as exc:
            path = ("site_groups", i, "profile")
            raise InputError(
                exc.reason, file=source, line=_line_of(root, path), field=".".join(map(str, path))
            ) from None
        wrong = None
        if g.channels is not None and has_channel_allowance(profile):
            wrong = ("channels", f"{profile.name}'s limit comes from its counted users (004 §11.d)")
        elif g.lease_months is not None and profile.lease_warranty_clause is None:
            wrong = ("lease_months", _lease_refusal(profile, g.lease_months))
        elif g.install and profile.name not in INSTALL_CLAUSES:
            wrong = ("install", f"{profile.name}'s seed has no install clause (only {_install_seeds()})")
        if wrong is not None:
            path = ("site_groups", i, wrong[0])
            raise InputError(wrong[1], file=source, line=_line_of(root, path), field=".".join(map(str, path)))
    for name, ps in scenario.profiles.items():
        if name not in scenario.profile_names:
            path = ("profiles", name)
            raise InputError(
                "no site group uses this profile",
                file=source,
                line=_line_of(root, path),
                field=f"profiles.{name}",
            )
        try:
            profile = load_profile(name, ps.set)
        except InputError as exc:
            path = ("profiles", name, "set", exc.field or "")
            raise InputError(
                exc.reason, file=source, line=_line_of(root, path), field=".".join(map(str, path))
            ) from None
        if ps.fees:
            from contracts.fees import fees_of

            try:
                fees_of(profile, ps.fees)
            except InputError as exc:
                path = ("profiles", name, "fees", exc.field or "")
                raise InputError(
                    exc.reason, file=source, line=_line_of(root, path), field=".".join(map(str, path))
                ) from None


#: The seeds with an install appointment clause: their groups may have `install: true`.
INSTALL_CLAUSES = {"alleo": "000 §3.3", "progetcom": "002 §3"}


def _install_seeds() -> str:
    return ", ".join(f"{p} {c}" for p, c in INSTALL_CLAUSES.items())


def has_non_response_rule(profile: Profile) -> bool:
    """True when the profile's contract deems a ticket resolved when the customer does not answer (002 §4)."""
    return profile.sla.get("non_response_hours") is not None


def _check_tickets(scenario: Scenario, source: str, root: yaml.Node) -> None:
    """Requests awaiting the customer need a profile whose contract has the non-response rule (002 §4)."""
    if scenario.tickets.pending.share == 0 or any(
        has_non_response_rule(load_profile(p)) for p in scenario.profile_names
    ):
        return
    path = ("tickets", "pending", "share")
    raise InputError(
        "no profile of the scenario has a non-response rule (ProgetCom 002 §4)",
        file=source,
        line=_line_of(root, path),
        field=".".join(path),
    )


def has_channel_allowance(profile: Profile) -> bool:
    """True when the profile's contract gives channels from counted users (a `channels:` tiers section)."""
    return bool(profile.channels) and "tiers" in profile.channels


def read_scenario_text(path: str | Path) -> str:
    """Return a scenario file's text (BOM dropped), or one InputError naming the file."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read scenario: {exc.strerror}", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(p)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (its name defaults to the file stem)."""
    p = Path(path)
    return parse_scenario(read_scenario_text(p), source=str(p), default_name=p.stem)
