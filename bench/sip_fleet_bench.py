"""The SIP stage of a fleet run: every account registered and every tenant's limit checked, timed.

Starts a throwaway Kamailio (default pike on, as `centrex run --sip` does) with a 2,000-account
fleet (200 tenants × 10 accounts, limits 2–5), then, in the same run:
1. a minimal blocking raw-UDP client registering each account once (the baseline: one right digest
   per account, nothing else);
2. `sip.fleet.check_fleet`: each account's right digest accepted, a wrong one refused, the binding
   removed; each tenant's N calls up, the N+1st refused 503, the freed channel reused; the security
   checks — what the run records in sip.json.

Target (issue 15): < 60 s for the fleet check. Run: python bench/sip_fleet_bench.py [--accounts 2000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sip_bench import raw_registers

from sip.fleet import check_fleet
from sip.inventory import build_inventory
from sip.pbx import PbxSettings, start_pbx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--transports", default="udp")
    args = parser.parse_args()
    tenants = max(1, args.accounts // 10)
    inventory = build_inventory(
        {f"t{i}": (2 + i % 4, [f"u{i}x{j}" for j in range(10)]) for i in range(tenants)}
    )
    with (
        tempfile.TemporaryDirectory(prefix="sip-fleet-bench-") as tmp,
        start_pbx(inventory, Path(tmp) / "pbx", PbxSettings(port=0)) as pbx,
    ):
        print(f"{len(inventory.accounts)} accounts, {tenants} tenants; load average {os.getloadavg()[0]:.2f}")
        accounts = [(a.username, inventory.domain_of(a), a.ha1) for a in inventory.accounts]
        start = time.perf_counter()
        raw_registers(pbx.settings.host, pbx.settings.port, accounts, len(accounts))
        raw = time.perf_counter() - start
        start = time.perf_counter()
        report = check_fleet(pbx, out_dir=tmp, transports=tuple(args.transports.split(",")))
        fleet = time.perf_counter() - start
        summary = report.summary()
    print(f"  raw-UDP loop, one REGISTER per account      {raw:6.1f} s   ratio 1.00 (baseline)")
    print(f"  check_fleet (registration, limits, security) {fleet:6.1f} s   ratio {fleet / raw:.2f}")
    for kind in args.transports.split(","):
        row = summary[kind]
        print(
            f"  {kind}: {row['accounts_registered']}/{row['accounts_checked']} accounts registered, "
            f"{row['tenant_limits_held']}/{row['tenants_checked']} tenant limits held"
        )
    print(f"  security: {summary['security']}")
    for check in report.report.checks:
        if not check.passed:
            print(f"  FAILED {check.name}: {check.evidence}")
    print(
        f"  target < 60 s: {'met' if fleet < 60 and report.passed else 'NOT met'} ({fleet:.1f} s, load "
        f"{os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    main()
