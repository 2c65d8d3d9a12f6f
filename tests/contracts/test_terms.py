"""Profile.sla_terms: the `sla:` section and objectives resolved and typed for the choices in force."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts.choices import Cause, SlaKind
from contracts.errors import InputError
from contracts.profile import load_profile
from contracts.terms import Objective


def test_alleo_terms():
    t = load_profile("alleo").sla_terms()
    assert (t.kind, t.clock, t.start, t.denominator, t.credited) == (
        SlaKind.availability,
        "business",
        "first_business_minute",
        "business_window",
        True,
    )
    first = t.tiers[0]
    assert (first.num, first.den100, first.inclusive, first.pct) == (399, 400, True, Decimal(0))  # 99.75 %
    assert t.tiers[-1].num == -1 and t.tiers[-1].pct == Decimal(15)  # the catch-all row
    assert t.tiers_choice == "tier_at_99_2"
    assert t.objectives.restoration == Objective(240.0, "business", "000 §5.4")
    assert t.objectives.availability_pct == Decimal("99.75") and t.objectives.replacement_hours is None
    assert Cause.maintenance not in t.counted_causes and Cause.network in t.counted_causes


def test_a_choice_changes_the_resolved_terms():
    alleo = load_profile("alleo")
    assert alleo.sla_terms({"tier_at_99_2": 8}).tiers[1].inclusive is False
    assert alleo.sla_terms().tiers[1].inclusive is True  # the choices in force are untouched
    assert Cause.router not in alleo.sla_terms().counted_causes
    assert Cause.router in alleo.sla_terms({"router_counts": True}).counted_causes
    allset = load_profile("allset", ["clock=business"]).sla_terms()
    assert (allset.clock, allset.denominator) == ("business", "business_window")
    assert allset.objectives.restoration.clock == "business"
    assert load_profile("allset").sla_terms().objectives.restoration.clock == "wallclock"
    split = load_profile("allset", ["equipment_replacement_hours=warranty_split"]).sla_terms().objectives
    # 001 §4: 48 h under warranty, 96 h otherwise — no longer read as 96 h (the warranty state decides)
    assert (split.replacement.under_warranty_hours, split.replacement.otherwise_hours) == (48.0, 96.0)
    assert split.replacement.needs_warranty and split.replacement_hours is None
    assert load_profile("allset").sla_terms().objectives.replacement_hours == 96.0


def test_progetcom_terms():
    t = load_profile("progetcom").sla_terms()
    assert t.kind is SlaKind.per_incident and t.tiers == ()
    assert [(g.min_s, g.pct) for g in t.gtr_tiers] == [
        (86400, 20.0),
        (43200, 10.0),
        (14400, 5.0),
        (None, 0.0),
    ]
    assert (t.gtr_max_pct, t.non_response_hours, t.non_response_restores_at) == (20.0, 48.0, "request")
    # 002 §4 « (si la période de garantie est toujours en cours) »: 72 h under warranty, none otherwise
    assert (t.objectives.replacement.under_warranty_hours, t.objectives.replacement.otherwise_hours) == (
        72.0,
        None,
    )
    every = load_profile("progetcom", ["replacement_under_warranty_only=false"]).sla_terms().objectives
    assert every.replacement_hours == 72.0 and not every.replacement.needs_warranty
    assert load_profile("progetcom", ["gtr_subscribed=false"]).sla_terms().credited is False


def test_terms_are_resolved_once_per_reading():
    p = load_profile("alleo")
    assert p.sla_terms() is p.sla_terms()
    assert p.sla_terms({"tier_at_99_2": 8}) is not p.sla_terms()


def test_an_undeclared_choice_is_refused():
    with pytest.raises(InputError, match="unknown choice"):
        load_profile("alleo").sla_terms({"no_such_choice": 1})
