"""Contract profiles as data: one YAML file per provider, loaded into pydantic models.

A user adds a provider by writing a YAML file (same shape as `contracts/profiles/*.yaml`), not code.
Every [choice] of CONTRACTS.md §14 is declared under `choices:` with its allowed values, default and
clause; `--set key=value` overrides are validated against those declarations.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from contracts.calendar import ALSACE_MOSELLE_DEPARTEMENTS, BusinessCalendar, weekly_window
from contracts.choices import CAUSES
from contracts.errors import InputError
from contracts.profile_spec import Euros, Pct, check_objectives, check_resolvable, check_sla
from contracts.terms import SlaTerms
from contracts.terms import build as build_terms

PROFILE_DIR = Path(__file__).with_name("profiles")
BUILTIN_PROFILES = ("alleo", "allset", "progetcom", "allocloud")

ChoiceValue = str | bool | int | float
JOUR_OUVRABLE = "mon_sat"  # default of the `jour_ouvrable` choice for a profile that does not declare it


class ChoiceSpec(BaseModel):
    """One named [choice]: allowed values (or a numeric range), default, clause, what it means."""

    model_config = ConfigDict(extra="forbid")
    default: ChoiceValue
    values: list[ChoiceValue] | None = None
    range: tuple[float, float] | None = None
    clause: str
    help: str = ""

    @model_validator(mode="after")
    def _check(self) -> ChoiceSpec:
        if (self.values is None) == (self.range is None):
            raise ValueError("a choice needs exactly one of `values` or `range`")
        self.default = self.parse(self.default, "default")
        return self

    def allowed(self) -> str:
        """Human list of allowed values."""
        if self.values is not None:
            return ", ".join(_norm(v) for v in self.values)
        return f"a number from {self.range[0]} to {self.range[1]}"

    def parse(self, raw: Any, key: str) -> ChoiceValue:
        """Return the declared value matching `raw` (a string from --set or a typed value)."""
        if self.values is not None:
            for v in self.values:
                if _norm(v) == _norm(raw):
                    return v
            raise ValueError(f"bad value {raw!r} for {key}; allowed: {self.allowed()}")
        try:
            x = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"bad value {raw!r} for {key}; allowed: {self.allowed()}") from None
        if not self.range[0] <= x <= self.range[1]:
            raise ValueError(f"bad value {raw!r} for {key}; allowed: {self.allowed()}")
        return x


def _norm(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).strip().lower()


class CauseRule(BaseModel):
    """Whether a cause counts as a failure; `choice` makes it the value of a boolean choice."""

    model_config = ConfigDict(extra="forbid")
    counts: bool
    choice: str | None = None
    invert: bool = False
    clause: str


class CalendarSpec(BaseModel):
    """The business window of the profile."""

    model_config = ConfigDict(extra="forbid")
    clause: str
    window: dict[str, str | None]
    holidays_off: bool | dict[str, Any] = True


class CapSpec(BaseModel):
    """The 30-day cap on credits (§6): `pct` % of the month's fees over `days` consecutive days."""

    model_config = ConfigDict(extra="forbid")
    clause: str
    pct: Pct  # kept as written; the engine reads Decimal(str(pct))
    days: Annotated[StrictInt, Field(ge=1, le=3660)] = 30


class InstallDelaySpec(BaseModel):
    """ALLEO install-delay credit (000 §5.2)."""

    model_config = ConfigDict(extra="forbid")
    clause: str
    eur_per_handset: Euros
    business_days: Annotated[StrictInt, Field(ge=0, le=3660)]


FEE_KEYS = ("cancellation_eur", "move_initial_eur", "link_fees_eur")


class FeeSpec(BaseModel):
    """A fee the seeds leave to « tarifs standards »: an amount (a placeholder until a real tariff is
    written in), and the clause that makes it due (read by contracts/fees.py)."""

    model_config = ConfigDict(extra="forbid")
    value: Euros
    placeholder: StrictBool
    clause: str


class Rule(BaseModel):
    """One rule restated in words with its clause (printed by `centrex contract show`)."""

    clause: str
    text: str


_BOOL = TypeAdapter(StrictBool).validate_python


