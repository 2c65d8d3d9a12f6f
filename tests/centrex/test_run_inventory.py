"""`centrex run` provisions replication 0's fleet into an inventory (issue 15 items 2, 3, 7): the scenario
keys, numbers per extension in aligned blocks with the site's address, the OBL's own rejection reasons
in porting.csv, simulated instants and actor `sim` in the audit trail, exhaustion as an outcome, and the
same inventory whatever the number of workers."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import stat
from collections import Counter
from pathlib import Path

import pytest
from fleet_scenario import SMALL, cli, write

from contracts.errors import InputError
from contracts.sizing import load_channel_contract, pbx_channel_limit
from sim.scenario import parse_scenario


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("fleet")
    out = tmp / "run"
    r = cli("run", write(tmp), "--out", out, "--workers", "1")
    assert r.returncode == 0, r.stderr
    return out


def _rows(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


# ----- item 2: scenario keys -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (("city: Lyon,", "city: Lyon, colour: red,"), "site_groups.1.colour", "unknown key"),
        (
            ('"+33170000000", size: 100', '"+33170000000", size: 0'),
            "numbering.ranges.0.size",
            "greater than 0",
        ),
        (('"+33270000000"', '"+33670000000"'), "numbering.ranges.1.start", "not a French 01–05 or 09"),
        (('"+33270000000"', '"+33170000050"'), "numbering.ranges.1.start", "overlaps"),
        (
            ("numbers: non_geographic,", "numbers: non_geographic, channels: 4,"),
            "site_groups.4.channels",
            "004 §11.d",
        ),
        (
            ("channels: 2, porting: false}", "channels: 2, porting: false, lease_months: 12}"),
            "site_groups.1.lease_months",
            "000 §2.7",
        ),
        (("city: Lyon,", "city: Lyon, customer: Lutèce Conseil,"), "site_groups.1.customer", "one contract"),
        (("porting: {numbers: 3}", "porting: {numbers: 0}"), "site_groups.3.porting", ""),
    ],
)
def test_new_scenario_keys_are_validated(edit, field, reason):
    text = SMALL.replace(*edit)
    assert text != SMALL
    with pytest.raises(InputError) as err:
        parse_scenario(text, source="small.yaml")
    assert err.value.field is not None and err.value.field.startswith(field)
    assert reason in err.value.reason
    assert err.value.line is not None


def test_scenario_keys_resolved():
    s = parse_scenario(SMALL)
    paris, lyon, lille, bordeaux, nantes = s.site_groups
    assert paris.customer_name == "Lutèce Conseil" and lille.customer_name == "progetcom-lille"
    assert paris.ported_numbers == 2 and lyon.ported_numbers == 0 and lille.ported_numbers == 1
    assert [r.zone for r in s.numbering.ranges] == ["01", "02", "03", "04", "05", "09"]
    assert nantes.numbers.value == "non_geographic"


def test_run_refuses_before_simulating(tmp_path):
    """No range for a group's zone, or --sip without a non-ALLOcloud group's channels: exit 2, no output."""
    no_zone = SMALL.replace('    - {start: "+33470000000", size: 100}\n', "")
    r = cli("run", write(tmp_path, no_zone), "--out", tmp_path / "a")
    assert r.returncode == 2 and "site_groups.1.departement" in r.stderr and "zone 04" in r.stderr
    no_channels = SMALL.replace("city: Lyon, channels: 2,", "city: Lyon,")
    r = cli("run", write(tmp_path, no_channels), "--out", tmp_path / "b", "--sip")
    assert r.returncode == 2 and "site_groups.1.channels" in r.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# ----- item 3: the run's inventory --------------------------------------------------------------------------
def test_inventory_is_in_the_run_and_holds(small_run):
    db = small_run / "inventory.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # HA1s inside
    assert not list(small_run.glob("inventory.db-*"))  # WAL closed before the rename
    r = cli("db", "check", "--db", db, "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    checks = json.loads(r.stdout)
    checks = checks if isinstance(checks, list) else checks["checks"]
    assert checks and all(c["ok"] for c in checks)


def test_numbers_one_per_extension_with_the_site_address(small_run):
    """000 §1 one SDA per extension, 000 §2.2 ported numbers cover some, 004 §7 the site's address."""
    db = small_run / "inventory.db"
    s = parse_scenario(SMALL)
    handsets = {g.name: g.handsets for g in s.site_groups}
    k = {g.name: g.ported_numbers for g in s.site_groups}
    mandates = _rows(db, "SELECT s.name FROM mandate m JOIN site s ON s.id = m.site_id")
    ported = {name: k[name.rsplit("-", 1)[0]] for (name,) in mandates}
    sites = _rows(db, "SELECT id, name, address, postcode, city, service_start FROM site ORDER BY name")
    assert len(sites) == sum(g.count for g in s.site_groups)
    started = 0
    for sid, name, address, postcode, city, start in sites:
        group = name.rsplit("-", 1)[0]
        assert postcode[:2] == next(g.departement for g in s.site_groups if g.name == group)
        blocks = _rows(
            db,
            "SELECT start, size, emergency_address, allocated_by FROM number_block "
            "WHERE site_id = ? AND NOT ported",
            sid,
        )
        if start is None:
            assert blocks == []
            continue
        started += 1
        assert sum(b[1] for b in blocks) == max(0, handsets[group] - ported.get(name, 0)), name
        for first, size, emergency, actor in blocks:
            assert first % size == 0 and actor == "sim"
            assert emergency == f"{address}, {postcode} {city}"
    assert started > 0
    zones = {r[0] for r in _rows(db, "SELECT DISTINCT zone FROM number_block")}
    assert "09" in zones  # the non-geographic group


