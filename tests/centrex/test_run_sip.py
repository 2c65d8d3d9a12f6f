"""`centrex run … --sip` (issue 15 item 5): Kamailio started from the run's own inventory registers every
account and holds every tenant's channel limit; without Kamailio the run refuses before simulating."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from fleet_scenario import cli, write

from sip.choices import APT_INSTALL


@pytest.mark.sip
def test_run_sip_checks_every_account_and_tenant(tmp_path):
    out = tmp_path / "run"
    r = cli("run", write(tmp_path), "--out", out, "--workers", "1", "--sip")
    assert r.returncode == 0, r.stdout + r.stderr
    sip = json.loads((out / "sip.json").read_text(encoding="utf-8"))
    db = out / "inventory.db"
    listed = cli("inventory", "accounts", "--db", db, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    assert sip["accounts"] > 0 and sip["registered"] == sip["accounts"] and sip["refused"] == 0
    assert len(json.loads(listed.stdout)) == sip["accounts"]  # every account of the inventory
    regs = [c for c in sip["checks"] if c["name"].startswith("registration:")]
    assert len(regs) == sip["accounts"]
    assert all("wrong password 401" in c["evidence"] or "wrong password 403" in c["evidence"] for c in regs)
    tenants = {t["tenant"]: t for t in sip["tenants"]}
    assert set(tenants) == {
        "Lutèce Conseil",
        "allset-lyon",
        "progetcom-lille",
        "allocloud-bordeaux",
        "allocloud-nantes",
    }
    for t in tenants.values():
        assert t["limit"] == "held", t
        n = t["channel_limit"]
        assert f"call {n + 1} → " in t["evidence"] and "503" in t["evidence"]
        assert "new call → 200" in t["evidence"]
    assert sip["security"] and all(c["passed"] for c in sip["security"])
    # the first two tenants by name: a call between them takes a channel of each (inter_tenant = both)
    inter = sip["inter_tenant"]
    assert inter["check"] == "inter_tenant:Lutèce Conseil->allocloud-bordeaux" and inter["passed"]
    assert "channels taken Lutèce Conseil 1, allocloud-bordeaux 1 (expected 1, 1)" in inter["evidence"]
    junit = ET.parse(out / "sip-junit.xml").getroot()
    assert int(junit.get("tests")) == len(sip["checks"]) and junit.get("failures") == "0"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["sip"]["accounts_registered"] == sip["accounts"]
    assert summary["sip"]["tenant_limits_broken"] == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="table-sip-tenants"' in html and "allocloud-bordeaux" in html
    assert "sip:" in r.stderr and "tenant limits held" in r.stderr


def test_run_sip_without_kamailio_fails_before_simulating(tmp_path):
    out = tmp_path / "run"
    r = cli("run", write(tmp_path), "--out", out, "--sip", env={"CENTREX_KAMAILIO": str(tmp_path / "none")})
    assert r.returncode != 0
    assert APT_INSTALL in r.stderr and r.stderr.count("\n") <= 2
    assert not out.exists()
    assert "replications" not in r.stderr  # nothing was simulated


def test_run_without_sip_needs_no_kamailio(tmp_path):
    out = tmp_path / "run"
    r = cli("run", write(tmp_path), "--out", out, "-n", "1", env={"CENTREX_KAMAILIO": str(tmp_path / "none")})
    assert r.returncode == 0, r.stderr
    assert (out / "inventory.db").is_file() and not (out / "sip.json").exists()
