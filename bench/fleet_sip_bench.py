"""The SIP stage of `centrex run --sip` on a 2,000-account fleet, beside a raw-UDP REGISTER loop.

Simulates one replication of a 200-site fleet (10 customers × 20 sites × 10 handsets: five ALLOcloud
tenants limited by their counted users, five ALLSET tenants with 10 contracted channels), provisions it
into a SQLite inventory, then times, in the same run:
1. the SIP stage exactly as `centrex run --sip` runs it: Kamailio started from the inventory, every
   account registered (right digest 200, wrong one refused, unregistered), every tenant's channel
   limit exercised (N up, N+1st 503, freed channel reused), the security checks, PBX stopped;
2. the baseline: a minimal blocking raw-UDP client (bench/sip_bench.py) registering the same accounts
   once each with digest, on a PBX started from the same inventory.

Target (issue 15 §6): the SIP stage < 60 s here. The ratio shows what the checks cost beyond bare
registration (each account gets 3 digest transactions, each tenant N+2 calls, svwar scans).
Run: python bench/fleet_sip_bench.py [--sites-per-group 20] [--handsets 10]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sip_bench import raw_registers

from centrex.provision import pbxstage
from centrex.provision.stage import Stage, provision
from sim.lifecycle import fleet_lifecycle
from sim.scenario import parse_scenario
from sip.inventory import load_inventory
from sip.pbx import PbxSettings, start_pbx

GROUP = (
    '  - {{name: {name}, profile: {profile}, count: {count}, departement: "{dep}", region: r, '
    "handsets: {handsets}, recurring_eur: 100.00, porting: false{extra}}}\n"
)


def scenario_text(per_group: int, handsets: int) -> str:
    deps = ["75", "69", "33", "59", "35"]
    groups = "".join(
        GROUP.format(
            name=f"{profile}-{k}",
            profile=profile,
            count=per_group,
            dep=deps[k],
            handsets=handsets,
            extra=", channels: 10" if profile == "allset" else "",
        )
        for profile in ("allocloud", "allset")
        for k in range(5)
    )
    ranges = "".join(f'    - {{start: "+33{z}70000000", size: 10000}}\n' for z in "12345")
    return (
        "name: fleet-sip-bench\nstart: 2026-01-01\nduration_days: 30\nseed: 1\nreplications: 1\n"
        f"site_groups:\n{groups}"
        "failures: {access_link: {mtbf_hours: 1.0e9}, router: {mtbf_hours: 1.0e9}, "
        "handset: {mtbf_hours: 1.0e9}}\n"
        "repair: {crews: {r: 1}}\n"
        f"numbering:\n  ranges:\n{ranges}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites-per-group", type=int, default=20)
    parser.add_argument("--handsets", type=int, default=10)
    args = parser.parse_args()
    text = scenario_text(args.sites_per_group, args.handsets)
    s = parse_scenario(text, source="<bench>")
    pbxstage.require_kamailio()
    with tempfile.TemporaryDirectory(prefix="centrex-fleet-sip-") as tmp:
        out = Path(tmp)
        (out / "summary.json").write_text("{}", encoding="utf-8")
        lc = fleet_lifecycle(s, s.seed)
        t0 = time.perf_counter()
        stage = Stage(s, "<bench>", text)
        provision(stage, out, lc)
        t_prov = time.perf_counter() - t0
        url = stage.url(out)
        inventory = load_inventory(url)
        accounts = [(a.username, inventory.domain_of(a), a.ha1) for a in inventory.accounts]
        t0 = time.perf_counter()
        figures = pbxstage.check_fleet(url, out)
        t_sip = time.perf_counter() - t0
        with start_pbx(inventory, out / "pbx", PbxSettings(port=0)) as pbx:
            t0 = time.perf_counter()
            raw_registers(pbx.settings.host, pbx.settings.port, accounts, len(accounts))
            t_raw = time.perf_counter() - t0
    held = sum(t["limit"] == "held" for t in figures["tenants"])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"fleet: {len(lc.sites)} sites, {len(accounts)} accounts, {len(figures['tenants'])} tenants")
    print(f"provisioning the inventory (SQLite): {t_prov:6.1f} s")
    print(
        f"SIP stage: {t_sip:6.1f} s  ({figures['registered']}/{figures['accounts']} registered, "
        f"{held}/{len(figures['tenants'])} tenant limits held)   target < 60 s: "
        f"{'met' if t_sip < 60 else 'MISSED'}"
    )
    print(f"raw-UDP REGISTER loop, same accounts: {t_raw:6.1f} s  ({len(accounts) / t_raw:,.0f} REGISTER/s)")
    for t in figures["tenants"]:
        if t["limit"] != "held":
            print(f"  tenant {t['tenant']} (limit {t['channel_limit']}) broken: {t['evidence']}")
    print(f"ratio SIP stage / raw loop: {t_sip / t_raw:.1f}x   load average: {load}")


if __name__ == "__main__":
    main()
