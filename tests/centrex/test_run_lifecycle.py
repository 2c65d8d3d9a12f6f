"""`centrex run` applies the fleet's life to its inventory (issue 16): ALLEO moves (emergency addresses
follow, numbers kept in their zone or a new block with the old one in quarantine), terminations (numbers
to quarantine, accounts disabled, open mandates cancelled), the other profiles' moves as a termination
and a new site; `db check` holds after the run."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from centrex.provision.apply import Applied, _move
from centrex.provision.plan import MOVE_AT, TERMINATE_AT, Step, steps
from provisioning import db, fleet
from provisioning.check import check
from provisioning.plan import ZONE_OF_DEPARTEMENT
from sim.changes import NOT_IN_SERVICE, NOT_ORDERED
from sim.lifecycle import fleet_lifecycle
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
LIFECYCLE = REPO / "scenarios" / "lifecycle.yaml"


def _rows(path: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def test_plan_ends_a_site_at_its_termination_and_moves_it_at_08_00():
    s = load_scenario(LIFECYCLE)
    lc = fleet_lifecycle(s, s.seed)
    todo = steps(s, lc, ZONE_OF_DEPARTEMENT.__getitem__)
    by_site: dict[str, list[Step]] = {}
    for x in todo:
        if "site" in x.data:
            by_site.setdefault(x.data["site"], []).append(x)
    ended = [
        life for life in lc.sites if life.terminated_on is not None and life.terminated_on > life.ordered
    ]
    moved = [life for life in lc.sites if life.moves]
    assert ended and moved
    # a contract ended before its order would never be seen by the inventory
    unseen = [
        life for life in lc.sites if life.terminated_on is not None and life.terminated_on <= life.ordered
    ]
    assert all(life.site not in by_site for life in unseen)
    for life in ended:
        mine = by_site[life.site]
        last = mine[-1]
        assert last.kind == "terminate" and last.at.time() == TERMINATE_AT
        assert last.at.date() == life.terminated_on
        assert all(x.at.date() < life.terminated_on for x in mine[:-1])  # nothing after its end
    for life in moved:
        moves = [x for x in by_site[life.site] if x.kind == "move"]
        assert [(x.at.date(), x.at.time()) for x in moves] == [(m.on, MOVE_AT) for m in life.moves]
        assert [x.data["new_numbers"] for x in moves] == [not m.keeps_numbers for m in life.moves]
        assert [x.data["postcode"] for x in moves] == [m.address.postcode for m in life.moves]
    # the non-ALLEO move: the old site ends that day, a new site is ordered and started at the new address
    again = [life for life in lc.sites if life.site.endswith("-m1")]
    assert again and all(life.ordered == life.service_start for life in again)
    for life in again:
        old = next(x for x in lc.sites if x.site == life.site.removesuffix("-m1"))
        assert old.terminated_on == life.ordered


def test_the_run_s_inventory_follows_moves_and_terminations(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "centrex.cli", "-q", "run", str(LIFECYCLE), "--replications", "1"]
    done = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert "terminations, moves, cancellations and tickets" in done.stdout  # the lifecycle table
    inv = out / "inventory.db"
    checked = subprocess.run(
        [sys.executable, "-m", "centrex.cli", "db", "check", "--db", str(inv)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with (out / "lifecycle.csv").open(encoding="utf-8") as fh:
        # a listed event the site cannot have is a row that says so, and nothing else of it applies
        events = [e for e in csv.DictReader(fh) if e["clause"] not in (NOT_ORDERED, NOT_IN_SERVICE)]
    site = {r[0]: r[1:] for r in _rows(inv, "SELECT name, state, departement, id FROM site")}
    leo_moves = [e for e in events if e["event"] == "move" and e["profile"] == "alleo"]
    assert {e["keeps_numbers"] for e in leo_moves} == {"0", "1"}  # both branches of the choice ran
    for e in leo_moves:
        state, dep, sid = site[e["site"]]
        assert dep == e["new_departement"], e
        if state == "terminated":
            continue  # moved, then terminated later in the year
        assert state == "moved"
        address = _rows(inv, "SELECT address || ', ' || postcode || ' ' || city FROM site WHERE id = ?", sid)
        held = _rows(inv, "SELECT emergency_address, zone, ported FROM number_block WHERE site_id = ? "
                     "AND state = 'allocated'", sid)  # fmt: skip
        assert held and {h[0] for h in held} == {address[0][0]}  # 004 §7: the addresses followed
        new_zone = ZONE_OF_DEPARTEMENT[e["new_departement"]]
        released = _rows(
            inv, "SELECT count(*) FROM number_block WHERE site_id = ? AND state = 'released'", sid
        )
        if e["keeps_numbers"] == "0":
            assert released[0][0] > 0  # the old block went to quarantine
            assert {h[1] for h in held if not h[2]} == {new_zone}
        else:
            assert released[0][0] == 0
    for e in (e for e in events if e["event"] == "termination"):
        state, _, sid = site[e["site"]]
        assert state == "terminated", e
        assert (
            _rows(inv, "SELECT count(*) FROM number_block WHERE site_id = ? AND state = 'allocated'", sid)[0][
                0
            ]
            == 0
        )
        assert _rows(inv, "SELECT count(*) FROM sip_account WHERE site_id = ? AND enabled", sid)[0][0] == 0
        states = {r[0] for r in _rows(inv, "SELECT state FROM mandate WHERE site_id = ?", sid)}
        assert states <= {"ported", "cancelled", "expired"}
    for e in (e for e in events if e["event"] == "move" and e["profile"] != "alleo"):
        state, dep, _ = site[f"{e['site']}-m1"]  # a termination and a new order at the new address
        assert (state, dep) == ("in_service", e["new_departement"]) and site[e["site"]][0] == "terminated"


def _small_inventory(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'inv.db'}"
    db.upgrade(url)
    at = datetime(2026, 3, 2, 8, tzinfo=UTC)
    with db.session_scope(url) as s:
        fleet.declare_ranges(s, [("+33170000000", 10), ("+33370000000", 1)], at=at, actor="t")
        order = fleet.SiteOrder("paris-1", "Acme", "1 rue de Rivoli", "75001", "Paris", "alleo")
        fleet.order_sites(s, [order], at=at, actor="t")
        fleet.allocate_extensions(s, [("paris-1", 3)], at=at, actor="t")
        fleet.start_service(s, ["paris-1"], date(2026, 3, 2), at=at, actor="t")
    return url


def test_a_move_to_a_zone_without_room_is_refused_not_the_run(tmp_path):
    url = _small_inventory(tmp_path)
    out = Applied()
    when = datetime.combine(date(2026, 4, 1), MOVE_AT, tzinfo=UTC)
    data = {"address": "2 quai Kléber", "postcode": "67000", "city": "Strasbourg", "zone": None}
    refused = Step(
        when, "move", 0, {"site": "paris-1", **data, "new_numbers": True}
    )  # 3 numbers, zone 03 has 1
    kept = Step(when, "move", 0, {"site": "paris-1", **data, "postcode": "92100", "city": "Boulogne",
                                  "new_numbers": False})  # fmt: skip

    def work(ses) -> None:
        _move(ses, refused, out)  # rolled back to its savepoint: the rest of the transaction stays
        fleet.declare_ranges(ses, [("+33270000000", 10)], at=when, actor="t")

    db.in_transaction(url, work)
    assert out.move_exhausted == {"paris-1": "numbers_exhausted"} and out.moved == {}
    with db.session_scope(url) as s:
        assert all(r.ok for r in check(s))
    path = tmp_path / "inv.db"
    assert _rows(path, "SELECT state, city FROM site") == [("in_service", "Paris")]
    assert _rows(path, "SELECT count(*) FROM number_range")[0][0] == 3  # the later work was kept
    db.in_transaction(url, lambda ses: _move(ses, kept, out))
    assert out.moved == {"paris-1": False}
    assert set(_rows(path, "SELECT emergency_address FROM number_block WHERE state = 'allocated'")) == {
        ("2 quai Kléber, 92100 Boulogne",)
    }


def test_terminated_sites_are_not_served_by_the_run_s_pbx(tmp_path):
    """`centrex run --sip` after moves and terminations: every enabled account registers, no disabled one
    is served, and ALLOcloud's limit is recounted from the users left (004 §11.d)."""
    import json

    from contracts.sizing import load_channel_contract, pbx_channel_limit

    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "centrex.cli", "-q", "run", str(LIFECYCLE), "--replications", "1", "--sip"]
    done = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    inv = out / "inventory.db"
    enabled = dict(_rows(inv, "SELECT enabled, count(*) FROM sip_account GROUP BY enabled"))
    assert enabled[0] > 0  # the terminated sites' accounts
    sip = json.loads((out / "summary.json").read_text())["sip"]
    assert sip == {
        "accounts_registered": enabled[1],
        "accounts_refused": 0,
        "tenant_limits_held": 5,
        "tenant_limits_broken": 0,
    }
    users = _rows(
        inv,
        "SELECT count(*) FROM sip_account a JOIN tenant t ON t.id = a.tenant_id "
        "WHERE a.enabled AND t.name = 'allocloud-nantes'",
    )[0][0]
    limit = _rows(inv, "SELECT channel_limit FROM tenant WHERE name = 'allocloud-nantes'")[0][0]
    assert limit == pbx_channel_limit(users, load_channel_contract("allocloud")) == 23  # 65 users left
