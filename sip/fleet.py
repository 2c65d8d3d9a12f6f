"""Check a whole fleet on its PBX: every account's registration, every tenant's channel limit, and
the security checks (concurrently in one asyncio loop: `sip.checks.run_checks_async`), with the
results written into a run directory as sip.json and sip-junit.xml.

This is what `centrex run --sip` calls, and `centrex sip check --out-dir DIR` by hand.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contracts import atomic
from sip import pbx as pbx_mod
from sip.checks import Target, check_name, run_checks_async
from sip.report import CheckResult, Report

JSON_FILE = "sip.json"
JUNIT_FILE = "sip-junit.xml"


@dataclass
class FleetReport:
    """Every check of a fleet, and the counts the run report shows."""

    report: Report
    seconds: float
    transports: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return self.report.passed

    def summary(self) -> dict[str, object]:
        """Accounts registered and refused, tenants whose limit held or broke, per transport."""
        out: dict[str, object] = {"passed": self.passed, "seconds": round(self.seconds, 2)}
        for kind in self.transports:
            regs = [c for c in self.report.checks if c.name.startswith(check_name("registration", kind, ""))]
            lims = [c for c in self.report.checks if c.name.startswith(check_name("channel_limit", kind, ""))]
            inter = [c for c in self.report.checks if c.name.startswith(check_name("inter_tenant", kind, ""))]
            out[kind] = {
                "accounts_checked": len(regs),
                "accounts_registered": sum(c.passed for c in regs),
                "accounts_failed": [c.name.split(":", 1)[1] for c in regs if not c.passed],
                "tenants_checked": len(lims),
                "tenant_limits_held": sum(c.passed for c in lims),
                "tenant_limits_broken": [c.name.split(":", 1)[1] for c in lims if not c.passed],
                # the call between two tenants took the channels the PBX's inter_tenant choice says
                # (None: fewer than two tenants with accounts and channels)
                "inter_tenant_held": inter[0].passed if inter else None,
            }
        security = [c for c in self.report.checks if c.group in ("security", "pyvoip")]
        out["security"] = {c.name: c.passed for c in security}
        return out

    def to_dict(self) -> dict[str, object]:
        """sip.json: the summary, then every check with its evidence."""
        return {"summary": self.summary(), **self.report.to_dict()}

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        """Write sip.json and sip-junit.xml into `out_dir` (atomically); return their paths."""
        paths = (out_dir / JSON_FILE, out_dir / JUNIT_FILE)
        atomic.write_text(paths[0], json.dumps(self.to_dict(), indent=1) + "\n")
        atomic.write_text(paths[1], self.report.to_junit("centrex.sip.fleet"))
        return paths


async def check_fleet_async(
    target: Target,
    *,
    transports: tuple[str, ...] = ("udp",),
    security: bool = True,
    pyvoip: bool = False,
    on_result: Callable[[CheckResult], None] | None = None,
) -> FleetReport:
    """Every account registered (right digest accepted, wrong refused) and every tenant's limit checked
    (N up, N+1st refused 503, freed channel reusable) on each transport, then the security checks."""
    start = time.perf_counter()
    groups = (
        ("registration", "channels") + (("security",) if security else ()) + (("pyvoip",) if pyvoip else ())
    )
    groups += ("pbx",)  # last: the PBX still answers (a crash would otherwise read as many failures)
    report = await run_checks_async(target, groups=groups, transports=transports, on_result=on_result)
    return FleetReport(report, time.perf_counter() - start, transports)


def check_fleet(
    pbx: pbx_mod.Pbx | str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    transports: tuple[str, ...] = ("udp",),
    security: bool = True,
    pyvoip: bool = False,
    on_result: Callable[[CheckResult], None] | None = None,
) -> FleetReport:
    """Check the fleet served by `pbx` (a started PBX, or the run directory of one `pbx up` started)
    and, when `out_dir` is given, write sip.json and sip-junit.xml there."""
    handle = pbx if isinstance(pbx, pbx_mod.Pbx) else pbx_mod.attach(pbx)
    result = asyncio.run(
        check_fleet_async(
            Target.of(handle), transports=transports, security=security, pyvoip=pyvoip, on_result=on_result
        )
    )
    if out_dir is not None:
        result.write(Path(out_dir))
    return result


def check_inventory(
    db_url: str,
    *,
    out_dir: str | os.PathLike[str],
    transports: tuple[str, ...] = ("udp",),
    security: bool = True,
) -> FleetReport:
    """The whole SIP stage of a run: start a PBX (free loopback ports, default pike) serving the
    inventory at `db_url`, check its fleet, write sip.json + sip-junit.xml into `out_dir`, stop it."""
    import tempfile

    from sip.inventory import load_inventory

    inventory = load_inventory(db_url)
    with (
        tempfile.TemporaryDirectory(prefix="centrex-sip-") as tmp,
        pbx_mod.start_pbx(
            inventory, Path(tmp) / "pbx", pbx_mod.PbxSettings(port=0), inventory_db=db_url
        ) as pbx,
    ):
        return check_fleet(pbx, out_dir=out_dir, transports=transports, security=security)
