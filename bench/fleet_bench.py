"""Benchmark of provisioning a whole fleet into SQLite through `provisioning.fleet` (the bulk path).

10,000 sites (about 120,000 SDA numbers and as many SIP accounts, one router each, one tenant per
customer) are ordered, given their numbers, tenants and accounts in batches of 500 sites per
transaction, then `db check` runs. Beside it, in the same run and on the same disk, a bare sqlite3
`executemany` inserts the same final rows (customers, sites, equipment, numbers, blocks, tenants,
accounts) into an equally migrated database: the floor any provisioning pays. Figures are wall and
CPU seconds (the machine is shared: CPU time counts only the cycles this process got).
Targets (issue 15): < 30 s for the fleet; ≤ 40× the bare insert. Shown, never asserted.

Run: python bench/fleet_bench.py [--sites 10000] [--batch 500]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provisioning import db, fleet  # noqa: E402
from provisioning.accounts import ha1  # noqa: E402
from provisioning.check import check  # noqa: E402
from provisioning.plan import zone_of_departement  # noqa: E402

AT = datetime(2026, 1, 5, 8, tzinfo=UTC)
POSTCODES = ("75011", "35000", "67000", "69002", "33000", "13001", "59000", "31000")
RANGE_SIZE = 50_000
RANGES = [(f"+33{z}70000000", RANGE_SIZE) for z in "12345"]


def fleet_rows(sites: int) -> tuple[list[fleet.SiteOrder], list[tuple[str, int]], list[fleet.TenantSpec]]:
    """Orders, (site, extensions) with 5…19 extensions (12 on average), one tenant per 5-site customer."""
    orders, extensions, tenants = [], [], []
    for i in range(sites):
        customer = f"Customer {i // 5:05d}"
        if i % 5 == 0:
            tenants.append(
                fleet.TenantSpec(f"t{i // 5:05d}", f"t{i // 5:05d}.pbx.test", customer, "allocloud")
            )
        router = fleet.EquipmentItem("router", f"RT-{i:06d}", date(2026, 1, 2))
        postcode = POSTCODES[i % len(POSTCODES)]
        orders.append(
            fleet.SiteOrder(
                f"S{i:06d}", customer, f"{i} rue du Banc", postcode, "Ville", "allocloud", (router,)
            )
        )
        extensions.append((f"S{i:06d}", 5 + (i * 7) % 15))
    return orders, extensions, tenants


def provision(url: str, sites: int, batch: int) -> tuple[int, int]:
    """Provision the fleet through the fleet API; return (numbers, accounts)."""
    orders, extensions, tenants = fleet_rows(sites)
    numbers = accounts = 0
    for lo in range(0, sites, batch):
        with db.session_scope(url) as s:
            fleet.order_sites(s, orders[lo : lo + batch], at=AT, actor="sim")
            got = fleet.allocate_extensions(s, extensions[lo : lo + batch], at=AT, actor="sim")
            numbers += sum(b.size for blocks in got.blocks.values() for b in blocks)
            fleet.add_tenants(
                s, [t for t in tenants if lo // 5 <= int(t.name[1:]) < (lo + batch) // 5], at=AT, actor="sim"
            )
            specs = [
                fleet.AccountSpec(
                    f"t{int(site[1:]) // 5:05d}",
                    site,
                    f"{site}-{k:02d}",
                    ha1(f"{site}-{k:02d}", f"t{int(site[1:]) // 5:05d}.pbx.test", f"pw{k}"),
                )
                for site, n in extensions[lo : lo + batch]
                for k in range(n)
            ]
            accounts += fleet.add_accounts(s, specs, at=AT, actor="sim")
    return numbers, accounts


def bare_insert(path: Path, sites: int) -> float:
    """Insert the same final rows with sqlite3.executemany, one transaction; return wall seconds."""
    orders, extensions, tenants = fleet_rows(sites)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    stamp = "2026-01-05 08:00:00.000000"
    customers: dict[str, int] = {}
    for o in orders:
        customers.setdefault(o.customer, len(customers) + 1)
    numbers, blocks, accounts = [], [], []
    nxt = {z: int(f"33{z}70000000") for z in "12345"}
    for sid, ((site, n), o) in enumerate(zip(extensions, orders, strict=True), start=1):
        zone = zone_of_departement(o.postcode[:2])
        first = nxt[zone[1]]
        nxt[zone[1]] += n
        blocks.append(
            (
                sid,
                sid,
                first,
                n,
                zone,
                "extensions",
                0,
                f"{o.address}, {o.postcode} {o.city}",
                "allocated",
                stamp,
                "sim",
            )
        )
        numbers += [(e, int(zone[1]), zone, "allocated", sid) for e in range(first, first + n)]
        tenant = int(site[1:]) // 5 + 1
        accounts += [(tenant, f"{site}-{k:02d}", ha1(f"{site}-{k:02d}", "x", "pw"), sid, 1) for k in range(n)]
    free = [
        (e, int(z), f"0{z}", "free", None)
        for z in "12345"
        for e in range(nxt[z], int(f"33{z}70000000") + RANGE_SIZE)
    ]
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO customer (id, name, created_at) VALUES (?, ?, ?)",
        [(i, c, stamp) for c, i in customers.items()],
    )
    conn.executemany(
        "INSERT INTO number_range (id, start, size, zone, kind, created_at, created_by)"
        " VALUES (?, ?, ?, ?, 'operator', ?, 'sim')",
        [(int(z), int(f"33{z}70000000"), RANGE_SIZE, f"0{z}", stamp) for z in "12345"],
    )
    conn.executemany(
        "INSERT INTO site (id, name, customer_id, address, postcode, city, departement, profile, state,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'ordered', ?)",
        [
            (
                k,
                o.site,
                customers[o.customer],
                o.address,
                o.postcode,
                o.city,
                o.postcode[:2],
                o.profile,
                stamp,
            )
            for k, o in enumerate(orders, start=1)
        ],
    )
    conn.executemany(
        "INSERT INTO equipment (site_id, kind, serial, delivery_date, warranty_end)"
        " VALUES (?, 'router', ?, '2026-01-02', '2028-01-02')",
        [(k, o.equipment[0].serial) for k, o in enumerate(orders, start=1)],
    )
    conn.executemany(
        "INSERT INTO number_block (id, site_id, start, size, zone, purpose, ported, emergency_address, state,"
        " allocated_at, allocated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        blocks,
    )
    conn.executemany(
        "INSERT INTO number (e164, range_id, zone, state, block_id) VALUES (?, ?, ?, ?, ?)", numbers + free
    )
    conn.executemany(
        "INSERT INTO tenant (id, name, domain, channel_limit, customer_id, profile)"
        " VALUES (?, ?, ?, 0, ?, 'allocloud')",
        [(k, t.name, t.domain, customers[t.customer]) for k, t in enumerate(tenants, start=1)],
    )
    conn.executemany(
        "INSERT INTO sip_account (tenant_id, username, ha1, site_id, enabled) VALUES (?, ?, ?, ?, ?)",
        accounts,
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        ours, base = Path(tmp) / "inventory.db", Path(tmp) / "baseline.db"
        db.upgrade(str(ours))
        db.upgrade(str(base))
        db.dispose_all()
        bare_s = bare_insert(base, args.sites)
        w0 = time.perf_counter()
        with db.session_scope(str(ours)) as s:
            fleet.declare_ranges(s, RANGES, at=AT, actor="sim")
        ranges_s = time.perf_counter() - w0
        w0, c0 = time.perf_counter(), time.process_time()
        numbers, accounts = provision(str(ours), args.sites, args.batch)
        ours_s, ours_cpu = time.perf_counter() - w0, time.process_time() - c0
        w0 = time.perf_counter()
        with db.session_scope(str(ours)) as s:
            broken = [r.name for r in check(s) if not r.ok]
        check_s = time.perf_counter() - w0
    print(
        f"provision {args.sites:,} sites: {numbers:,} numbers, {accounts:,} accounts, batches of {args.batch}"
    )
    print(
        f"  declare ranges      {ranges_s:8.2f} s wall   ({len(RANGES)} × {RANGE_SIZE:,} numbers, add_range)"
    )
    print(f"  fleet API (bulk)    {ours_s:8.2f} s wall  {ours_cpu:8.2f} s CPU   (target: < 30 s)")
    print(f"  bare executemany    {bare_s:8.2f} s wall   (same final rows, one transaction)")
    total = ranges_s + ours_s
    print(f"  ratio fleet API (ranges included) / bare executemany: {total / bare_s:.1f}x   (target: ≤ 40x)")
    print(
        f"  db check afterwards {check_s:8.2f} s: "
        + ("all invariants hold" if not broken else "BROKEN: " + ", ".join(broken))
    )
    print(f"  load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