class Profile(BaseModel):
    """A loaded contract profile with the choices in force."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    name: str
    title: str = ""
    seed: str = ""
    path: str = ""
    sha256: str = ""
    calendar_spec: CalendarSpec
    choice_specs: dict[str, ChoiceSpec] = Field(default_factory=dict)
    choices: dict[str, ChoiceValue] = Field(default_factory=dict)
    causes: dict[str, CauseRule]
    sla: dict[str, Any]
    cap: CapSpec | None = None
    install_delay: InstallDelaySpec | None = None
    objectives: dict[str, Any] = Field(default_factory=dict)
    warranty_months: int = 12
    lease_warranty_clause: str | None = None  # equipment from a lessor: warranty for the lease length
    rules: list[Rule] = Field(default_factory=list)
    termination: dict[str, Any] = Field(default_factory=dict)
    billing: dict[str, Any] = Field(default_factory=dict)
    fees: dict[Literal["cancellation_eur", "move_initial_eur", "link_fees_eur"], FeeSpec] = Field(
        default_factory=dict
    )
    channels: dict[str, Any] = Field(default_factory=dict)
    fair_use: dict[str, Any] = Field(default_factory=dict)
    usage: dict[str, Any] = Field(default_factory=dict)
    _terms: dict[tuple, SlaTerms] = PrivateAttr(default_factory=dict)  # by choices; shared by copies

    @model_validator(mode="after")
    def _check(self) -> Profile:
        # Raised as InputError (a ValueError would lose the field path): `file: field: reason`.
        missing = [c for c in CAUSES if c not in self.causes]
        unknown = [c for c in self.causes if c not in CAUSES]
        if missing or unknown:
            raise InputError(
                f"missing {missing}, unknown {unknown}; need exactly {list(CAUSES)}",
                file=self.path,
                field="causes",
            )
        for cause, rule in self.causes.items():
            if rule.choice and rule.choice not in self.choice_specs:
                raise InputError(
                    f"choice {rule.choice!r} is not declared under choices",
                    file=self.path,
                    field=f"causes.{cause}",
                )
        try:
            window = weekly_window(self.calendar_spec.window)
        except ValueError as exc:
            raise InputError(str(exc), file=self.path, field="calendar.window") from None
        for day, w in zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), window, strict=True):
            if w is not None and not 0 <= w[0] < w[1] <= 1440:  # what BusinessCalendar accepts
                raise InputError(
                    f"{self.calendar_spec.window[day]!r}: need HH:MM-HH:MM within 00:00-24:00, start first",
                    file=self.path,
                    field=f"calendar.window.{day}",
                )
        check_sla(self.sla, self.choice_specs, self.path)
        check_objectives(self.objectives, self.choice_specs, self.path)
        check_resolvable(
            self.calendar_spec.holidays_off, self.choice_specs, "calendar.holidays_off", self.path, _BOOL
        )
        if not self.choices:
            self.choices = {k: s.default for k, s in self.choice_specs.items()}
        return self

    # ----- choices ----------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """Resolve a YAML value that may depend on a choice: `{choice: k}`, `{choice: k, map: {…}}`,
        `{choice: k, variants: {…}}`; any other value is returned as is."""
        if isinstance(value, Mapping) and "choice" in value:
            key = value["choice"]
            if key not in self.choices:
                raise InputError(f"refers to undeclared choice {key!r}", file=self.path)
            cur = self.choices[key]
            for table in ("map", "variants"):
                if table in value:
                    for k, v in value[table].items():
                        if _norm(k) == _norm(cur):
                            return v
                    raise InputError(f"no {table} entry for {key}={_norm(cur)}", file=self.path)
            return cur
        return value

    def choice(self, key: str) -> ChoiceValue:
        """Current value of a declared choice."""
        return self.choices[key]

    def with_choices(self, overrides: Mapping[str, Any] | Sequence[str]) -> Profile:
        """Return a copy with the overrides applied (validated against the declared choices)."""
        new = dict(self.choices)
        for key, raw in _pairs(overrides):
            spec = self.choice_specs.get(key)
            if spec is None:
                allowed = ", ".join(sorted(self.choice_specs)) or "none"
                raise InputError(
                    f"unknown choice {key!r} for profile {self.name}; choices: {allowed}", field=key
                )
            try:
                new[key] = spec.parse(raw, key)
            except ValueError as exc:
                raise InputError(str(exc), field=key) from None
        return self.model_copy(update={"choices": new})

    def sla_terms(self, choices: Mapping[str, Any] | None = None) -> SlaTerms:
        """The `sla:` section and objectives resolved and typed under `choices` (default: those in force)."""
        choices = self.choices if choices is None else self.with_choices(choices).choices
        key = tuple(sorted(choices.items()))
        terms = self._terms.get(key)
        if terms is None:
            terms = self._terms[key] = build_terms(self, choices)
        return terms

    def provenance(self) -> str:
        """One line: profile, sha256 of its file, the choices in force."""
        ch = " ".join(f"{k}={_norm(v)}" for k, v in sorted(self.choices.items()))
        return f"profile={self.name} sha256={self.sha256} choices: {ch}"

    # ----- rules ------------------------------------------------------------------------------------
    def counts(self, cause: str) -> bool:
        """True when an incident of this cause counts as a failure under the profile (CONTRACTS §2)."""
        rule = self.causes.get(cause)
        if rule is None:
            raise InputError(f"unknown cause {cause!r}; one of {', '.join(CAUSES)}", field="cause")
        if rule.choice is None:
            return rule.counts
        value = bool(self.choices[rule.choice])
        return not value if rule.invert else value

    def warranty_length(self, lease_months: int | None = None) -> int:
        """Months of warranty of equipment from its delivery: the profile's (000 §2.6, 001 §3, 002 §3,
        004 §8), or the lease length for equipment from a lessor where the profile says so (000 §2.7)."""
        if lease_months is None:
            return self.warranty_months
        if self.lease_warranty_clause is None:
            raise InputError(
                f"a lease length only applies to ALLEO equipment (000 §2.7), not to {self.name}",
                field="lease_months",
            )
        return lease_months

    def cause_clause(self, cause: str) -> str:
        """The clause that makes this cause count or not."""
        return self.causes[cause].clause

    def is_alsace_moselle(self, departement: str | None) -> bool:
        """Whether the site gets the Alsace-Moselle holidays, from the `alsace_moselle` choice (§1)."""
        mode = _norm(self.choices.get("alsace_moselle", "auto"))
        if mode == "on":
            return True
        if mode == "off":
            return False
        return normalise_departement(departement) in ALSACE_MOSELLE_DEPARTEMENTS

    def holidays_off(self) -> bool:
        """Whether public holidays are off in the business window (001 §4, 002 §4 choice)."""
        return bool(self.resolve(self.calendar_spec.holidays_off))

    def calendar(self, departement: str | None = None) -> BusinessCalendar:
        """The business calendar of a site of this profile (département decides Alsace-Moselle)."""
        window = weekly_window(self.calendar_spec.window)
        return _calendar(window, self.holidays_off(), self.is_alsace_moselle(departement))

    def jours_ouvrables(self, departement: str | None = None) -> BusinessCalendar:
        """The « jour ouvrable » of porting (ARCEP 2013-0830), per the `jour_ouvrable` choice: Monday to
        Saturday with public holidays off (`mon_sat`, the legal meaning), or the profile's business days
        (`business_days`). Use its `add_business_days`; only its days matter, not its hours."""
        if _norm(self.choices.get("jour_ouvrable", JOUR_OUVRABLE)) == "business_days":
            return self.calendar(departement)
        return _calendar(((0, 1440),) * 6 + (None,), True, self.is_alsace_moselle(departement))

    def clock_calendar(self, departement: str | None = None) -> BusinessCalendar:
        """The calendar the restoration clock runs on: the business window, or every minute (wallclock)."""
        if self.sla_terms().clock == "wallclock":
            return _calendar(((0, 1440),) * 7, False, False)
        return self.calendar(departement)


_PROVENANCE_LINE = re.compile(r"\ufeff?# profile=\S+ sha256=[0-9a-f]{64} choices:")


def is_provenance_line(line: str) -> bool:
    """True for the `# provenance` line the tool writes above a CSV table (`Profile.provenance`).

    Only that line, as line 1, is a comment in a table: any other row starting with `#` is data.
    """
    return _PROVENANCE_LINE.match(line) is not None


@lru_cache(maxsize=64)
def _calendar(window: tuple, holidays_off: bool, alsace_moselle: bool) -> BusinessCalendar:
    """Calendars are shared: their day tables are built once per process."""
    return BusinessCalendar(window, holidays_off=holidays_off, alsace_moselle=alsace_moselle)


def normalise_departement(dep: str | None) -> str | None:
    """'57', '57000' (a postal code), ' 67 ' → '57' / '67'; None or empty → None."""
    if dep is None:
        return None
    s = str(dep).strip().upper()
    if not s:
        return None
    if len(s) == 5 and s.isdigit():
        return s[:2]
    return s.zfill(2) if s.isdigit() else s


def _pairs(overrides: Mapping[str, Any] | Sequence[str]) -> list[tuple[str, Any]]:
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    out = []
    for item in overrides:
        if "=" not in item:
            raise InputError(f"bad --set {item!r}: expected key=value", field="--set")
        k, v = item.split("=", 1)
        out.append((k.strip(), v.strip()))
    return out


def profile_path(name_or_path: str) -> Path:
    """The YAML file of a built-in profile name (case-insensitive) or of a user's path."""
    key = str(name_or_path).strip()
    if key.lower() in BUILTIN_PROFILES:
        return PROFILE_DIR / f"{key.lower()}.yaml"
    p = Path(key)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise InputError("profile file not found", file=key)
        return p
    raise InputError(
        f"unknown profile {key!r}; use one of {', '.join(BUILTIN_PROFILES)} or a path to a YAML file"
    )


