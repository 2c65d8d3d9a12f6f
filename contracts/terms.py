"""The SLA terms of a profile under the choices in force, resolved and typed once (`Profile.sla_terms`).

`profile_spec.py` checks the `sla:` section under every reading of every choice when a profile loads; here
the reading in force is resolved and validated with the same models and turned into the values the
engine computes with (exact tier thresholds, seconds, Decimal percentages). `sla.py`, `explain.py`, the
simulation and the report read these, never the raw section; each default is written here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from contracts.choices import CAUSES, Cause, SlaKind
from contracts.profile_spec import MODELS, RESOLVED, AvailabilitySla, PerIncidentSla

if TYPE_CHECKING:
    from contracts.profile import Profile

Clock = Literal["business", "wallclock"]

# Defaults of the choices the engine reads, for a profile that does not declare them (CONTRACTS §13).
OVERLAP = "merge"  # overlapping incidents of a site count once
USAGE_MEAN = "present"  # mean usage over the previous months present in the billing file
CAP_WINDOW = "days"  # the cap window is calendar days
NON_RESPONSE_RESTORES_AT = "request"  # 002 §4: deemed resolved at the unanswered request
PROVIDER_DETECTED_COUNTS = True  # a ticket the provider opened on detection counts like the customer's


@dataclass(frozen=True)
class AvailabilityTier:
    """`A ≥ min` (or `A > min`) gives `pct`, compared exactly as integers: up × den100 vs num × period.

    A catch-all row (no `min`) has num = -1.
    """

    num: int
    den100: int
    inclusive: bool
    pct: Decimal
    text: str


@dataclass(frozen=True)
class GtrTier:
    """A restoration of at least `min_s` seconds (more than, when not inclusive) gives `pct` (002 §4)."""

    min_s: int | None
    inclusive: bool
    pct: float


@dataclass(frozen=True)
class Objective:
    """A time objective: `minutes` on `clock` (the business window, or every minute)."""

    minutes: float
    clock: Clock
    clause: str


@dataclass(frozen=True)
class Replacement:
    """Equipment replacement objective: wall-clock hours from the diagnosis (« constatation ») to the
    replacement, for equipment under warranty and otherwise (None: no objective outside the warranty)."""

    under_warranty_hours: float
    otherwise_hours: float | None
    clause: str

    @property
    def needs_warranty(self) -> bool:
        """Whether the target depends on the equipment's warranty state (unknown → not measurable)."""
        return self.otherwise_hours != self.under_warranty_hours


@dataclass(frozen=True)
class Objectives:
    """What the provider aims at without crediting it: restoration time, equipment replacement time
    and monthly availability in percent."""

    restoration: Objective | None = None
    replacement: Replacement | None = None
    availability_pct: Decimal | None = None

    @property
    def replacement_hours(self) -> float | None:
        """The replacement target when it does not depend on the warranty, else None (see
        `contracts.objectives.check_objectives`, which reads the warranty state of each incident)."""
        r = self.replacement
        return None if r is None or r.needs_warranty else r.under_warranty_hours


@dataclass(frozen=True)
class SlaTerms:
    """Everything the engine needs of a profile's service level, under one reading of its choices."""

    kind: SlaKind
    clause: str
    clock: Clock
    start: Literal["notification", "first_business_minute"]
    start_clause: str
    credited: bool
    counted_causes: frozenset[Cause]  # causes that count as a failure (CONTRACTS §2)
    tiers: tuple[AvailabilityTier, ...]  # availability only
    tiers_choice: str | None  # the choice that selects the tier table, if any
    tiers_clause: str
    base_clause: str
    denominator: Literal["calendar_month", "business_window"]
    denominator_clause: str
    gtr_tiers: tuple[GtrTier, ...]  # per_incident only
    gtr_max_pct: float | None
    non_response_hours: float | None
    non_response_clause: str
    non_response_restores_at: str
    overlap: str
    usage_mean: str
    cap_window: str
    provider_detected_counts: bool  # 001 §4: provider-detected tickets in the availability
    provider_detected_clause: str
    objectives: Objectives

    def counts(self, cause: str) -> bool:
        """Whether an incident of this cause counts as a failure."""
        return cause in self.counted_causes

    @property
    def counted_mask(self) -> tuple[bool, ...]:
        """`counts` for each cause code, in the order of CAUSES (the int8 code of an incidents file)."""
        return tuple(c in self.counted_causes for c in CAUSES)


