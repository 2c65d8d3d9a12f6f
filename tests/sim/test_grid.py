"""`--vary` grammar and the sweep grid: values and ranges, dotted keys with site group names, every point
validated before anything runs, one located error for a bad key or value."""

from __future__ import annotations

import pytest
from sim_helpers import write

from contracts.errors import InputError
from sim.grid import MAX_POINTS, build_grid, parse_values, resolve


def test_lists_and_ranges():
    assert parse_values("1,2,4", "f") == (1, 2, 4)
    assert parse_values("1..6", "f") == (1, 2, 3, 4, 5, 6)
    assert parse_values("0.1:0.9:0.2", "f") == (0.1, 0.3, 0.5, 0.7, 0.9)  # stop on the grid: included
    assert parse_values("0:1:0.3", "f") == (0.0, 0.3, 0.6, 0.9)  # stop off the grid: left out
    assert parse_values("1:5:2", "f") == (1, 3, 5)  # whole numbers stay integers
    assert parse_values("1..3, 5", "f") == (1, 2, 3, 5)
    assert parse_values("true,false", "f") == (True, False)
    assert parse_values("null,exponential", "f") == (None, "exponential")
    assert parse_values("-2..0", "f") == (-2, -1, 0)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty value"),
        ("1,,2", "empty value"),
        ("5..1", "start is after the end"),
        ("0.1:0.5:0", "step must be positive"),
        ("0.9:0.1:0.2", "start is after stop"),
        ("1,2,1", "given twice"),
        ("[1]", "only single values"),
        ("[1, 2]", "cannot read value"),  # the comma splits it
        ("{a: 1}", "only single values"),
        (f"1..{MAX_POINTS + 5}", f"more than {MAX_POINTS}"),
    ],
)
def test_bad_values_are_one_error_naming_the_vary(text, reason):
    with pytest.raises(InputError) as err:
        parse_values(text, "--vary repair.crews.r1")
    assert reason in err.value.reason
    assert err.value.field == "--vary repair.crews.r1"


def test_keys_take_site_group_names_or_indexes(scenario_dict):
    assert resolve("site_groups.b.backup_link", scenario_dict, "f") == ("site_groups", 1, "backup_link")
    assert resolve("site_groups.1.backup_link", scenario_dict, "f") == ("site_groups", 1, "backup_link")
    assert resolve("storms.s.share_of_sites", scenario_dict, "f") == ("storms", 0, "share_of_sites")
    # a key absent from the file (the validator decides whether it exists)
    assert resolve("profiles.allset.set.claim_rate", scenario_dict, "f") == (
        "profiles",
        "allset",
        "set",
        "claim_rate",
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("site_groups.nope.count", "has no item 'nope' (indexes 0–3, or a name: a, b, c, d)"),
        ("site_groups.7.count", "has no item '7'"),
        ("seed", "set it with --seed"),
        ("replications", "set it with --replications"),
        ("duration_days.x", "duration_days is a single value"),
        ("repair..crews", "empty part"),
    ],
)
def test_bad_keys(scenario_dict, key, reason):
    with pytest.raises(InputError) as err:
        resolve(key, scenario_dict, f"--vary {key}")
    assert reason in err.value.reason
    assert err.value.field == f"--vary {key}"


def test_the_grid_is_every_combination(tmp_path, scenario_dict):
    src = write(tmp_path, scenario_dict)
    base, varies, points = build_grid(
        src, ["repair.crews.r1=1..3", "site_groups.a.backup_link=false,true"], replications=2, seed=5
    )
    assert [v.path for v in varies] == [("repair", "crews", "r1"), ("site_groups", 0, "backup_link")]
    assert len(points) == 6
    assert [p.values for p in points[:2]] == [
        {"repair.crews.r1": 1, "site_groups.a.backup_link": False},
        {"repair.crews.r1": 1, "site_groups.a.backup_link": True},
    ]
    last = points[-1].scenario
    assert last.repair.crews["r1"] == 3 and last.site_groups[0].backup_link is True
    assert last.repair.crews["r2"] == 1  # the rest is the scenario's
    assert {(p.scenario.seed, p.scenario.replications) for p in points} == {(5, 2)}  # shared by every point
    assert (base.seed, base.replications) == (5, 2)


def test_a_choice_absent_from_the_file_can_be_varied(tmp_path, scenario_dict):
    src = write(tmp_path, scenario_dict)
    _, _, points = build_grid(src, ["profiles.allset.set.claim_rate=0.5,1.0"])
    assert [p.scenario.profiles["allset"].set["claim_rate"] for p in points] == [0.5, 1.0]


def test_a_bad_point_is_one_located_error_before_anything_runs(tmp_path, scenario_dict):
    src = write(tmp_path, scenario_dict)
    with pytest.raises(InputError) as err:
        build_grid(src, ["repair.crews.r1=2,0"])
    e = err.value
    assert e.file == str(src) and e.field == "repair.crews.r1" and e.line is not None
    assert "greater than 0" in e.reason and "(sweep point repair.crews.r1=0)" in e.reason
    text = src.read_text().splitlines()[e.line - 1]
    assert "r1" in text  # the line of the key in the scenario


@pytest.mark.parametrize(
    ("spec", "field", "reason"),
    [
        ("repair.crewz.r1=1", "repair.crewz", "unknown key"),
        ("site_groups.a.backup_link=maybe", "site_groups.0.backup_link", "valid boolean"),
        ("profiles.allset.set.nonsense=1", "profiles.allset.set.nonsense", ""),
        ("site_groups.a.region=mars", "site_groups.0.region", "no crews for region 'mars'"),
    ],
)
def test_bad_key_or_value_reported_as_the_validator_does(tmp_path, scenario_dict, spec, field, reason):
    src = write(tmp_path, scenario_dict)
    with pytest.raises(InputError) as err:
        build_grid(src, [spec])
    assert err.value.field == field
    assert reason in err.value.reason and "sweep point" in err.value.reason


def test_grid_level_errors(tmp_path, scenario_dict):
    src = write(tmp_path, scenario_dict)
    with pytest.raises(InputError, match="varies the same setting"):
        build_grid(src, ["repair.crews.r1=1,2", "repair.crews=3"])
    with pytest.raises(InputError, match="write KEY=V1,V2"):
        build_grid(src, ["repair.crews.r1"])
    with pytest.raises(InputError, match="at least one --vary"):
        build_grid(src, [])
    with pytest.raises(InputError, match="points: at most"):
        build_grid(src, ["repair.crews.r1=1..100", "repair.crews.r2=1..11"])
