"""`centrex sip load`: drive digest registrations at a rate and concurrent calls across tenants."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass

from contracts.errors import InputError
from sip import control
from sip.checks import Target
from sip.choices import LIMIT_CODE
from sip.pbx import LOG_FILE
from sip.regload import TIMEOUT_CODE, register_load
from sip.ua import TIMER_B, Call, Identity, SipTimeout, settle


@dataclass(frozen=True)
class PikeReport:
    """What the PBX's rate limiter did during a load, read from its own log."""

    flood_drops: int  # requests dropped by the template ("pike: flood from …")
    blocks: int  # pike's own "BLOCKing ip" lines

    @property
    def engaged(self) -> bool:
        """True when pike dropped or blocked anything."""
        return self.flood_drops > 0 or self.blocks > 0


def log_offset(target: Target) -> int:
    """Where the PBX log ends now (read the load's part of it afterwards with `pike_since`)."""
    try:
        return (target.run_dir / LOG_FILE).stat().st_size
    except FileNotFoundError:
        return 0


def pike_since(target: Target, offset: int) -> PikeReport:
    """Count pike's traces in the PBX log written after `offset`."""
    try:
        with open(target.run_dir / LOG_FILE, "rb") as fh:
            fh.seek(offset)
            text = fh.read()
    except FileNotFoundError:
        return PikeReport(0, 0)
    return PikeReport(text.count(b"pike: flood from"), text.count(b"BLOCKing ip"))


@dataclass(frozen=True)
class RegistrationLoad:
    """What the PBX sustained for registrations, with every response code and its count."""

    attempted: int
    ok: int
    failed: int
    seconds: float
    codes: dict[int, int]  # final code -> count; TIMEOUT_CODE counts requests left unanswered
    sent: int = 0
    retransmissions: int = 0
    pike: PikeReport = PikeReport(0, 0)
    offered_rate: float = 0.0

    @property
    def rate(self) -> float:
        """Successful digest REGISTERs per second."""
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    @property
    def timeouts(self) -> int:
        """Requests that got no final response."""
        return self.codes.get(TIMEOUT_CODE, 0)

    @property
    def retransmission_ratio(self) -> float:
        """Retransmitted datagrams per datagram sent."""
        return self.retransmissions / self.sent if self.sent else 0.0

    @property
    def clean(self) -> bool:
        """0 failures and under 1 % retransmissions (what "sustained" asks of a rate)."""
        return self.failed == 0 and self.retransmission_ratio < 0.01


async def drive_registrations(
    target: Target,
    count: int,
    rate: float = 0.0,
    concurrency: int = 50,
    identities: list[Identity] | None = None,
    timeout: float = TIMER_B,
) -> RegistrationLoad:
    """Send `count` digest REGISTERs (cycling over the accounts) at `rate`/s (0: as fast as possible).

    `concurrency` flows run at once; each is its own registering UA (its own Call-ID per account,
    CSeq raised by one per request, never two requests in flight: RFC 3261 §10.2), so concurrent
    REGISTERs of one account never collide. Request i is due at start + i/rate (open loop)."""
    idents = identities or [Identity.of(target.inventory, a) for a in target.inventory.accounts]
    if not idents:
        raise InputError("the inventory has no SIP accounts to register", field="accounts")
    if concurrency < 1:
        raise InputError("--concurrency must be at least 1", field="concurrency")
    offset = log_offset(target)
    if target.transport == "udp":
        outcome = await register_load(
            target.address, target.host, idents, count, rate=rate, flows=concurrency, timeout=timeout
        )
        codes, seconds = outcome.codes, outcome.seconds
        sent, retransmissions = outcome.sent, outcome.retransmissions
    else:
        codes, seconds, sent, retransmissions = await _stream_registrations(
            target, idents, count, rate, concurrency, timeout
        )
    await asyncio.sleep(0.05)  # the log line of a last drop may trail its datagram
    ok = codes.get(200, 0)
    return RegistrationLoad(
        count,
        ok,
        count - ok,
        seconds,
        dict(sorted(codes.items())),
        sent,
        retransmissions,
        pike_since(target, offset),
        rate,
    )


async def _stream_registrations(
    target: Target, idents: list[Identity], count: int, rate: float, concurrency: int, timeout: float
) -> tuple[Counter[int], float, int, int]:
    """The same load over TCP or TLS, through the user agent (one connection, one flow per worker)."""
    codes: Counter[int] = Counter()
    next_index = iter(range(count))
    async with await target.agent(timeout=timeout) as ua:
        start = time.perf_counter()

        async def flow(k: int) -> None:
            for i in next_index:  # one shared iterator: each request is taken by exactly one flow
                if rate > 0:
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                try:
                    codes[(await ua.register(idents[i % len(idents)], flow=k)).code] += 1
                except SipTimeout:
                    codes[TIMEOUT_CODE] += 1

        await asyncio.gather(*(flow(k) for k in range(min(concurrency, max(count, 1)))))
        seconds, sent, retransmissions = time.perf_counter() - start, ua.sent, ua.retransmissions
        # No binding to a closed connection left behind (RFC 3261 §10.3 step 7: Expires 0 removes it).
        with contextlib.suppress(SipTimeout):
            await asyncio.gather(*(ua.unregister(i) for i in idents[: min(count, len(idents))]))
        return codes, seconds, sent, retransmissions