@lru_cache(maxsize=32)
def _load_file(path: str, mtime: float) -> Profile:
    raw = Path(path).read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"not a valid YAML file: {exc}".splitlines()[0], file=path) from None
    if not isinstance(data, dict):
        raise InputError("a profile must be a YAML mapping", file=path)
    data = dict(data)
    if "calendar" in data:
        data["calendar_spec"] = data.pop("calendar")
    if "choices" in data:
        data["choice_specs"] = data.pop("choices")
    data["path"] = str(path)
    data["sha256"] = hashlib.sha256(raw).hexdigest()
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]).replace("calendar_spec", "calendar")
        loc = loc.replace("choice_specs", "choices")
        raise InputError(err["msg"].removeprefix("Value error, "), file=path, field=loc or None) from None


def load_profile(name_or_path: str, overrides: Mapping[str, Any] | Sequence[str] = ()) -> Profile:
    """Load a profile by name (alleo, allset, progetcom, allocloud) or YAML path, then apply overrides."""
    path = profile_path(name_or_path)
    base = _load_file(str(path), path.stat().st_mtime)
    return base.with_choices(overrides) if overrides else base


def describe(profile: Profile) -> dict[str, Any]:
    """A plain summary of a profile: rules, causes, choices in force (for `centrex contract show`)."""
    return {
        "name": profile.name,
        "title": profile.title,
        "seed": profile.seed,
        "path": profile.path,
        "sha256": profile.sha256,
        "provenance": profile.provenance(),
        "calendar": {
            "window": profile.calendar_spec.window,
            "holidays_off": profile.holidays_off(),
            "clause": profile.calendar_spec.clause,
        },
        "rules": [r.model_dump() for r in profile.rules],
        "causes": {c: {"counts": profile.counts(c), "clause": r.clause} for c, r in profile.causes.items()},
        "choices": {
            k: {
                "value": _norm(profile.choices[k]),
                "default": _norm(s.default),
                "allowed": s.allowed(),
                "clause": s.clause,
                "help": s.help,
            }
            for k, s in profile.choice_specs.items()
        },
        "cap": None if profile.cap is None else profile.cap.model_dump(),
        "objectives": profile.objectives,
        "warranty_months": profile.warranty_months,
        "fees": {k: f.model_dump() for k, f in profile.fees.items()},
    }