def build(profile: Profile, choices: Mapping[str, Any]) -> SlaTerms:
    """Resolve the `sla:` section and the objectives of `profile` under `choices` into typed terms."""
    p = profile if choices == profile.choices else profile.model_copy(update={"choices": dict(choices)})
    raw = p.sla
    resolved = {k: (p.resolve(v) if k in RESOLVED else v) for k, v in raw.items()}
    sla = MODELS[raw["kind"]].model_validate(resolved)
    avail = isinstance(sla, AvailabilitySla)
    gtr = isinstance(sla, PerIncidentSla)
    tiers_ref = raw.get("tiers")
    return SlaTerms(
        kind=SlaKind(sla.kind),
        clause=sla.clause,
        clock=sla.clock,
        start=sla.start,
        start_clause=sla.start_clause,
        credited=bool(sla.credited),
        counted_causes=frozenset(Cause(c) for c in CAUSES if p.counts(c)),
        tiers=tuple(_tier(r.min, r.inclusive, r.pct) for r in sla.tiers) if avail else (),
        tiers_choice=tiers_ref.get("choice") if isinstance(tiers_ref, Mapping) else None,
        tiers_clause=sla.tiers_clause,
        base_clause=sla.base_clause,
        denominator=sla.denominator if avail else "calendar_month",
        denominator_clause=sla.denominator_clause if avail else "",
        gtr_tiers=tuple(_gtr(r.min_hours, r.inclusive, r.pct) for r in sla.gtr_tiers) if gtr else (),
        gtr_max_pct=float(sla.gtr_max_pct) if gtr and sla.gtr_max_pct is not None else None,
        non_response_hours=(
            float(sla.non_response_hours) if gtr and sla.non_response_hours is not None else None
        ),
        non_response_clause=(sla.non_response_clause or "002 §4") if gtr else "",  # the rule's own clause
        non_response_restores_at=str(p.choices.get("non_response_restores_at", NON_RESPONSE_RESTORES_AT)),
        overlap=str(p.choices.get("overlap", OVERLAP)),
        usage_mean=str(p.choices.get("usage_mean", USAGE_MEAN)),
        cap_window=str(p.choices.get("cap_window", CAP_WINDOW)),
        provider_detected_counts=bool(p.choices.get("provider_detected_counts", PROVIDER_DETECTED_COUNTS)),
        provider_detected_clause=(
            p.choice_specs["provider_detected_counts"].clause
            if "provider_detected_counts" in p.choice_specs
            else ""
        ),
        objectives=_objectives(p, sla.clock, sla.objective_pct if avail else None),
    )


def _tier(lo: Any, inclusive: bool, pct: Any) -> AvailabilityTier:
    """Availability A = up/den; A × 100 ≥ p/q ⇔ up × q × 100 ≥ p × den: integers, no rounding (§13)."""
    if lo is None:
        return AvailabilityTier(-1, 1, True, Decimal(str(pct)), "below every threshold")
    f = Fraction(str(lo))
    text = f"A {'≥' if inclusive else '>'} {lo} %"
    return AvailabilityTier(f.numerator, f.denominator * 100, inclusive, Decimal(str(pct)), text)


def _gtr(hours: Any, inclusive: bool, pct: Any) -> GtrTier:
    return GtrTier(None if hours is None else int(round(float(hours) * 3600)), inclusive, float(pct))


def _objectives(p: Profile, clock: Clock, availability: Any) -> Objectives:
    """000 §5.4 restoration in business hours; 001 §4 and 002 §4 restoration on the SLA clock and
    equipment replacement in hours; the availability objective of the `sla:` section."""
    obj = p.objectives or {}
    restoration = None
    for key, on in (("restoration_business_hours", "business"), ("restoration_hours", clock)):
        spec = obj.get(key)
        if spec is not None:
            restoration = Objective(float(_value(p, spec)) * 60, on, str(spec.get("clause", "")))
            break
    replacement = None
    spec = obj.get("equipment_replacement_hours")
    if spec is not None:
        replacement = _replacement(p, spec)
    return Objectives(restoration, replacement, None if availability is None else Decimal(str(availability)))


def _replacement(p: Profile, spec: Mapping[str, Any]) -> Replacement:
    """`{value|choice, clause[, warranty_split: {under_warranty: h, otherwise: h}][, under_warranty_only:
    bool|{choice: k}]}`: a value `warranty_split` takes the split (001 §4); `under_warranty_only` leaves
    equipment out of warranty without an objective (002 §4 « si la période de garantie est toujours en
    cours »)."""
    v = _value(p, spec)
    clause = str(spec.get("clause", ""))
    if str(v) == "warranty_split":
        split = spec["warranty_split"]
        return Replacement(float(split["under_warranty"]), float(split["otherwise"]), clause)
    hours = float(v)
    only = bool(p.resolve(spec.get("under_warranty_only", False)))
    return Replacement(hours, None if only else hours, clause)


def _value(p: Profile, spec: Mapping[str, Any]) -> Any:
    """An objective is written `{value: v}` or `{choice: k}` (the value of a declared choice)."""
    return spec["value"] if "value" in spec else p.resolve(spec)