def plan_calls(target: Target, count: int, tenant: str | None = None) -> list[str]:
    """Spread `count` calls over the tenants (round robin over those with a free channel first, then
    the rest, which the PBX must refuse). Tenants without accounts cannot call and are left out."""
    inv = target.inventory
    names = [inv.tenant(tenant).name] if tenant else [t.name for t in inv.tenants]
    names = [n for n in names if inv.accounts_of(n)]
    if count > 0 and not names:
        raise InputError("no tenant has a SIP account to call from", field="tenant")
    room = {n: inv.tenant(n).channel_limit for n in names}
    plan: list[str] = []
    while len(plan) < count and any(room.values()):
        for n in names:
            if room[n] > 0 and len(plan) < count:
                plan.append(n)
                room[n] -= 1
    i = 0
    while len(plan) < count:
        plan.append(names[i % len(names)])
        i += 1
    return plan


async def drive_calls(
    target: Target, count: int, tenant: str | None = None, hold: float = 0.0
) -> dict[str, object]:
    """Set up `count` calls at once across tenants, hold them, count what the PBX accepted and refused.

    A limit refusal is *wrong* when the tenant still had a free channel; an acceptance past the limit is
    an over-admission; anything else (timeout, other code) is a failure. All three must be 0.
    """
    inv = target.inventory
    plan = plan_calls(target, count, tenant)
    async with (
        await target.agent() as callers,
        await target.agent() as callees,
    ):
        pairs: dict[str, tuple[Identity, Identity]] = {}
        for name in dict.fromkeys(plan):
            accounts = inv.accounts_of(name)
            caller = Identity.of(inv, accounts[0])
            callee = Identity.of(inv, accounts[1] if len(accounts) > 1 else accounts[0])
            await callers.register(caller)
            await callees.register(callee)
            pairs[name] = (caller, callee)
        before = control.active_calls(target.fifo)
        start = time.perf_counter()

        async def one(name: str) -> Call | None:
            caller, callee = pairs[name]
            try:
                return await callers.invite(caller, callee.username)
            except SipTimeout:
                return None

        calls = list(await asyncio.gather(*(one(n) for n in plan)))
        setup_seconds = time.perf_counter() - start
        await settle()
        held = control.active_calls(target.fifo) - before
        if hold > 0:
            await asyncio.sleep(hold)
        byes = await asyncio.gather(*(callers.hangup(c) for c in calls if c is not None and c.state == "up"))
        for caller, callee in pairs.values():
            await callers.unregister(caller)
            await callees.unregister(callee)
    per_tenant: dict[str, dict[str, int]] = {}
    for name, call in zip(plan, calls, strict=True):
        row = per_tenant.setdefault(
            name,
            {
                "limit": inv.tenant(name).channel_limit,
                "placed": 0,
                "accepted": 0,
                "refused_at_limit": 0,
                "failed": 0,
            },
        )
        row["placed"] += 1
        if call is not None and call.state in ("up", "ended"):
            row["accepted"] += 1
        elif call is not None and call.code == LIMIT_CODE:
            row["refused_at_limit"] += 1
        else:
            row["failed"] += 1
    # A limit refusal is wrong when fewer calls than the limit were placed for that tenant.
    wrongly_refused = sum(
        max(0, r["refused_at_limit"] - max(0, r["placed"] - r["limit"])) for r in per_tenant.values()
    )
    over_admitted = sum(max(0, r["accepted"] - r["limit"]) for r in per_tenant.values())
    return {
        "calls_placed": count,
        "calls_held": held,
        "calls_accepted": sum(r["accepted"] for r in per_tenant.values()),
        "refused_at_limit": sum(r["refused_at_limit"] for r in per_tenant.values()),
        "wrongly_refused": wrongly_refused,
        "over_admitted": over_admitted,
        "failed": sum(r["failed"] for r in per_tenant.values()),
        "bye_ok": sum(1 for c in byes if c == 200),
        "setup_seconds": round(setup_seconds, 3),
        "tenants": per_tenant,
    }


def load_passed(result: dict[str, object]) -> bool:
    """True when no request failed or timed out, no call was wrongly refused, over-admitted or lost."""
    return all(
        result.get(key, 0) == 0
        for key in ("registrations_failed", "wrongly_refused", "over_admitted", "failed")
    )


def run_load(
    target: Target,
    registrations: int,
    rate: float,
    calls: int,
    tenant: str | None = None,
    hold: float = 0.0,
    concurrency: int = 50,
    timeout: float = TIMER_B,
) -> dict[str, object]:
    """Registrations first, then concurrent calls; one result dict."""
    if registrations < 0 or calls < 0 or rate < 0:
        raise InputError("--registrations, --rate and --calls must be ≥ 0", field="load")
    target.inventory.require_accounts()
    idents = None
    if tenant is not None:
        target.inventory.tenant(tenant)
        idents = [Identity.of(target.inventory, a) for a in target.inventory.accounts_of(tenant)]
        if not idents:
            raise InputError(f"tenant {tenant!r} has no SIP accounts", field="tenant")
    if timeout <= 0:
        raise InputError("--timeout must be positive", field="timeout")

    async def load() -> dict[str, object]:
        reg = await drive_registrations(
            target, registrations, rate, concurrency, identities=idents, timeout=timeout
        )
        return {
            "transport": target.transport,
            "registrations": reg.attempted,
            "registrations_ok": reg.ok,
            "registrations_failed": reg.failed,
            "register_timeouts": reg.timeouts,
            "register_per_second": round(reg.rate, 1),
            "register_codes": {("timeout" if k == TIMEOUT_CODE else str(k)): v for k, v in reg.codes.items()},
            "retransmissions": reg.retransmissions,
            "pike_engaged": reg.pike.engaged,
            "pike_flood_drops": reg.pike.flood_drops,
            "pike_blocks": reg.pike.blocks,
        } | await drive_calls(target, calls, tenant, hold)

    result = asyncio.run(load())
    result["passed"] = load_passed(result)
    return result