def test_accounts_and_tenants(small_run):
    """One HA1 account per handset of a started site; one tenant per customer; ALLOcloud's limit from
    the counted users through `centrex capacity`'s function; the others' from the scenario key."""
    db = small_run / "inventory.db"
    tenants = dict(_rows(db, "SELECT name, channel_limit FROM tenant"))
    assert set(tenants) == {
        "Lutèce Conseil",
        "allset-lyon",
        "progetcom-lille",
        "allocloud-bordeaux",
        "allocloud-nantes",
    }
    assert tenants["allset-lyon"] == 2 and tenants["Lutèce Conseil"] == 3
    users = dict(
        _rows(
            db,
            "SELECT t.name, count(*) FROM sip_account a JOIN tenant t ON t.id = a.tenant_id "
            "WHERE a.enabled GROUP BY t.name",
        )
    )
    for name in ("allocloud-bordeaux", "allocloud-nantes"):
        assert tenants[name] == pbx_channel_limit(users[name], load_channel_contract("allocloud"))
    rows = _rows(db, "SELECT a.username, a.ha1, s.name FROM sip_account a JOIN site s ON s.id = a.site_id")
    handsets = {g.name: g.handsets for g in parse_scenario(SMALL).site_groups}
    per_site = Counter(site for _, _, site in rows)
    for site, n in per_site.items():
        assert n == handsets[site.rsplit("-", 1)[0]]
    assert all(len(h) == 32 and int(h, 16) >= 0 for _, h, _ in rows)
    cols = {r[1] for r in _rows(db, "PRAGMA table_info(sip_account)")}
    assert not cols & {"password", "secret"}


def test_porting_reasons_are_the_inventorys(small_run):
    """porting.csv's outcome and reason are the mandate's in the inventory, decided by obl.py."""
    db = small_run / "inventory.db"
    rows = list(csv.DictReader((small_run / "porting.csv").open(encoding="utf-8")))
    assert rows
    for row in rows:
        (state,) = _rows(db, "SELECT state FROM mandate WHERE id = ?", int(row["mandate"]))[0]
        rejects = _rows(
            db,
            "SELECT actor, detail FROM mandate_event WHERE mandate_id = ? AND action = 'reject' ORDER BY id",
            int(row["mandate"]),
        )
        if row["reason"]:
            assert rejects and rejects[0][0] == "obl-sim" and rejects[0][1].startswith(row["reason"])
        else:
            assert not rejects
        expected = {"ported": "resubmitted_ported" if rejects else "ported"}.get(state, state)
        assert row["outcome"] == expected
        if row["ported_at"]:
            assert state == "ported"
    assert any(r["reason"] for r in rows)  # reject: 0.5 in the scenario


def test_audit_trail_in_simulated_time(small_run):
    db = small_run / "inventory.db"
    events = _rows(db, "SELECT at, actor FROM mandate_event")
    assert events and {a for _, a in events} <= {"sim", "obl-sim"}
    assert all(at.startswith("2026-") for at, _ in events)  # the scenario's year, not today's
    blocks = _rows(db, "SELECT allocated_at FROM number_block WHERE allocated_by = 'sim'")
    assert blocks and all(at.startswith("2026-") for (at,) in blocks)


