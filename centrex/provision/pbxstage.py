"""`centrex run --sip`: Kamailio started from the run's inventory, every account and tenant checked.

Registration of every account (the right digest accepted, a wrong one refused), every tenant's channel
limit (N calls up, the N+1st refused 503, the freed channel reusable), a call between two tenants (the
channels it takes under the PBX's `inter_tenant` choice, default `both`), the security checks; the PBX
is stopped afterwards. Results: sip.json and sip-junit.xml in the run directory.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

SIP_FILE = "sip.json"
JUNIT_FILE = "sip-junit.xml"
REGISTRATIONS_AT_ONCE = 32  # registration checks in flight (each its own UDP socket)


def require_kamailio() -> None:
    """StateError with the one apt-get line when Kamailio is missing (before anything is simulated)."""
    from sip.pbx import kamailio_binary

    kamailio_binary()


def check_fleet(url: str, out: Path, on_result=None) -> dict[str, Any]:
    """Start a PBX from the inventory at `url`, run every check, stop it; write the two result files."""
    from sip.checks import Target
    from sip.inventory import load_inventory
    from sip.pbx import PbxSettings, start_pbx

    inventory = load_inventory(url)
    with (
        tempfile.TemporaryDirectory(prefix="centrex-run-pbx-") as tmp,
        start_pbx(inventory, Path(tmp) / "pbx", PbxSettings(port=0)) as pbx,
    ):
        report = asyncio.run(_check_all(Target.of(pbx), on_result))
    figures = sip_figures(report, inventory)
    (out / SIP_FILE).write_text(
        json.dumps({**figures, **report.to_dict()}, indent=1) + "\n", encoding="utf-8"
    )
    (out / JUNIT_FILE).write_text(report.to_junit("centrex.run.sip"), encoding="utf-8")
    return figures


async def _check_all(target, on_result=None):
    """Every account's registration (a bounded number at once, each on its own socket), then every
    tenant's limit one after the other (each counts the PBX's active calls), then the security checks."""
    from sip.checks import (
        check_channel_limit,
        check_inter_tenant,
        check_registration,
        inter_tenant_pair,
        run_checks_async,
    )
    from sip.report import CheckResult, Report
    from sip.ua import Identity, SipTimeout

    async def _timed(name: str, group: str, fn) -> CheckResult:
        start = time.perf_counter()
        try:
            passed, evidence = await fn()
        except SipTimeout as exc:
            passed, evidence = False, f"timeout: {exc}"
        return CheckResult(name, passed, evidence, time.perf_counter() - start, group)

    gate = asyncio.Semaphore(REGISTRATIONS_AT_ONCE)
    inv = target.inventory

    async def register(account):
        ident = Identity.of(inv, account)
        async with gate:
            result = await _timed(
                f"registration:{ident.username}@{ident.domain}",
                "registration",
                lambda: check_registration(target, ident),
            )
        if on_result is not None:
            on_result(result)
        return result

    accounts = sorted(inv.accounts, key=lambda a: (a.tenant, a.username))
    results = list(await asyncio.gather(*(register(a) for a in accounts)))
    for t in sorted(inv.tenants, key=lambda t: t.name):
        results.append(
            await _timed(
                f"channel_limit:{t.name}", "channel_limit", lambda n=t.name: check_channel_limit(target, n)
            )
        )
    pair = inter_tenant_pair(inv)
    if pair is not None:  # a call between two customers takes the channels the PBX's choice says
        results.append(
            await _timed(
                f"inter_tenant:{pair[0]}->{pair[1]}",
                "inter_tenant",
                lambda: check_inter_tenant(target, *pair),
            )
        )
    results += (await run_checks_async(target, groups=("security",))).checks
    return Report(results)


def sip_figures(report, inventory) -> dict[str, Any]:
    """Accounts registered and refused; each tenant's limit held or broken (the report's SIP section)."""
    reg = [c for c in report.checks if c.group == "registration"]
    tenants = []
    for c in report.checks:
        if c.group == "channel_limit":
            name = c.name.split(":", 1)[1]
            tenants.append(
                {
                    "tenant": name,
                    "channel_limit": inventory.tenant(name).channel_limit,
                    "accounts": len(inventory.accounts_of(name)),
                    "limit": "held" if c.passed else "broken",
                    "evidence": c.evidence,
                }
            )
    security = [{"check": c.name, "passed": c.passed} for c in report.checks if c.group == "security"]
    inter = [
        {"check": c.name, "passed": c.passed, "evidence": c.evidence}
        for c in report.checks
        if c.group == "inter_tenant"
    ]
    return {
        "accounts": len(inventory.accounts),
        "registered": sum(c.passed for c in reg),
        "refused": sum(not c.passed for c in reg),
        "tenants": tenants,
        "security": security,
        "inter_tenant": inter[0] if inter else None,
    }
