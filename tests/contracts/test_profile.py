"""Profiles as data: the four contracts, the §14 choices, overrides and user YAML files."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.errors import InputError
from contracts.profile import load_profile

SECTION_14 = {
    "alsace_moselle": {"alleo", "allset", "progetcom", "allocloud"},
    "holidays_off": {"allset", "progetcom"},
    "router_counts": {"alleo"},
    "force_majeure_excluded": {"allset", "progetcom"},
    "clock": {"progetcom", "allset"},
    "non_response_restores_at": {"progetcom"},
    "tier_at_99_2": {"alleo"},
    "allset_boundaries": {"allset"},
    "restoration_objective_hours": {"allset"},
    "equipment_replacement_hours": {"allset"},
    "overlap": {"alleo", "allset"},
    "cap_window": {"alleo", "allset", "progetcom"},
    "usage_mean": {"alleo", "allset"},
    "partial_month": {"alleo", "progetcom"},
    "handsets_on_site_termination": {"alleo"},
    "channels_rounding": {"allocloud"},
    "refund_prepaid": {"allocloud"},
    "claim_rate": {"alleo", "allset", "progetcom", "allocloud"},
}

COUNTS = {  # CONTRACTS §2 table, defaults
    "alleo": {"network"},
    "allset": {"network", "access_link", "router", "third_party"},
    "progetcom": {"network", "access_link", "router", "third_party"},
    # 004 §2 prevails over CONTRACTS §2: the customer's access and third parties' networks are outside.
    "allocloud": {"network", "router"},
}


@pytest.mark.parametrize("key", sorted(SECTION_14))
def test_every_section_14_choice_is_declared(key):
    for name in SECTION_14[key]:
        p = load_profile(name)
        assert key in p.choice_specs, (name, key)
        assert p.choice_specs[key].clause


def test_defaults():
    assert load_profile("ALLEO").choices["tier_at_99_2"] == 5
    assert load_profile("allset").choices["clock"] == "wallclock"
    assert load_profile("progetcom").choices["clock"] == "business"
    assert load_profile("allset").choices["allset_boundaries"] == "lower_inclusive"


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_cause_table(name):
    p = load_profile(name)
    assert {c for c in p.causes if p.counts(c)} == COUNTS[name]


def test_overrides_flip_rules():
    assert load_profile("alleo", ["router_counts=true"]).counts("router")
    assert load_profile("allset", {"force_majeure_excluded": "false"}).counts("force_majeure")
    assert load_profile("alleo", ["tier_at_99_2=8"]).choices["tier_at_99_2"] == 8


def test_unknown_choice_and_value():
    with pytest.raises(InputError, match="unknown choice 'nope'.*tier_at_99_2"):
        load_profile("alleo", ["nope=1"])
    with pytest.raises(InputError, match="allowed: 5, 8"):
        load_profile("alleo", ["tier_at_99_2=7"])
    with pytest.raises(InputError, match="unknown profile"):
        load_profile("telco")
    with pytest.raises(InputError, match="key=value"):
        load_profile("alleo", ["tier_at_99_2"])


def test_alsace_moselle_calendar():
    p = load_profile("alleo")
    assert p.calendar("57").alsace_moselle and p.calendar("67000").alsace_moselle
    assert not p.calendar("75").alsace_moselle
    assert load_profile("alleo", ["alsace_moselle=on"]).calendar("75").alsace_moselle
    assert not load_profile("alleo", ["alsace_moselle=off"]).calendar("68").alsace_moselle
    assert not load_profile("allset", ["holidays_off=false"]).calendar().holidays_off


def test_provenance_and_sha():
    p = load_profile("allset")
    assert len(p.sha256) == 64 and p.sha256 in p.provenance() and "clock=wallclock" in p.provenance()


def test_user_yaml_profile(tmp_path: Path):
    text = (Path(load_profile("allset").path).read_text(encoding="utf-8")).replace(
        "name: allset", "name: acme"
    )
    path = tmp_path / "acme.yaml"
    path.write_text(text, encoding="utf-8")
    p = load_profile(str(path), ["clock=business"])
    assert p.name == "acme" and p.choices["clock"] == "business"


def test_bad_user_yaml_names_the_field(tmp_path: Path):
    text = (
        Path(load_profile("alleo").path)
        .read_text(encoding="utf-8")
        .replace("  network: {counts: true", "  netwrk: {counts: true")
    )
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="bad.yaml"):
        load_profile(str(path))
    path.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(InputError, match="YAML"):
        load_profile(str(path))
