"""SIP harness benchmark: digest REGISTER/s through the harness vs a minimal raw-UDP client, same run.

Starts a throwaway Kamailio on a free loopback port (4 tenants × 50 channels, 10 accounts each), then:
1. REGISTER/s with digest auth: a minimal blocking raw-UDP client (one REGISTER at a time) as the
   baseline, the harness's load client (`sip load`) with one flow, and with 50 flows —
   interleaved over 3 rounds, medians reported with ratios to the baseline;
2. 200 concurrent calls across the tenants, held, counted by the PBX (dialog module), then hung up.

Targets (issue 6): ≥ 500 REGISTER/s through the harness; 200 calls held with 0 wrongly refused.
Run: .venv/bin/python bench/sip_bench.py [--registrations 2000] [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import re
import socket
import statistics
import tempfile
import time
from pathlib import Path

from sip.checks import Target
from sip.inventory import PbxInventory, build_inventory
from sip.load import drive_calls, drive_registrations
from sip.pbx import PbxSettings, start_pbx
from sip.ua import Identity


def bench_inventory() -> PbxInventory:
    """4 tenants with 50 channels each, 10 accounts per tenant (usernames unique)."""
    return build_inventory({f"t{i}": (50, [f"u{i}x{j}" for j in range(10)]) for i in range(4)})


def raw_registers(host: str, port: int, accounts: list[tuple[str, str, str]], count: int) -> float:
    """Minimal blocking raw-UDP client: REGISTER, read the 401, answer it, read the 200. Return REGISTER/s."""
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731, S324
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(2.0)
    lport = sock.getsockname()[1]
    ok = 0
    start = time.perf_counter()
    for i in range(count):
        user, domain, ha1 = accounts[i % len(accounts)]
        base = (
            f"REGISTER sip:{domain} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{lport};branch=z9hG4bKr{i}{{n}};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:{user}@{domain}>;tag=r{i}\r\nTo: <sip:{user}@{domain}>\r\n"
            f"Call-ID: raw{i}@{host}\r\nCSeq: {{n}} REGISTER\r\nContact: <sip:{user}@{host}:{lport}>\r\n"
            f"Expires: 300\r\n{{auth}}Content-Length: 0\r\n\r\n"
        )
        sock.sendto(base.format(n=1, auth="").encode(), (host, port))
        data = sock.recv(65535).decode()
        nonce = re.search(r'nonce="([^"]+)"', data).group(1)  # type: ignore[union-attr]
        realm = re.search(r'realm="([^"]+)"', data).group(1)  # type: ignore[union-attr]
        uri = f"sip:{domain}"
        resp = md5(f"{ha1}:{nonce}:{md5('REGISTER:' + uri)}")
        auth = (
            f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
            f'response="{resp}", algorithm=MD5\r\n'
        )
        sock.sendto(base.format(n=2, auth=auth).encode(), (host, port))
        ok += sock.recv(65535).startswith(b"SIP/2.0 200")
    seconds = time.perf_counter() - start
    sock.close()
    if ok != count:
        raise SystemExit(f"raw client: only {ok}/{count} REGISTERs got 200")
    return ok / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    inventory = bench_inventory()
    with (
        tempfile.TemporaryDirectory(prefix="sip-bench-") as tmp,
        start_pbx(inventory, Path(tmp) / "pbx", PbxSettings(port=0)) as pbx,
    ):
        target = Target.of(pbx)
        idents = [Identity.of(inventory, a) for a in inventory.accounts]
        raw_accounts = [(a.username, inventory.domain_of(a), a.ha1) for a in inventory.accounts]
        raw, seq, conc = [], [], []
        for _ in range(args.rounds):
            raw.append(raw_registers(pbx.settings.host, pbx.settings.port, raw_accounts, args.registrations))
            r1 = asyncio.run(
                drive_registrations(target, args.registrations, concurrency=1, identities=idents)
            )
            r50 = asyncio.run(
                drive_registrations(target, args.registrations, concurrency=50, identities=idents)
            )
            if r1.failed or r50.failed:
                raise SystemExit(f"harness registrations failed: {r1.codes} {r50.codes}")
            seq.append(r1.rate)
            conc.append(r50.rate)
        base = statistics.median(raw)
        print(f"digest REGISTER/s, {args.registrations} per run, median of {args.rounds} interleaved rounds")
        print(f"  raw-UDP minimal client (1 in flight)  {base:8.0f} /s   ratio 1.00 (baseline)")
        for label, rates in (
            ("harness load client (1 flow)", seq),
            ("harness load client (50 flows)", conc),
        ):
            med = statistics.median(rates)
            print(f"  {label:<37}{med:8.0f} /s   ratio {med / base:.2f}")
        best = statistics.median(conc)
        print(
            f"  target ≥ 500 REGISTER/s through the harness: "
            f"{'met' if best >= 500 else 'NOT met'} ({best:.0f}/s)"
        )

        calls = asyncio.run(drive_calls(target, args.calls))
        print(
            f"concurrent calls across {len(inventory.tenants)} tenants (limit 50 each): "
            f"placed {calls['calls_placed']}, "
            f"held {calls['calls_held']} (PBX dialog count), accepted {calls['calls_accepted']}, "
            f"wrongly refused {calls['wrongly_refused']}, over-admitted {calls['over_admitted']}, "
            f"failed {calls['failed']}, BYE 200 {calls['bye_ok']}, set-up time {calls['setup_seconds']} s"
        )
        print(
            f"  target {args.calls} held with 0 wrongly refused: "
            f"{'met' if calls['calls_held'] == args.calls and calls['wrongly_refused'] == 0 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
