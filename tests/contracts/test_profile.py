"""Profiles as data: the four contracts, the §14 choices, overrides and user YAML files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


# ----- damaged profiles: refused at load, naming the file and the field (never an error later) ----------
def _damaged(tmp_path: Path, name: str, edit) -> Path:
    """The built-in profile `name` with `edit(tree)` applied, written as a user's `myprofile.yaml`."""
    tree = yaml.safe_load(Path(load_profile(name).path).read_text(encoding="utf-8"))
    edit(tree)
    path = tmp_path / "myprofile.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _refused(path: Path, field: str, reason: str = "") -> InputError:
    with pytest.raises(InputError) as info:
        load_profile(str(path))
    exc = info.value
    assert exc.file == str(path) and exc.field == field, str(exc)
    assert str(exc).startswith(f"{path}: {field}: ") and reason in exc.reason, str(exc)
    return exc


def _variants(tree, k):
    return tree["sla"]["tiers"]["variants"][k]


DAMAGES = {
    "missing tier pct": (
        "alleo",
        lambda t: _variants(t, 5)[1].pop("pct"),
        "sla.tiers.variants.5[1].pct",
        "Field required (with tier_at_99_2=5)",
    ),
    "tier pct as text, in the variant that is not the default": (
        "alleo",
        lambda t: _variants(t, 8)[2].update(pct="eight"),
        "sla.tiers.variants.8[2].pct",
        "not a number: 'eight' (with tier_at_99_2=8)",
    ),
    "tier pct out of range": (
        "allset",
        lambda t: t["sla"]["tiers"]["variants"]["upper_inclusive"][3].update(pct=120),
        "sla.tiers.variants.upper_inclusive[3].pct",
        "from 0 to 100",
    ),
    "threshold as text with a unit": (
        "alleo",
        lambda t: _variants(t, 5)[0].update(min="99.75 %"),
        "sla.tiers.variants.5[0].min",
        "not a number",
    ),
    "inclusive as text": (
        "alleo",
        lambda t: _variants(t, 8)[1].update(inclusive="no"),
        "sla.tiers.variants.8[1].inclusive",
        "boolean",
    ),
    "a variant missing for a declared value": (
        "alleo",
        lambda t: t["sla"]["tiers"]["variants"].pop(8),
        "sla.tiers.variants",
        "tier_at_99_2=8",
    ),
    "a declared value added without its variant": (
        "allset",
        lambda t: t["choices"]["allset_boundaries"]["values"].append("both_inclusive"),
        "sla.tiers.variants",
        "allset_boundaries=both_inclusive",
    ),
    "a map entry missing": (
        "allset",
        lambda t: t["sla"]["denominator"]["map"].pop("business"),
        "sla.denominator.map",
        "clock=business",
    ),
    "a reference to an undeclared choice": (
        "allset",
        lambda t: t["sla"].update(clock={"choice": "clok"}),
        "sla.clock",
        "undeclared choice 'clok'",
    ),
    "a clock no reading of the choice gives": (
        "progetcom",
        lambda t: t["sla"].update(clock="24/7"),
        "sla.clock",
        "'business' or 'wallclock'",
    ),
    "missing gtr_tiers": ("progetcom", lambda t: t["sla"].pop("gtr_tiers"), "sla.gtr_tiers", "missing"),
    "GTR hours as text": (
        "progetcom",
        lambda t: t["sla"]["gtr_tiers"]["variants"]["strictly_above"][0].update(min_hours="24h"),
        "sla.gtr_tiers.variants.strictly_above[0].min_hours",
        "(with gtr_boundaries=strictly_above)",
    ),
    "gtr_max_pct NaN": (
        "progetcom",
        lambda t: t["sla"].update(gtr_max_pct=float("nan")),
        "sla.gtr_max_pct",
        "finite",
    ),
    "non_response_hours null": (
        "progetcom",
        lambda t: t["sla"].update(non_response_hours=None),
        "sla.non_response_hours",
        "number",
    ),
    "credited as text": ("alleo", lambda t: t["sla"].update(credited="yes"), "sla.credited", "boolean"),
    "a misspelt key": (
        "progetcom",
        lambda t: t["sla"].update(gtr_tier=t["sla"].pop("gtr_tiers")),
        "sla.gtr_tier",
        "unknown key",
    ),
    "unknown kind": ("alleo", lambda t: t["sla"].update(kind="uptime"), "sla.kind", "availability"),
    "cap pct as text": ("alleo", lambda t: t["cap"].update(pct="twenty"), "cap.pct", "not a number"),
    "cap days as a bool": ("allset", lambda t: t["cap"].update(days=True), "cap.days", "integer"),
    "eur_per_handset as text": (
        "alleo",
        lambda t: t["install_delay"].update(eur_per_handset="fifteen euros"),
        "install_delay.eur_per_handset",
        "not a number",
    ),
    "holidays_off on a non-boolean choice": (
        "allset",
        lambda t: t["calendar"].update(holidays_off={"choice": "clock"}),
        "calendar.holidays_off",
        "(with clock=wallclock)",
    ),
    "a business window ending before it starts": (
        "alleo",
        lambda t: t["calendar"]["window"].update(mon="18:00-08:00"),
        "calendar.window.mon",
        "start first",
    ),
    "an objective's hours as text": (
        "progetcom",
        lambda t: t["objectives"]["restoration_hours"].update(value="four"),
        "objectives.restoration_hours.value",
        "not a number",
    ),
    "warranty_split without its hours": (
        "allset",
        lambda t: t["objectives"]["equipment_replacement_hours"].pop("warranty_split"),
        "objectives.equipment_replacement_hours.choice",
        "(with equipment_replacement_hours=warranty_split)",
    ),
    "under_warranty_only as text": (
        "progetcom",
        lambda t: t["objectives"]["equipment_replacement_hours"].update(under_warranty_only="yes"),
        "objectives.equipment_replacement_hours.under_warranty_only",
        "boolean",
    ),
    "an unknown objective": (
        "alleo",
        lambda t: t["objectives"].update(answer_hours={"value": 1}),
        "objectives.answer_hours",
        "unknown objective",
    ),
    "an objective with a value and a choice": (
        "allset",
        lambda t: t["objectives"]["restoration_hours"].update(value=4),
        "objectives.restoration_hours",
        "exactly one of",
    ),
    "a fee without its placeholder flag": (
        "alleo",
        lambda t: t["fees"]["link_fees_eur"].pop("placeholder"),
        "fees.link_fees_eur.placeholder",
        "Field required",
    ),
    "a profile without the move cause": (
        "allset",
        lambda t: t["causes"].pop("move"),
        "causes",
        "missing ['move']",
    ),
}


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_damaged_profile_is_refused_naming_the_field(tmp_path: Path, case: str):
    name, edit, field, reason = DAMAGES[case]
    _refused(_damaged(tmp_path, name, edit), field, reason)


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_the_builtin_profiles_pass_the_check_as_user_files(tmp_path: Path, name: str):
    """The check accepts what the four contracts say, read back from a user's copy."""
    p = load_profile(str(_damaged(tmp_path, name, lambda t: None)))
    assert p.sla == load_profile(name).sla


def test_an_amount_may_be_a_plain_number(tmp_path: Path):
    p = load_profile(
        str(_damaged(tmp_path, "alleo", lambda t: t["install_delay"].update(eur_per_handset=15)))
    )
    assert p.install_delay.eur_per_handset == "15"


def test_sla_kind_none_computes_no_credit(tmp_path: Path):
    """`kind: none` needs no tiers: statements with no availability and no credit."""
    from contracts.sla import compute_files

    path = _damaged(tmp_path, "allocloud", lambda t: t.update(sla={"kind": "none", "clause": "none"}))
    inc = tmp_path / "inc.csv"
    inc.write_text(
        "ticket,site,notified_at,restored_at,cause\nT1,S1,2026-03-02 10:00,2026-03-03 12:00,network\n"
    )
    bill = tmp_path / "bill.csv"
    bill.write_text("site,month,recurring_fees,usage_charges\nS1,2026-03,100,10\n")
    rows = compute_files(load_profile(str(path)), inc, bill)
    assert [(r["availability"], r["credit_eur"]) for r in rows] == [(None, 0.0)]
