"""Calls between tenants on a real Kamailio under the harness choice `inter_tenant` (both | caller)."""

import asyncio
import json
import subprocess
import sys

import pytest

from sip import control
from sip.checks import Target, check_inter_tenant, inter_tenant_pair, run_checks
from sip.choices import InterTenant
from sip.inventory import build_inventory
from sip.pbx import PbxSettings, read_state, render_config
from sip.ua import Identity, UserAgent, settle

pytestmark = pytest.mark.sip


def _ident(target: Target, tenant: str, n: int = 0) -> Identity:
    return Identity.of(target.inventory, target.inventory.accounts_of(tenant)[n])


async def _four_calls_one_twice(target: Target) -> dict[str, object]:
    """four → one twice while one's limit is 1; the channels each tenant holds in between."""
    f1, o2 = _ident(target, "four"), _ident(target, "one", 1)
    async with await UserAgent.open(target.address) as a, await UserAgent.open(target.address) as b:
        await a.register(f1)
        await b.register(o2)
        first = await a.invite(f1, o2.username, o2.domain)
        await settle()
        held = {t: control.tenant_calls(target.fifo, t) for t in ("four", "one")}
        second = await a.invite(f1, o2.username, o2.domain)
        await settle()
        held2 = {t: control.tenant_calls(target.fifo, t) for t in ("four", "one")}
        for call in (first, second):
            if call.state == "up":
                await a.hangup(call)
        await settle()
        left = control.active_calls(target.fifo)
    return {"first": first.codes, "second": second.codes, "held": held, "held2": held2, "left": left}


def test_both_counts_the_callee_tenant_caller_does_not(pbx_factory, bench_inventory):
    both = asyncio.run(_four_calls_one_twice(Target.of(pbx_factory(bench_inventory))))
    caller = asyncio.run(
        _four_calls_one_twice(Target.of(pbx_factory(bench_inventory, inter_tenant=InterTenant.caller)))
    )
    # both (default): the first call holds one channel of each; "one" (limit 1) is then full.
    assert both["first"][-1] == 200 and both["held"] == {"four": 1, "one": 1}
    assert both["second"][-1] == 503 and both["held2"] == {"four": 1, "one": 1}
    # caller: only "four" (limit 4) pays, so "one" receives a second call although its limit is 1.
    assert caller["first"][-1] == 200 and caller["held"] == {"four": 1, "one": 0}
    assert caller["second"][-1] == 200 and caller["held2"] == {"four": 2, "one": 0}
    assert both["left"] == caller["left"] == 0


def test_caller_mode_still_limits_the_caller_tenant(pbx_factory, bench_inventory):
    """one (limit 1) → four: the second call is refused on one's own limit under `caller` too."""
    target = Target.of(pbx_factory(bench_inventory, inter_tenant=InterTenant.caller))

    async def run() -> tuple[list[int], list[int], str | None]:
        o1, f2 = _ident(target, "one"), _ident(target, "four", 1)
        async with await UserAgent.open(target.address) as a, await UserAgent.open(target.address) as b:
            await a.register(o1)
            await b.register(f2)
            first = await a.invite(o1, f2.username, f2.domain)
            second = await a.invite(o1, f2.username, f2.domain)
            await a.hangup(first)
            return first.codes, second.codes, second.final.get("X-Channel-Limit")

    first, second, header = asyncio.run(run())
    assert first[-1] == 200 and second[-1] == 503 and header == "1"


@pytest.mark.parametrize("mode", list(InterTenant))
def test_the_inter_tenant_check_passes_under_the_pbx_choice(pbx_factory, bench_inventory, mode):
    pbx = pbx_factory(bench_inventory, inter_tenant=mode)
    report = run_checks(Target.of(pbx), groups=("channels",))
    by = {c.name: c for c in report.checks}
    check = by["inter_tenant:four->one"]
    assert check.passed, check.evidence
    expected = "1" if mode is InterTenant.both else "0"
    assert f"channels taken four 1, one {expected} (expected 1, {expected})" in check.evidence
    assert report.passed


def test_the_check_fails_when_the_pbx_counts_otherwise(pbx_factory, bench_inventory):
    """The check expects what the target says: a `both` PBX checked as `caller` fails."""
    from dataclasses import replace

    target = replace(Target.of(pbx_factory(bench_inventory)), inter_tenant=InterTenant.caller)
    passed, evidence = asyncio.run(check_inter_tenant(target, "four", "one"))
    assert not passed and "channels taken four 1, one 1 (expected 1, 0)" in evidence


def test_the_pair_needs_two_tenants_with_accounts_and_channels():
    assert inter_tenant_pair(build_inventory({"a": (2, ["x"]), "b": (0, ["y"])})) is None
    assert inter_tenant_pair(build_inventory({"b": (2, ["y"]), "a": (1, ["x"]), "c": (1, [])})) == ("a", "b")


def test_config_and_state_name_the_choice(tmp_path, bench_inventory):
    both = render_config(bench_inventory, PbxSettings(), tmp_path)
    caller = render_config(bench_inventory, PbxSettings(inter_tenant=InterTenant.caller), tmp_path)
    assert "inter_tenant = both" in both and "$sht(domains=>$var(callee_domain))" in both
    assert "inter_tenant = caller" in caller and "$sht(domains=>$var(callee_domain))" not in caller


def test_pbx_up_records_the_choice(kamailio, tmp_path):
    run = tmp_path / "pbx"
    cmd = [sys.executable, "-m", "centrex.cli", "pbx"]
    up = subprocess.run(
        [*cmd, "up", "--demo", "--port", "0", "--run-dir", str(run), "--inter-tenant", "caller"]
        + ["--format", "json"],
        capture_output=True,
        text=True,
    )
    sip = [sys.executable, "-m", "centrex.cli", "sip", "check", "--run-dir", str(run)]
    try:
        assert up.returncode == 0, up.stderr
        assert json.loads(up.stdout)["inter_tenant"] == "caller"
        assert "inter-tenant caller" in up.stderr
        state = read_state(run)
        assert state is not None and state.settings().inter_tenant is InterTenant.caller
        # checked as it was started; asking another rule of a running PBX is refused, nothing checked
        wrong = subprocess.run([*sip, "--inter-tenant", "both"], capture_output=True, text=True)
        assert wrong.returncode == 2 and "the running PBX was started with caller" in wrong.stderr
        assert "PASS" not in wrong.stderr
        ok = subprocess.run([*sip, "--sample", "1", "--format", "json"], capture_output=True, text=True)
        assert ok.returncode == 0, ok.stderr
        checks = {c["name"]: c for c in json.loads(ok.stdout)["checks"]}
        assert "inter_tenant=caller" in checks["inter_tenant:acme->globex"]["evidence"]
    finally:
        subprocess.run([*cmd, "down", "--run-dir", str(run)], capture_output=True, text=True)
    bad = subprocess.run([*cmd, "up", "--demo", "--inter-tenant", "callee"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--inter-tenant" in bad.stderr