def test_completed_ports_are_site_blocks(small_run):
    """A completed port's numbers are blocks of its site, marked ported, with its address."""
    db = small_run / "inventory.db"
    done = _rows(
        db, "SELECT m.id, s.name FROM mandate m JOIN site s ON s.id = m.site_id WHERE m.state = 'ported'"
    )
    assert done
    mid, site = done[0]
    number = _rows(db, "SELECT e164 FROM mandate_number WHERE mandate_id = ?", mid)[0][0]
    r = cli("numbers", "show", f"+{number}", "--db", db, "--format", "json")
    assert r.returncode == 0, r.stderr
    assert site in r.stdout
    (ported, emergency, address) = _rows(
        db,
        "SELECT b.ported, b.emergency_address, s.address || ', ' || s.postcode || ' ' || s.city "
        "FROM number n JOIN number_block b ON b.id = n.block_id JOIN site s ON s.id = b.site_id "
        "WHERE n.e164 = ?",
        number,
    )[0]
    assert ported and emergency == address


def test_report_has_the_provisioning_section(small_run):
    html = (small_run / "report.html").read_text(encoding="utf-8")
    assert 'id="provisioning"' in html and 'id="table-ranges"' in html
    assert 'id="sip"' in html and "--sip" in html  # not asked: the section says how
    summary = json.loads((small_run / "summary.json").read_text(encoding="utf-8"))
    assert summary["provisioning"]["numbers_exhausted"] == 0
    assert summary["provisioning"]["inventory"] == "inventory.db"


def test_exhausted_ranges_are_an_outcome(tmp_path):
    """Ranges too small: some installs fail with numbers_exhausted, the run completes and counts them."""
    tiny = SMALL.replace('{start: "+33170000000", size: 100}', '{start: "+33170000000", size: 2}')
    out = tmp_path / "run"
    r = cli("run", write(tmp_path, tiny), "--out", out, "--workers", "1")
    assert r.returncode == 0, r.stderr
    prov = json.loads((out / "provisioning.json").read_text(encoding="utf-8"))
    failed = {e["site"] for e in prov["exhausted"]}
    assert failed and all(s.startswith("alleo-paris") for s in failed)
    assert {e["reason"] for e in prov["exhausted"]} == {"numbers_exhausted"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["provisioning"]["numbers_exhausted"] == len(failed)
    db = out / "inventory.db"
    for site in failed:
        assert (
            _rows(
                db,
                "SELECT count(*) FROM number_block b JOIN site s ON s.id = b.site_id WHERE s.name = ?",
                site,
            )[0][0]
            == 0
        )
        assert (
            _rows(
                db,
                "SELECT count(*) FROM sip_account a JOIN site s ON s.id = a.site_id WHERE s.name = ?",
                site,
            )[0][0]
            == 0
        )
    assert "numbers_exhausted" in (out / "report.html").read_text(encoding="utf-8")
    assert cli("db", "check", "--db", db).returncode == 0


# ----- item 7: same seed, same inventory -----------------------------------------------------------------
def _exports(run: Path) -> str:
    db = run / "inventory.db"
    parts = []
    for args in (("numbers", "list"), ("numbers", "list", "--ranges"), ("port", "list")):
        r = cli(*args, "--db", db, "--format", "csv")
        assert r.returncode == 0, r.stderr
        parts.append(r.stdout)
    for (mid,) in _rows(db, "SELECT id FROM mandate ORDER BY id"):
        r = cli("port", "history", str(mid), "--db", db, "--format", "csv")
        assert r.returncode == 0, r.stderr
        parts.append(r.stdout)
    return "\n".join(parts)


def test_same_seed_same_inventory_whatever_workers(tmp_path, small_run):
    out = tmp_path / "two"
    r = cli("run", write(tmp_path), "--out", out, "--workers", "2")
    assert r.returncode == 0, r.stderr
    a, b = _exports(small_run), _exports(out)
    assert a == b
    assert "sim" in a and "+33" in a
    assert (small_run / "porting.csv").read_bytes() == (out / "porting.csv").read_bytes()
    assert io.StringIO(a).readline()  # not empty
