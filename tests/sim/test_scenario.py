"""Scenario files: validated by pydantic, unknown keys are errors located by key path and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sim_helpers import write

from contracts.errors import InputError
from sim.scenario import load_scenario, parse_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("name", ["demo", "alleo", "allset", "progetcom", "allocloud", "storm"])
def test_shipped_scenarios_load(name):
    s = load_scenario(SCENARIOS / f"{name}.yaml")
    assert s.name == name
    assert s.site_groups


def test_demo_has_about_200_sites_over_the_four_profiles():
    s = load_scenario(SCENARIOS / "demo.yaml")
    assert 180 <= sum(g.count for g in s.site_groups) <= 220
    assert s.profile_names == ["alleo", "allocloud", "allset", "progetcom"]
    assert s.duration_days == 365


def _err(tmp_path, data) -> InputError:
    with pytest.raises(InputError) as exc:
        load_scenario(write(tmp_path, data))
    return exc.value


def test_unknown_key_names_its_path_and_line(tmp_path, scenario_dict):
    scenario_dict["site_groups"][1]["colour"] = "red"
    e = _err(tmp_path, scenario_dict)
    assert e.field == "site_groups.1.colour"
    assert e.reason == "unknown key"
    assert e.line is not None and "colour" in (tmp_path / "t.yaml").read_text().splitlines()[e.line - 1]


def test_unknown_top_level_key(tmp_path, scenario_dict):
    scenario_dict["replication"] = 3
    assert _err(tmp_path, scenario_dict).field == "replication"


@pytest.mark.parametrize("mtbf", [0, -5])
def test_zero_or_negative_mtbf(tmp_path, scenario_dict, mtbf):
    scenario_dict["failures"]["router"]["mtbf_hours"] = mtbf
    e = _err(tmp_path, scenario_dict)
    assert e.field == "failures.router.mtbf_hours"
    assert "greater than 0" in e.reason


def test_impossible_date(tmp_path):
    text = (SCENARIOS / "demo.yaml").read_text().replace("start: 2026-01-01", "start: 2026-02-30")
    with pytest.raises(InputError) as exc:
        parse_scenario(text, source="demo.yaml")
    assert exc.value.field == "start"
    assert exc.value.line == 6


def test_unknown_profile(tmp_path, scenario_dict):
    scenario_dict["site_groups"][2]["profile"] = "orange"
    e = _err(tmp_path, scenario_dict)
    assert e.field == "site_groups.2.profile"
    assert "unknown profile 'orange'" in e.reason


def test_unknown_choice_of_a_profile(tmp_path, scenario_dict):
    scenario_dict["profiles"] = {"alleo": {"set": {"router_count": True}}}
    e = _err(tmp_path, scenario_dict)
    assert e.field == "profiles.alleo.set.router_count"


def test_invalid_yaml_gives_its_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\nstart: [2026-01-01\nseed: 1\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert "invalid YAML" in exc.value.reason
    assert exc.value.file == str(p)


def test_region_without_crews(tmp_path, scenario_dict):
    scenario_dict["site_groups"][0]["region"] = "nowhere"
    e = _err(tmp_path, scenario_dict)
    assert e.field == "site_groups.0.region"


def test_cause_shares_must_add_up(tmp_path, scenario_dict):
    scenario_dict["failures"]["access_link"]["causes"] = {"access_link": 0.5, "third_party": 0.2}
    assert _err(tmp_path, scenario_dict).field == "failures.access_link"


def test_unknown_cause_is_refused(tmp_path, scenario_dict):
    scenario_dict["failures"]["access_link"]["causes"] = {"lightning": 1.0}
    assert _err(tmp_path, scenario_dict).field.startswith("failures.access_link.causes")


def test_backup_link_needs_its_failure_law(tmp_path, scenario_dict):
    del scenario_dict["failures"]["backup_link"]
    assert _err(tmp_path, scenario_dict).field == "site_groups.1.backup_link"


def test_defaults_are_filled(tmp_path, scenario_dict):
    s = load_scenario(write(tmp_path, scenario_dict))
    assert s.repair.window.value == "business"
    assert s.installs.indicative_business_days >= 0
    assert yaml.safe_load(s.model_dump_json())["name"] == "t"


def test_fleet_too_large_is_refused(tmp_path, scenario_dict):
    scenario_dict["site_groups"][0].update(count=100_000, handsets=60)
    e = _err(tmp_path, scenario_dict)
    assert e.field == "site_groups" and "components" in e.reason


def test_start_outside_the_supported_years(tmp_path, scenario_dict):
    scenario_dict["start"] = "1890-01-01"
    assert _err(tmp_path, scenario_dict).field == "start"
