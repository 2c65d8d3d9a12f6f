"""The Provisioning and SIP sections: what the run's inventory holds and what the test PBX made of it.

Read from `provisioning.json` and `sip.json` of the run directory (written by `centrex run`); a run
without them (written before issue 15, or `--sip` not asked) says so instead of showing empty charts.
"""

from __future__ import annotations

from centrex import plots
from centrex.report.common import SMALL, Section, Table
from centrex.report.rundir import Run


def provisioning(run: Run) -> Section:
    """Numbers used per range and zone, blocks, mandates by outcome and reason, ports, exhaustion."""
    p = run.provisioning
    if p is None:
        return Section(
            "provisioning",
            "Provisioning",
            "This run directory has no provisioning.json: it was written without an inventory.",
        )
    zones = list(p["zones"])
    grid = [
        plots.bar_chart(
            "plot-numbers-zones",
            zones,
            {
                "allocated": [p["zones"][z]["allocated"] for z in zones],
                "free": [p["zones"][z]["free"] for z in zones],
            },
            title="Numbers per zone",
            y_label="numbers",
            stacked=True,
            height=240,
            width=SMALL,
        )
    ]
    states = list(p["mandates"])
    if states:
        grid.append(
            plots.bar_chart(
                "plot-mandates",
                states,
                {"mandates": [p["mandates"][s] for s in states]},
                title="Mandates by state in the inventory",
                y_label="mandates",
                height=240,
                width=SMALL,
            )
        )
    ranges = [
        [r["start"], r["zone"], r["kind"], f"{r['size']:,}", f"{r['allocated']:,}", f"{r['free']:,}"]
        for r in p["ranges"]
    ]
    blocks = [[str(b["size"]), b["kind"], f"{b['blocks']:,}"] for b in p["blocks"]]
    rejections = [[r["outcome"], r["reason"], str(r["mandates"])] for r in p["rejections"]]
    exhausted = [[e["site"], e["reason"]] for e in p["exhausted"]]
    sites = p.get("sites") or {}
    moves = p.get("moves") or {"kept_numbers": 0, "new_numbers": 0, "refused": []}
    exhausted += [[m["site"], f"move refused: {m['reason']}"] for m in moves["refused"]]
    intro = (
        f"Replication 0's fleet as the inventory recorded it: {sum(b['blocks'] for b in p['blocks']):,} "
        f"number blocks, {p['ports_completed']} ports completed, {len(p['exhausted'])} installs failed "
        "because no block was left (numbers_exhausted). Rejection reasons are the OBL's own decisions."
    )
    if sites:
        intro += (
            f" Sites at the end: {', '.join(f'{n:,} {s}' for s, n in sites.items())}; moves kept their "
            f"numbers {moves['kept_numbers']} times and got new blocks {moves['new_numbers']} times (the old "
            "ones to quarantine); a terminated site's numbers are in quarantine and its accounts disabled."
        )
    return Section(
        "provisioning",
        "Provisioning",
        intro,
        [],
        [
            Table(
                "table-ranges",
                "Numbers used per range",
                ["first", "zone", "kind", "size", "allocated", "free"],
                ranges,
                {3, 4, 5},
            ),
            Table("table-blocks", "Blocks by size", ["size", "kind", "blocks"], blocks, {0, 2}),
            Table(
                "table-mandate-reasons",
                "Mandates rejected, by outcome and reason",
                ["outcome", "reason", "mandates"],
                rejections,
                {2},
            ),
            Table(
                "table-sites",
                "Sites by state",
                ["state", "sites"],
                [[k, f"{n:,}"] for k, n in sites.items()],
                {1},
            ),
            Table(
                "table-exhausted",
                "Installs or moves failed: numbers exhausted",
                ["site", "reason"],
                exhausted,
            ),
        ],
        grid=grid,
    )


def sip(run: Run) -> Section:
    """Accounts registered and refused; each tenant's channel limit held or broken."""
    s = run.sip
    if s is None:
        return Section(
            "sip",
            "SIP",
            "The fleet was not checked on the test PBX: run `centrex run … --sip` (needs Kamailio).",
        )
    tenants = s["tenants"]
    grid = [
        plots.bar_chart(
            "plot-sip-accounts",
            ["registered", "refused"],
            {"accounts": [s["registered"], s["refused"]]},
            title="SIP accounts (right digest accepted, wrong refused)",
            y_label="accounts",
            height=240,
            width=SMALL,
        ),
        plots.bar_chart(
            "plot-sip-tenants",
            [t["tenant"] for t in tenants],
            {"channel limit": [t["channel_limit"] for t in tenants]},
            title="Tenant channel limits checked",
            y_label="channels",
            height=240,
            width=SMALL,
        ),
    ]
    rows = [
        [t["tenant"], str(t["accounts"]), str(t["channel_limit"]), t["limit"], t["evidence"]] for t in tenants
    ]
    security = [[c["check"], "pass" if c["passed"] else "FAIL"] for c in s["security"]]
    inter = s.get("inter_tenant")
    if inter is not None:  # the call between two tenants, under the PBX's inter_tenant choice
        security.append([inter["check"], ("pass: " if inter["passed"] else "FAIL: ") + inter["evidence"]])
    held = sum(t["limit"] == "held" for t in tenants)
    intro = (
        f"Kamailio started from the run's inventory: {s['registered']:,} of {s['accounts']:,} accounts "
        f"registered with their digest and refused with a wrong one; {held} of {len(tenants)} tenants "
        "held their channel limit (N calls up, the next refused 503, a freed channel reusable)."
    )
    return Section(
        "sip",
        "SIP",
        intro,
        [],
        [
            Table(
                "table-sip-tenants",
                "Channel limit per tenant",
                ["tenant", "accounts", "limit", "result", "evidence"],
                rows,
                {1, 2},
            ),
            Table(
                "table-sip-security",
                "Security checks and the call between tenants",
                ["check", "result"],
                security,
            ),
        ],
        grid=grid,
    )
