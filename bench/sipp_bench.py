"""The harness's load client held to SIPp: sustained clean digest-REGISTER rate of each, same PBX, same run.

A sustained clean rate is the highest offered rate held for `--hold` seconds (10) with 0 failures and
under 1 % retransmissions ("held": every REGISTER of the step answered within hold + 1 s). The PBX
runs with pike off (`--no-pike`): from one loopback address both clients would otherwise hit the
same flood limit. Offered rates climb step by step; at each step SIPp 3.6.1 (`sip/sipp/register.xml`,
each call one registering UA) runs first, then `sip load`'s client (`sip.load.drive_registrations`,
one flow per in-flight registration), so both see the same machine load. A client stops climbing
after two unclean steps. Needs `sipp` (apt-get install -y sip-tester); without it only the harness
is measured. Quote `uptime` beside the figures: the machine is shared.

Run: python bench/sipp_bench.py [--rates 500,1000,...] [--hold 10] [--accounts 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sip.checks import Target
from sip.digest import ha1
from sip.inventory import Account, PbxInventory, Tenant
from sip.load import drive_registrations
from sip.pbx import PbxSettings, free_udp_port, start_pbx
from sip.ua import Identity

SCENARIO = Path(__file__).resolve().parent.parent / "sip" / "sipp" / "register.xml"
DOMAIN = "bench.example"
DEFAULT_RATES = "500,1000,1500,2000,2500,3000,3500,4000,4500,5000,5500,6000,7000,8000"


@dataclass(frozen=True)
class Step:
    """One client at one offered rate."""

    client: str
    offered: int
    attempted: int
    ok: int
    failed: int
    retransmissions: int
    seconds: float
    hold: float

    @property
    def retransmission_ratio(self) -> float:
        return self.retransmissions / (2 * self.attempted) if self.attempted else 0.0

    @property
    def clean(self) -> bool:
        held = self.ok == self.attempted and self.seconds <= self.hold + 1.0
        return held and self.failed == 0 and self.retransmission_ratio < 0.01

    def line(self) -> str:
        return (
            f"  {self.client:<8} offered {self.offered:5d}/s  ok {self.ok:6d}/{self.attempted:<6d} "
            f"failed {self.failed:5d}  retrans {100 * self.retransmission_ratio:5.2f} %  "
            f"{self.seconds:5.1f} s  {'clean' if self.clean else 'NOT clean'}"
        )


def bench_inventory(accounts: int) -> tuple[PbxInventory, list[tuple[str, str]]]:
    """One tenant with `accounts` accounts whose passwords SIPp needs (the PBX still holds HA1 only)."""
    creds = [(f"b{i:05d}", f"pw-{i:05d}-{os.getpid()}") for i in range(accounts)]
    inventory = PbxInventory(
        (Tenant("bench", DOMAIN, 10),), tuple(Account(u, "bench", ha1(u, DOMAIN, p)) for u, p in creds)
    )
    return inventory, creds


def run_sipp(sipp: str, target: Target, csv: Path, stat: Path, rate: int, hold: float) -> Step:
    """SIPp at `rate` calls/s (one call = one digest REGISTER) for `hold` seconds."""
    count = int(rate * hold)
    args = [
        sipp, "-sf", str(SCENARIO), "-inf", str(csv), "-i", target.host, "-p", str(free_udp_port()),
        "-r", str(rate), "-m", str(count), "-l", "100000", "-nostdin", "-nd",
        # SIPp signs sip:remote_ip:remote_port unless told; the PBX insists on the Request-URI.
        "-auth_uri", DOMAIN, "-recv_timeout", "5000", "-timeout", f"{int(hold) + 40}s",
        "-trace_stat", "-stf", str(stat), "-fd", "600", f"{target.host}:{target.port}",
    ]  # fmt: skip
    stat.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(args, capture_output=True, text=True, timeout=hold + 60)
    seconds = time.perf_counter() - start
    lines = stat.read_text().splitlines()
    header, last = lines[0].split(";"), lines[-1].split(";")
    value = lambda name: int(last[header.index(name)])  # noqa: E731
    ok = value("SuccessfulCall(C)")
    return Step("SIPp", rate, count, ok, count - ok, value("Retransmissions(C)"), seconds, hold)


def run_harness(target: Target, idents: list[Identity], rate: int, hold: float) -> Step:
    """The harness's client at `rate` REGISTER/s for `hold` seconds."""
    count = int(rate * hold)
    concurrency = max(50, rate // 20)  # room for 50 ms of answers in flight
    load = asyncio.run(
        drive_registrations(target, count, rate=rate, concurrency=concurrency, identities=idents, timeout=5.0)
    )
    return Step("harness", rate, count, load.ok, load.failed, load.retransmissions, load.seconds, hold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default=DEFAULT_RATES)
    parser.add_argument("--hold", type=float, default=10.0)
    parser.add_argument("--accounts", type=int, default=500)
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    sipp = shutil.which("sipp")
    if sipp is None:
        print("sipp is not installed (apt-get install -y sip-tester): measuring the harness alone")
    inventory, creds = bench_inventory(args.accounts)
    idents = [Identity.of(inventory, a) for a in inventory.accounts]
    best = {"SIPp": 0, "harness": 0}
    unclean = {"SIPp": 0, "harness": 0} if sipp else {"SIPp": 2, "harness": 0}
    with (
        tempfile.TemporaryDirectory(prefix="sipp-bench-") as tmp,
        start_pbx(inventory, Path(tmp) / "pbx", PbxSettings(port=0, pike_density=None)) as pbx,
    ):
        target = Target.of(pbx)
        csv = Path(tmp) / "accounts.csv"
        csv.write_text(
            "RANDOM\n"
            + "".join(f"{u};{DOMAIN};[authentication username={u} password={p}]\n" for u, p in creds)
        )
        where = f"PBX {target.host}:{target.port}, pike off, {args.accounts} accounts"
        print(f"{where}; hold {args.hold:.0f} s per step")
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        for rate in rates:
            if all(n >= 2 for n in unclean.values()):
                break
            for client in ("SIPp", "harness"):
                if unclean[client] >= 2:
                    continue
                if client == "SIPp":
                    step = run_sipp(sipp, target, csv, Path(tmp) / "stat.csv", rate, args.hold)  # type: ignore[arg-type]
                else:
                    step = run_harness(target, idents, rate, args.hold)
                print(step.line(), f"(load {os.getloadavg()[0]:.2f})", flush=True)
                if step.clean:
                    best[client] = max(best[client], rate)
                    unclean[client] = 0
                else:
                    unclean[client] += 1
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("sustained clean digest REGISTER rate (pike off, same PBX, same run):")
    if sipp:
        print(f"  SIPp 3.6.1  {best['SIPp']:6d}/s")
    print(f"  harness     {best['harness']:6d}/s", end="")
    if sipp and best["SIPp"]:
        ratio = best["harness"] / best["SIPp"]
        print(f"   ratio {ratio:.2f} (target ≥ 0.90: {'met' if ratio >= 0.9 else 'NOT met'})")
    else:
        print()


if __name__ == "__main__":
    main()
