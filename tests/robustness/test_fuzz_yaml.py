"""Fuzz the YAML inputs: contract profiles (`--contract FILE`) and scenarios (`centrex run FILE`).

Real files from the repository are damaged structurally (deleted, replaced, unknown or renamed keys,
wrong types, NaN, huge numbers) and textually (truncated, cut, junk bytes, tabs, Latin-1). The reader
either accepts the file or raises an InputError naming it; the command line exits 0 or 2 with one line,
and `centrex run` leaves no output directory behind on a refused scenario. A damaged profile is also
used to compute statements (`sla compute`, `sla choices`): whatever loads must compute under every
reading of its choices.
"""

from __future__ import annotations

import copy
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


# For `sla compute`: counted and excluded causes, an open ticket, an unanswered request (002 §4), incidents
# over two months, three months of usage before a month (the credit base), one late install (000 §5.2).
SLA_INC = """ticket,site,notified_at,restored_at,cause,pending_since,answered_at
T1,S1,2026-03-02 10:00,2026-03-03 12:00,network,,
T2,S1,2026-03-04 10:00,,access_link,2026-03-04 11:00,
T3,S2,2026-02-10 09:00,2026-02-12 17:00,router,,
T4,S2,2026-03-31 20:00,2026-04-01 09:30,force_majeure,,
T5,S1,2026-02-16 08:00,2026-02-16 14:00,network,2026-02-16 09:00,2026-02-16 10:00
"""
SLA_BILL = """site,month,recurring_fees,usage_charges
S1,2026-01,100,10
S1,2026-02,100,12.5
S1,2026-03,100.50,12
S2,2026-02,80,0
S2,2026-03,80,3
S2,2026-04,80,3
"""
SLA_INSTALLS = (
    "site,handsets,indicative_date,service_start,customer_caused\nS1,10,2026-01-05,2026-03-20,false\n"
)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fuzz-yaml")
    (d / "inc.csv").write_text(INC)
    (d / "bill.csv").write_text(BILL)
    (d / "sla-inc.csv").write_text(SLA_INC)
    (d / "sla-bill.csv").write_text(SLA_BILL)
    (d / "sla-installs.csv").write_text(SLA_INSTALLS)
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
    """`centrex contract show FILE` on a damaged profile."""
    tick("cli: contract show FILE")
    p = _profile_file(work, doc)
    assert_ok_or_clean_error(run_cli(["contract", "show", str(p), "--format", "json"]), p)


# The sections the statement engine reads; damaging them (rather than the long usage lists) is what
# reaches `sla compute`. Choice references are added on purpose: a value may become `{choice: k, …}`.
ENGINE_SECTIONS = ("sla", "cap", "install_delay", "calendar", "choices", "causes")


def _leaves(node, prefix=()):
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*prefix, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*prefix, i))]
    return [prefix]


@st.composite
def retyped(draw, tree, section):
    """`tree` with one leaf of `section` given another type: text with a unit, a list, junk, or a choice
    reference (to a declared choice or not, with a map or variants table that may miss values)."""
    leaves = [p for p in _leaves(tree[section]) if p]
    if not leaves:
        return tree
    path = draw(st.sampled_from(leaves))
    parent = tree[section]
    for k in path[:-1]:
        parent = parent[k]
    old = parent[path[-1]]
    specs = tree.get("choices")
    declared = sorted(k for k in specs if isinstance(k, str)) if isinstance(specs, dict) else []
    choice = st.sampled_from([*declared, "nope"])
    table = st.dictionaries(
        st.sampled_from([5, 8, "business", "wallclock", "at_least", True, False]), st.just(old), max_size=2
    )
    parent[path[-1]] = draw(
        st.one_of(
            st.just(f"{old} %"),
            st.just(str(old)),
            st.just([old]),
            st.sampled_from(["twenty", "", "NaN", "-1", "1e400", True, None, 1e300]),
            choice.map(lambda c: {"choice": c}),
            st.builds(
                lambda c, t, v: {"choice": c, t: v}, choice, st.sampled_from(["map", "variants"]), table
            ),
        )
    )
    return tree


@st.composite
def engine_damaged(draw, name):
    """A profile with 1-3 structural mutations or one retyped leaf inside a section the engine reads."""
    tree = copy.deepcopy(PROFILE_TREES[name])
    key = draw(st.sampled_from([k for k in ENGINE_SECTIONS if k in tree]))
    if draw(st.booleans()):
        return dump(draw(retyped(tree, key)))
    part = draw(mutated_trees({key: tree[key]}))
    if isinstance(part, dict):
        tree.pop(key)
        tree.update(part)
    else:
        tree[key] = part
    return dump(tree)


engine_docs = st.sampled_from(sorted(PROFILES)).flatmap(
    lambda k: st.one_of(engine_damaged(k), engine_damaged(k), profile_docs)
)


@fuzz(150)
@given(doc=engine_docs)
def test_cli_sla_compute_with_damaged_profile_exits_0_or_2(work, doc):
    """`centrex sla compute --contract FILE` on a damaged profile: a statement or one clean error naming
    the file, never an internal error (exit 1) or a traceback. A profile that loads is also run under every
    reading of its choices (`sla choices`): each reading must compute too."""
    tick("cli: sla compute --contract FILE")
    p = _profile_file(work, doc)
    args = [
        "--contract",
        str(p),
        "--incidents",
        str(work / "sla-inc.csv"),
        "--billing",
        str(work / "sla-bill.csv"),
    ]
    args += ["--installs", str(work / "sla-installs.csv")]
    res = run_cli(["sla", "compute", *args, "--format", "json"])
    assert_ok_or_clean_error(res, p)
    if res.code == 0:
        assert_ok_or_clean_error(run_cli(["sla", "choices", *args, "--format", "json"]), p)
        assert_ok_or_clean_error(
            run_cli(["sla", "explain", *args, "--site", "S1", "--month", "2026-03", "--format", "json"]), p
        )


@pytest.mark.parametrize(
    ("name", "old", "new", "field"),
    [
        ("alleo", "  pct: 20\n", "  pct: twenty\n", "cap.pct"),
        ("alleo", 'eur_per_handset: "15"', 'eur_per_handset: "15 €"', "install_delay.eur_per_handset"),
        (
            "alleo",
            '        - {min: "98", pct: 8}\n        - {pct: 15}\n      8:',
            '        - {min: "98"}\n        - {pct: 15}\n      8:',
            "sla.tiers.variants.5[2].pct",
        ),
        ("progetcom", "  gtr_tiers:", "  gtr_tiers_old:", "sla.gtr_tiers_old"),
    ],
)
def test_cli_sla_compute_names_the_damaged_field(work, name, old, new, field):
    """The four crashes the fuzzer first found, now one clean line naming the profile file and the field."""
    text = PROFILES[name].decode("utf-8")
    assert old in text
    p = _profile_file(work, text.replace(old, new, 1).encode("utf-8"))
    args = ["--incidents", str(work / "sla-inc.csv"), "--billing", str(work / "sla-bill.csv")]
    res = run_cli(
        ["sla", "compute", "--contract", str(p), *args, "--installs", str(work / "sla-installs.csv")]
    )
    assert_clean_error(res, p, field=field)


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
