"""Check a whole fleet on its PBX: every account's registration, every tenant's channel limit, and
the security checks, concurrently in one asyncio loop, with the results written for a run directory.

This is what `centrex run --sip` and `centrex sip check --fleet` call. Registrations share a few UDP
(or TCP/TLS) agents, each account being its own registration flow (RFC 3261 §10.2); the tenants'
limit checks overlap because each one counts only its own tenant's channels (dialog profile). The
registration checks finish before the limit checks start, so no check's binding receives another
check's calls.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from contracts import atomic
from sip import pbx as pbx_mod
from sip.checks import WRONG_HA1, Target, _codes, check_channel_limit, check_name, run_checks_async
from sip.inventory import PbxInventory
from sip.message import uri_of
from sip.report import CheckResult, Report
from sip.ua import Identity, SipTimeout, UserAgent

JSON_FILE = "sip.json"
JUNIT_FILE = "sip-junit.xml"
AGENTS = 8  # sockets (or connections) shared by the registration flows
REGISTRATIONS_AT_ONCE = 200
TENANTS_AT_ONCE = 32


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
            out[kind] = {
                "accounts_checked": len(regs),
                "accounts_registered": sum(c.passed for c in regs),
                "accounts_failed": [c.name.split(":", 1)[1] for c in regs if not c.passed],
                "tenants_checked": len(lims),
                "tenant_limits_held": sum(c.passed for c in lims),
                "tenant_limits_broken": [c.name.split(":", 1)[1] for c in lims if not c.passed],
            }
        security = [c for c in self.report.checks if c.group in ("security", "pyvoip")]
        out["security"] = {c.name: c.passed for c in security}
        return out

    def to_dict(self) -> dict[str, object]:
        """sip.json: the summary, then every check with its evidence."""
        return {"summary": self.summary(), **self.report.to_dict()}

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        """Write sip.json and sip-junit.xml into `out_dir` (atomically); return their paths."""
        import json

        paths = (out_dir / JSON_FILE, out_dir / JUNIT_FILE)
        atomic.write_text(paths[0], json.dumps(self.to_dict(), indent=1) + "\n")
        atomic.write_text(paths[1], self.report.to_junit("centrex.sip.fleet"))
        return paths


async def _register_check(ua: UserAgent, flow: int, ident: Identity) -> tuple[bool, str]:
    """Right HA1 → 200 listing our binding; wrong → 401/403; unregister → 200 without it."""
    mine = ua.contact(ident).strip("<>")
    ok = await ua.register(ident, flow=flow)
    bad = await ua.register(ident, ha1=WRONG_HA1, flow=flow)
    gone = await ua.register(ident, expires=0, flow=flow)
    listed = any(uri_of(c) == mine for c in ok.final.get_all("Contact"))
    still = any(uri_of(c) == mine for c in gone.final.get_all("Contact"))
    passed = ok.code == 200 and listed and bad.code in (401, 403) and gone.code == 200 and not still
    return passed, (
        f"register {_codes(ok.codes)} (binding {'listed' if listed else 'MISSING'}); "
        f"wrong password {_codes(bad.codes)}; unregister {_codes(gone.codes)}"
    )


async def _bounded(
    jobs: list[tuple[str, str, Callable[[], Awaitable[tuple[bool, str]]]]], at_once: int
) -> list[CheckResult]:
    gate = asyncio.Semaphore(at_once)

    async def one(name: str, group: str, fn: Callable[[], Awaitable[tuple[bool, str]]]) -> CheckResult:
        async with gate:
            start = time.perf_counter()
            try:
                passed, evidence = await fn()
            except SipTimeout as exc:
                passed, evidence = False, f"timeout: {exc}"
            except OSError as exc:
                passed, evidence = False, f"transport error: {exc}"
            return CheckResult(name, passed, evidence, time.perf_counter() - start, group)

    return list(await asyncio.gather(*(one(*job) for job in jobs)))


async def check_fleet_async(
    target: Target,
    *,
    transports: tuple[str, ...] = ("udp",),
    security: bool = True,
    pyvoip: bool = False,
) -> FleetReport:
    """Every account registered (right digest accepted, wrong refused) and every tenant's limit checked
    (N up, N+1st refused 503, freed channel reusable) on each transport, then the security checks."""
    inv: PbxInventory = target.inventory
    inv.require_accounts()
    start = time.perf_counter()
    results: list[CheckResult] = []
    accounts = sorted(inv.accounts, key=lambda a: (a.tenant, a.username))
    for kind in transports:
        over = target.over(kind)
        agents = [await over.agent() for _ in range(min(AGENTS, len(accounts)))]
        try:
            jobs = []
            for i, account in enumerate(accounts):
                ident = Identity.of(inv, account)
                jobs.append(
                    (
                        check_name("registration", kind, f"{ident.username}@{ident.domain}"),
                        "registration",
                        lambda ua=agents[i % len(agents)], f=i, idt=ident: _register_check(ua, f, idt),
                    )
                )
            results += await _bounded(jobs, REGISTRATIONS_AT_ONCE)
        finally:
            for ua in agents:
                ua.close()
        limit_jobs = [
            (
                check_name("channel_limit", kind, t.name),
                "channel_limit",
                lambda n=t.name, o=over: check_channel_limit(o, n),
            )
            for t in sorted(inv.tenants, key=lambda t: t.name)
        ]
        results += await _bounded(limit_jobs, TENANTS_AT_ONCE)
    groups = (("security",) if security else ()) + (("pyvoip",) if pyvoip else ())
    if groups:
        extra = await run_checks_async(target, groups=groups, transports=transports)
        results += extra.checks
    return FleetReport(Report(results), time.perf_counter() - start, transports)


def check_fleet(
    pbx: pbx_mod.Pbx | str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    transports: tuple[str, ...] = ("udp",),
    security: bool = True,
    pyvoip: bool = False,
) -> FleetReport:
    """Check the fleet served by `pbx` (a started PBX, or the run directory of one `pbx up` started)
    and, when `out_dir` is given, write sip.json and sip-junit.xml there."""
    handle = pbx if isinstance(pbx, pbx_mod.Pbx) else pbx_mod.attach(pbx)
    result = asyncio.run(
        check_fleet_async(Target.of(handle), transports=transports, security=security, pyvoip=pyvoip)
    )
    if out_dir is not None:
        result.write(Path(out_dir))
    return result
