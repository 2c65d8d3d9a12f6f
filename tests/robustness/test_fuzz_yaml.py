"""Fuzz the YAML inputs: contract profiles (`--contract FILE`) and scenarios (`centrex run FILE`).

Real files from the repository are damaged structurally (deleted, replaced, unknown or renamed keys,
wrong types, NaN, huge numbers) and textually (truncated, cut, junk bytes, tabs, Latin-1). The reader
either accepts the file or raises an InputError naming it; the command line exits 0 or 2 with one line,
and `centrex run` leaves no output directory behind on a refused scenario.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rb_harness import assert_clean_error, assert_ok_or_clean_error, fuzz, read_or_error, run_cli, tick
from rb_yaml import damaged_text, dump, load_text, mutated_trees

from contracts.errors import InputError
from contracts.profile import PROFILE_DIR, load_profile

ROOT = Path(__file__).resolve().parents[2]
PROFILES = {p.stem: p.read_bytes() for p in sorted(PROFILE_DIR.glob("*.yaml"))}
SCENARIOS = {p.stem: p.read_bytes() for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
PROFILE_TREES = {k: load_text(v) for k, v in PROFILES.items()}
SCENARIO_TREES = {k: load_text(v) for k, v in SCENARIOS.items()}

INC = "ticket,site,notified_at,restored_at,cause\nT1,S1,2026-03-02 10:00,2026-03-03 12:00,network\n"
INC += "T2,S1,2026-03-04 10:00,,access_link\n"
BILL = "site,month,recurring_fees,usage_charges\nS1,2026-02,100,10\nS1,2026-03,100.50,12,5\n".replace(
    ",5\n", "\n"
)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fuzz-yaml")
    (d / "inc.csv").write_text(INC)
    (d / "bill.csv").write_text(BILL)
    return d


def _profile_file(work: Path, data: bytes, n: list[int] = [0]) -> Path:  # noqa: B006 - a counter
    n[0] += 1  # a new name each time: profiles are cached by path and mtime
    p = work / f"p{n[0]}.yaml"
    p.write_bytes(data)
    return p


profile_docs = st.sampled_from(sorted(PROFILES)).flatmap(
    lambda k: st.one_of(mutated_trees(PROFILE_TREES[k]).map(dump), damaged_text(PROFILES[k]))
)
scenario_docs = st.sampled_from(sorted(SCENARIOS)).flatmap(
    lambda k: st.one_of(mutated_trees(SCENARIO_TREES[k]).map(dump), damaged_text(SCENARIOS[k]))
)


@fuzz(300)
@given(doc=profile_docs)
def test_profile_yaml_read_or_refused(work, doc):
    tick("profile.yaml")
    read_or_error(load_profile, str(_profile_file(work, doc)))


@fuzz(250)
@given(doc=profile_docs)
def test_cli_contract_show_exits_0_or_2(work, doc):
    """`centrex contract show FILE` on a damaged profile. (Running `sla compute` with one is not fuzzed
    here: the profile's free-form `sla:` section is checked only when used; see the lead's report.)"""
    tick("cli: contract show FILE")
    p = _profile_file(work, doc)
    assert_ok_or_clean_error(run_cli(["contract", "show", str(p), "--format", "json"]), p)


@fuzz(300)
@given(doc=scenario_docs)
def test_scenario_yaml_read_or_refused(work, doc):
    from sim.scenario import load_scenario

    tick("scenario.yaml")
    p = work / "scenario.yaml"
    p.write_bytes(doc)
    res = read_or_error(load_scenario, p)
    if isinstance(res, InputError) and res.line is not None:
        assert res.line >= 1


@fuzz(250)
@given(doc=scenario_docs)
def test_cli_run_refused_scenario_exits_2_and_writes_nothing(work, doc):
    """A refused scenario: exit 2, one line, no output directory (valid ones are not simulated here)."""
    from sim.scenario import load_scenario

    tick("cli: run SCENARIO")
    p = work / "run.yaml"
    p.write_bytes(doc)
    if not isinstance(read_or_error(load_scenario, p), InputError):
        return  # valid: simulating it is the crash test's job, not the fuzzer's
    out = work / "out"
    assert_clean_error(run_cli(["run", str(p), "--out", str(out), "--replications", "1"]), p)
    assert not out.exists()
    assert not [x for x in work.iterdir() if x.name.startswith(".out")], "temporary directory left behind"


def test_yaml_alias_bomb_is_refused_quickly(work):
    """A 'billion laughs' document must not expand into billions of nodes during validation."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    bomb = "\n".join(lines) + "\nname: bomb\nwindow: *a8\n"
    p = _profile_file(work, bomb.encode())
    assert isinstance(read_or_error(load_profile, str(p)), InputError)
    s = work / "bomb-scenario.yaml"
    s.write_text(bomb.replace("window:", "site_groups:"))
    from sim.scenario import load_scenario

    assert isinstance(read_or_error(load_scenario, s), InputError)


def test_python_tags_are_refused(work):
    """A `!!python/object` tag is an error (safe loader), never executed."""
    doc = b"name: x\nwindow: !!python/object/apply:os.system ['touch pwned']\n"
    p = _profile_file(work, doc)
    assert isinstance(read_or_error(load_profile, str(p)), InputError)
    assert not (Path.cwd() / "pwned").exists()
