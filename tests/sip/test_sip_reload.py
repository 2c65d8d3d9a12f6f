"""The PBX follows the inventory while it runs: accounts and tenants added through the inventory
commands are served at once (DB-backed auth + htable reload over the control FIFO), without a restart."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from sip import control
from sip.checks import Target, check_channel_limit
from sip.digest import ha1
from sip.inventory import PbxInventory, build_inventory
from sip.reload import reload
from sip.ua import Identity, UserAgent

pytestmark = pytest.mark.sip


def centrex(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "centrex.cli", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **env},
        timeout=300,
    )


async def _register(address: tuple[str, int], ident: Identity) -> list[int]:
    async with await UserAgent.open(address) as ua:
        return (await ua.register(ident)).codes


def test_an_account_added_while_the_pbx_runs_registers(tmp_path):
    from provisioning import accounts, db

    url = f"sqlite:///{tmp_path / 'inv.db'}"
    with db.session_scope(url) as s:
        accounts.add_tenant(s, "acme", "acme.example", 2)
        accounts.add_sip_account(s, "acme", "alice", "pw-alice")
    env = {"CENTREX_PBX_REGISTRY": str(tmp_path / "registry"), "CENTREX_DB": url}
    run = tmp_path / "pbx"
    up = centrex("pbx", "up", "--port", "0", "--run-dir", str(run), "--format", "json", env=env)
    assert up.returncode == 0, up.stderr
    try:
        status = json.loads(up.stdout)
        address = ("127.0.0.1", int(status["address"].split(":")[1]))
        bob = Identity("bob", "acme.example", ha1("bob", "acme.example", "pw-bob"))
        assert asyncio.run(_register(address, bob)) == [401, 401]  # not in the inventory yet

        added = centrex(
            "inventory",
            "add-account",
            "--tenant",
            "acme",
            "--username",
            "bob",
            "--password-stdin",
            env=env,
            stdin="pw-bob\n",
        )
        assert added.returncode == 0, added.stderr
        assert f"PBX {run} reloaded: 2 accounts, 1 tenants (+1" in added.stderr
        assert asyncio.run(_register(address, bob)) == [401, 200]

        # A new tenant, its reload asked for by run directory, and an account in it.
        tenant = centrex(
            "inventory",
            "add-tenant",
            "globex",
            "--domain",
            "globex.example",
            "--channels",
            "1",
            "--run-dir",
            str(run),
            env=env,
        )
        assert tenant.returncode == 0 and "reloaded: 2 accounts, 2 tenants" in tenant.stderr
        centrex(
            "inventory",
            "add-account",
            "--tenant",
            "globex",
            "--username",
            "gus",
            "--password-stdin",
            env=env,
            stdin="pw-gus\n",
        )
        gus = Identity("gus", "globex.example", ha1("gus", "globex.example", "pw-gus"))
        assert asyncio.run(_register(address, gus)) == [401, 200]

        shown = json.loads(
            centrex("pbx", "status", "--run-dir", str(run), "--format", "json", env=env).stdout
        )
        assert (shown["accounts"], shown["tenants"]) == (3, 2)
        assert shown["inventory_db"].endswith("inv.db") and shown["loaded_at"] >= status["loaded_at"]
    finally:
        down = centrex("pbx", "down", "--run-dir", str(run), env=env)
    assert down.returncode == 0
    assert list((tmp_path / "registry").iterdir()) == []


def _without(inventory: PbxInventory, username: str, limit: int) -> PbxInventory:
    from dataclasses import replace

    return PbxInventory(
        tuple(replace(t, channel_limit=limit) for t in inventory.tenants),
        tuple(a for a in inventory.accounts if a.username != username),
    )


def test_a_removed_account_is_refused_and_unbound_and_a_new_limit_holds(pbx_factory):
    inv = build_inventory({"solo": (1, ["a", "b", "c"])})
    served = _without(inv, "c", 2)
    pbx = pbx_factory(inv)
    try:
        c = Identity.of(inv, inv.accounts[2])

        async def scenario() -> tuple[dict, int, int, list[int], tuple[bool, str]]:
            async with await UserAgent.open(pbx.address) as ua:
                await ua.register(c)
                before = control.registered_contacts(pbx.fifo)
                done = reload(pbx.run_dir, served)
                after = control.registered_contacts(pbx.fifo)
                again = (await ua.register(c)).codes
            limit = await check_channel_limit(
                Target(pbx.settings.host, pbx.settings.port, pbx.fifo, served), "solo"
            )
            return done, before, after, again, limit

        done, before, after, again, (held, evidence) = asyncio.run(scenario())
    finally:
        pbx.stop()
    assert (done["removed"], done["accounts"]) == (1, 2)
    assert (before, after) == (1, 0)
    assert again == [401, 401]
    assert held, evidence
    assert "limit 2: 2 calls" in evidence


def test_fleet_stage_from_a_database_checks_every_account_and_tenant(tmp_path):
    """What `centrex run --sip` calls: every account and tenant of the inventory, files in the run dir."""
    from provisioning import accounts, db
    from sip.fleet import check_inventory

    url = f"sqlite:///{tmp_path / 'inv.db'}"
    with db.session_scope(url) as s:
        for t, limit in (("acme", 2), ("globex", 1)):
            accounts.add_tenant(s, t, f"{t}.example", limit)
            for u in ("a1", "a2", "a3"):
                accounts.add_sip_account(s, t, f"{t}-{u}", f"pw-{t}-{u}")
    out = tmp_path / "run"
    out.mkdir()
    report = check_inventory(url, out_dir=out, security=False)
    summary = json.loads((out / "sip.json").read_text())["summary"]
    assert report.passed and summary["udp"]["accounts_registered"] == 6
    assert summary["udp"]["tenant_limits_held"] == 2 and summary["udp"]["tenant_limits_broken"] == []
    assert summary["udp"]["inter_tenant_held"] is True  # acme → globex under the default `both`
    junit = (out / "sip-junit.xml").read_text()
    assert junit.count("<testcase") == 10  # + inter_tenant and pbx:still_answering
    assert 'name="inter_tenant:acme-&gt;globex"' in junit


def test_an_account_disabled_while_the_pbx_runs_is_refused(tmp_path, kamailio):
    from provisioning import accounts, db
    from provisioning.models import SipAccount
    from sip.inventory import load_inventory
    from sip.pbx import PbxSettings, start_pbx

    url = f"sqlite:///{tmp_path / 'inv.db'}"
    with db.session_scope(url) as s:
        accounts.add_tenant(s, "acme", "acme.example", 2)
        accounts.add_sip_account(s, "acme", "ann", "pw-ann")
        accounts.add_sip_account(s, "acme", "ben", "pw-ben")
    ben = Identity("ben", "acme.example", ha1("ben", "acme.example", "pw-ben"))
    with start_pbx(load_inventory(url), tmp_path / "pbx", PbxSettings(port=0), inventory_db=url) as pbx:
        assert asyncio.run(_register(pbx.address, ben)) == [401, 200]
        with db.session_scope(url) as s:
            s.query(SipAccount).filter_by(username="ben").one().enabled = False
        assert [a.username for a in load_inventory(url).accounts] == ["ann"]
        done = reload(pbx.run_dir)
        assert (done["accounts"], done["removed"]) == (1, 1)
        assert control.registered_contacts(pbx.fifo) == 0  # its binding went with it
        assert asyncio.run(_register(pbx.address, ben)) == [401, 401]
