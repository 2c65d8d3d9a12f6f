"""The checks of `centrex sip check`: registration, channel limits, security, a pyVoIP phone.

Exact assertions go through the project's own user agent (`sip.ua`); the pyVoIP check shows that a
real softphone library works against the PBX within its limits. Evidence = the SIP codes seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from contracts.errors import InputError
from sip import control, enumeration, fuzz, phone
from sip.choices import LIMIT_CODE, LIMIT_HEADER, InterTenant
from sip.inventory import PbxInventory, build_inventory
from sip.message import new_call_id, new_tag, uri_of
from sip.pbx import Pbx, PbxSettings, free_udp_port, options_ping, start_pbx
from sip.report import CheckResult, Report
from sip.ua import TIMER_B, Call, Identity, SipTimeout, UserAgent, settle

WRONG_HA1 = "0" * 32


@dataclass(frozen=True)
class Target:
    """What the checks talk to: the PBX address on one transport, its control FIFO and its inventory."""

    host: str
    port: int
    fifo: Path
    inventory: PbxInventory
    transport: str = "udp"
    tls_port: int | None = None
    ca_file: Path | None = None
    inter_tenant: InterTenant = InterTenant.both  # the PBX's choice, which the checks then expect

    @classmethod
    def of(cls, pbx: Pbx, transport: str = "udp") -> Target:
        """The target of a started or attached PBX, over `transport` (udp, tcp or tls)."""
        return cls(
            pbx.settings.host,
            pbx.settings.port,
            pbx.fifo,
            pbx.inventory,
            transport,
            pbx.settings.tls_port,
            pbx.ca_file,
            pbx.settings.inter_tenant,
        )

    def over(self, transport: str) -> Target:
        """The same PBX over another transport."""
        return replace(self, transport=transport)

    @property
    def run_dir(self) -> Path:
        """The PBX's run directory (where its FIFO and log are)."""
        return self.fifo.parent

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of this transport's listener (UDP and TCP share the SIP port)."""
        if self.transport == "tls":
            if self.tls_port is None:
                raise InputError("this PBX has no TLS listener", field="transport")
            return (self.host, self.tls_port)
        return (self.host, self.port)

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client context trusting only this PBX run's throwaway CA (TLS), else None."""
        if self.transport != "tls":
            return None
        if self.ca_file is None:
            raise InputError("this PBX has no TLS certificate authority", field="transport")
        return ssl.create_default_context(cafile=str(self.ca_file))

    async def agent(self, *, timeout: float = TIMER_B) -> UserAgent:
        """A new user agent talking to this PBX over this transport."""
        return await UserAgent.open(
            self.address,
            self.host,
            transport=self.transport,
            ssl_context=self.ssl_context(),
            timeout=timeout,
        )


def _codes(codes: list[int]) -> str:
    return "→".join(str(c) for c in codes) or "none"


async def _timed(name: str, group: str, fn: Callable[[], Awaitable[tuple[bool, str]]]) -> CheckResult:
    start = time.perf_counter()
    try:
        passed, evidence = await fn()
    except SipTimeout as exc:
        passed, evidence = False, f"timeout: {exc}"
    except OSError as exc:  # a stream transport refused or reset (TCP/TLS), a TLS verification error
        passed, evidence = False, f"transport error: {exc.__class__.__name__}: {exc}"
    return CheckResult(name, passed, evidence, time.perf_counter() - start, group)


# -- registration --------------------------------------------------------------------------------------


async def check_registration(
    target: Target, ident: Identity, *, ua: UserAgent | None = None, flow: int = 0
) -> tuple[bool, str]:
    """Right HA1 → 200 listing our binding; wrong password → 401/403; unregister → 200 without it.

    The 200 to a REGISTER lists the account's current bindings (RFC 3261 §10.3 step 8): the binding
    of this check must appear, then disappear — other devices of the account may stay registered.
    `ua` shares an agent between checks (each its own registration `flow`); default: a new one.
    """
    async with contextlib.AsyncExitStack() as stack:
        if ua is None:
            ua = await stack.enter_async_context(await target.agent())
        mine = ua.contact(ident).strip("<>")
        ok = await ua.register(ident, flow=flow)
        bad = await ua.register(ident, ha1=WRONG_HA1, flow=flow)
        gone = await ua.register(ident, expires=0, flow=flow)
    listed = any(uri_of(c) == mine for c in ok.final.get_all("Contact"))
    still = any(uri_of(c) == mine for c in gone.final.get_all("Contact"))
    passed = ok.code == 200 and listed and bad.code in (401, 403) and gone.code == 200 and not still
    evidence = (
        f"register {_codes(ok.codes)} (binding {'listed' if listed else 'MISSING'}); "
        f"wrong password {_codes(bad.codes)}; unregister {_codes(gone.codes)} "
        f"(binding {'STILL listed' if still else 'removed'})"
    )
    return passed, evidence


def sample_accounts(inventory: PbxInventory, sample: int | None, tenant: str | None = None) -> list[Identity]:
    """Every account (of `tenant`), or a reproducible sample of `sample` of them."""
    accounts = sorted(inventory.accounts, key=lambda a: (a.tenant, a.username))
    if tenant is not None:
        inventory.tenant(tenant)
        accounts = [a for a in accounts if a.tenant == tenant]
    if sample is not None:
        if sample < 1:
            raise InputError("--sample must be at least 1", field="sample")
        if sample < len(accounts):
            accounts = sorted(random.Random(0).sample(accounts, sample), key=lambda a: (a.tenant, a.username))
    return [Identity.of(inventory, a) for a in accounts]


# -- channel limits --------------------------------------------------------------------------------------


async def _hangup_all(ua: UserAgent, calls: list[Call]) -> None:
    await asyncio.gather(*(ua.hangup(c) for c in calls if c.state == "up"))


async def _settled_count(count: Callable[[], int], expected: int, within: float = 5.0) -> int:
    """Poll `count()` until it equals `expected` (a relayed BYE may land a moment later)."""
    deadline = time.monotonic() + within
    value = count()
    while value != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        value = count()
    return value


async def check_channel_limit(target: Target, tenant: str) -> tuple[bool, str]:
    """004 §11.d: N calls up, the N+1st refused 503 with the limit header, a freed channel reusable."""
    inv = target.inventory
    limit = inv.tenant(tenant).channel_limit
    accounts = inv.accounts_of(tenant)
    if not accounts:
        return False, f"tenant {tenant} has no SIP account: its limit cannot be exercised"
    caller = Identity.of(inv, accounts[0])
    callee = Identity.of(inv, accounts[1] if len(accounts) > 1 else accounts[0])
    async with (
        await target.agent() as a,
        await target.agent() as b,
    ):
        regs = [await a.register(caller), await b.register(callee)]
        if any(r.code != 200 for r in regs):
            return False, f"registration failed: {[_codes(r.codes) for r in regs]}"
        count = lambda: control.tenant_calls(target.fifo, tenant)  # noqa: E731
        before = count()
        calls = list(await asyncio.gather(*(a.invite(caller, callee.username) for _ in range(limit))))
        up = [c for c in calls if c.state == "up"]
        await settle()
        active = count() - before
        extra = await a.invite(caller, callee.username)
        header = extra.final.get(LIMIT_HEADER) if extra.final is not None else None
        reuse_code, freed = None, None
        if up:
            freed = await a.hangup(up.pop())
            await settle()
            again = await a.invite(caller, callee.username)
            reuse_code = again.code
            if again.state == "up":
                up.append(again)
        await _hangup_all(a, up)
        await settle()
        after = await _settled_count(count, before) - before
        await a.unregister(caller)
        if callee != caller:
            await b.unregister(callee)
    codes = sorted({c.code for c in calls if c.code is not None})
    passed = (
        len([c for c in calls if c.code == 200]) == limit
        and active == limit
        and extra.code == LIMIT_CODE
        and header == str(limit)
        and (limit == 0 or (freed == 200 and reuse_code == 200))
        and after == 0
    )
    evidence = (
        f"limit {limit}: {limit} calls → {codes or 'none'} ({active} dialogs up); call {limit + 1} → "
        f"{_codes(extra.codes)} '{extra.final.reason if extra.final else ''}' {LIMIT_HEADER}: {header}; "
        f"BYE → {freed}, new call → {reuse_code}; dialogs left {after}"
    )
    return passed, evidence


def inter_tenant_pair(inventory: PbxInventory) -> tuple[str, str] | None:
    """The first two tenants (by name) that have an account and a free channel: who calls whom in the
    inter-tenant check; None when the inventory has fewer than two such tenants."""
    able = [t.name for t in sorted(inventory.tenants, key=lambda t: t.name)]
    able = [n for n in able if inventory.accounts_of(n) and inventory.tenant(n).channel_limit > 0]
    return (able[0], able[1]) if len(able) >= 2 else None


async def check_inter_tenant(target: Target, caller_tenant: str, callee_tenant: str) -> tuple[bool, str]:
    """A call from one tenant to another takes a channel of the caller's tenant, and of the callee's
    only under `inter_tenant = both` (the PBX's harness choice); hung up, both counts return."""
    inv = target.inventory
    caller = Identity.of(inv, inv.accounts_of(caller_tenant)[0])
    callee = Identity.of(inv, inv.accounts_of(callee_tenant)[0])
    expected = 1 if target.inter_tenant is InterTenant.both else 0

    def counts() -> tuple[int, int]:
        fifo = target.fifo
        return control.tenant_calls(fifo, caller_tenant), control.tenant_calls(fifo, callee_tenant)

    async with await target.agent() as a, await target.agent() as b:
        regs = [await a.register(caller), await b.register(callee)]
        if any(r.code != 200 for r in regs):
            return False, f"registration failed: {[_codes(r.codes) for r in regs]}"
        before = counts()
        call = await a.invite(caller, callee.username, callee.domain)
        await settle()
        during = (  # polled, as the counts after the BYE are: a loaded PBX may count a moment later
            await _settled_count(lambda: counts()[0], before[0] + 1),
            await _settled_count(lambda: counts()[1], before[1] + expected),
        )
        bye = await a.hangup(call) if call.state == "up" else None
        await settle()
        after = (
            await _settled_count(lambda: counts()[0], before[0]) - before[0],
            await _settled_count(lambda: counts()[1], before[1]) - before[1],
        )
        await a.unregister(caller)
        await b.unregister(callee)
    took = (during[0] - before[0], during[1] - before[1])
    passed = call.code == 200 and took == (1, expected) and bye == 200 and after == (0, 0)
    evidence = (
        f"inter_tenant={target.inter_tenant.value}: {caller.username}@{caller_tenant} → "
        f"{callee.username}@{callee_tenant} {_codes(call.codes)}; channels taken {caller_tenant} "
        f"{took[0]}, {callee_tenant} {took[1]} (expected 1, {expected}); BYE → {bye}; "
        f"left {after[0]}, {after[1]}"
    )
    return passed, evidence


# -- security --------------------------------------------------------------------------------------------


async def check_enumeration(target: Target) -> tuple[bool, str]:
    """svwar (REGISTER and INVITE scans, real usernames in its dictionary) finds no extension."""
    users = sorted({a.username for a in target.inventory.accounts})
    results = [
        await asyncio.to_thread(enumeration.scan, target.host, target.port, users, m)
        for m in ("REGISTER", "INVITE")
    ]
    passed = all(r.found_nothing for r in results)
    evidence = "; ".join(
        f"svwar {r.method} ({len(users)} real + decoy names): "
        + ("found nothing" if r.found_nothing else f"FOUND {', '.join(r.found) or '?'}")
        for r in results
    )
    return passed, evidence


async def check_malformed(target: Target) -> tuple[bool, str]:
    """Hostile packets (scapy) leave the PBX answering OPTIONS."""
    sport = free_udp_port(target.host)
    packets = fuzz.payloads(target.host, target.port, sport)
    how = await asyncio.to_thread(fuzz.send_all, target.host, target.port, packets, sport)
    await settle(0.2)
    codes = [options_ping(target.host, target.port) for _ in range(3)]
    passed = all(c == 200 for c in codes)
    biggest = max(len(p) for _, p in packets)
    evidence = (
        f"{len(packets)} packets via {how} ({', '.join(n for n, _ in packets)}; largest {biggest} B); "
        f"then OPTIONS → {', '.join(str(c) for c in codes)}"
    )
    return passed, evidence


async def check_unauthenticated(target: Target) -> tuple[bool, str]:
    """An INVITE without credentials is refused (401/407) and sets up no dialog."""
    inv = target.inventory
    account = inv.accounts[0]
    ident = Identity.of(inv, account)
    async with await target.agent() as ua:
        await ua.register(ident)
        before = control.active_calls(target.fifo)
        call = await ua.invite(ident, ident.username, authenticate=False)
        spoof = await ua.invite(Identity(ident.username, ident.domain, WRONG_HA1), ident.username)
        await settle()
        after = control.active_calls(target.fifo)
        await ua.unregister(ident)
    passed = call.code in (401, 407) and spoof.code in (401, 403, 407) and after == before
    evidence = (
        f"INVITE without credentials → {_codes(call.codes)}; with a wrong password → "
        f"{_codes(spoof.codes)}; dialogs created {after - before}"
    )
    return passed, evidence


async def check_open_relay(target: Target) -> tuple[bool, str]:
    """Requests for foreign domains are refused, even from an authenticated account."""
    inv = target.inventory
    ident = Identity.of(inv, inv.accounts[0])
    async with await target.agent() as ua:
        call = await ua.invite(ident, "someone", "relay.example.net")
        reg = await ua.register(Identity(ident.username, "relay.example.net", ident.ha1))
        # A forged in-dialog request: to-tag + a Route through the PBX towards a foreign target.
        forged = Call(
            new_call_id(target.host),
            ident.aor,
            new_tag(),
            "sip:victim@relay.example.net",
            "caller",
            remote_tag=new_tag(),
            remote_target="sip:victim@relay.example.net",
            route_set=[f"<sip:{target.host}:{target.port};lr>"],
            state="up",
        )
        bye, _ = await ua.transact(ua.in_dialog(forged, "BYE", cseq=2))
    passed = call.code == 403 and reg.code == 403 and bye.code == 403
    evidence = (
        f"INVITE sip:someone@relay.example.net → {_codes(call.codes)}; "
        f"REGISTER foreign domain → {_codes(reg.codes)}; forged in-dialog BYE via the PBX → {bye.code}"
    )
    return passed, evidence


# -- pyVoIP ------------------------------------------------------------------------------------------------


async def check_pyvoip(target: Target) -> tuple[bool, str]:
    """A pyVoIP phone registers and calls an extension of its tenant; the call is answered and hung up."""
    inv = target.inventory
    counts: dict[str, int] = {}
    for a in inv.accounts:
        counts[a.username] = counts.get(a.username, 0) + 1
    # pyVoIP sends the PBX address as its domain: only a username unique across tenants resolves a realm,
    # and the tenant needs a free channel.
    candidates = [
        a
        for a in sorted(inv.accounts, key=lambda a: (a.tenant, a.username))
        if counts[a.username] == 1 and inv.tenant(a.tenant).channel_limit > 0
    ]
    if not candidates:
        return False, "no account with a username unique across tenants in a tenant with channels"
    account = candidates[0]
    mates = [a for a in inv.accounts_of(account.tenant) if a.username != account.username]
    callee = Identity.of(inv, mates[0] if mates else account)
    async with await target.agent() as ua:
        reg = await ua.register(callee)
        seen: list[str] = []
        ua.on_request = lambda req: seen.append(req.method)
        before = control.active_calls(target.fifo)
        outcome = await asyncio.to_thread(
            phone.register_and_call, target.host, target.port, account.username, account.ha1, callee.username
        )
        left = await control.wait_active(target.fifo, before) - before
        for _ in range(100):  # the BYE relayed to our callee may land a moment later
            if "BYE" in seen:
                break
            await asyncio.sleep(0.05)
        await ua.unregister(callee)
    passed = (
        reg.code == 200
        and outcome.registered
        and outcome.call_state == "ANSWERED"
        and outcome.hung_up
        and "INVITE" in seen
        and "BYE" in seen
        and left == 0
    )
    evidence = (
        f"pyVoIP {account.username}@{account.tenant}: registered={outcome.registered}, call to "
        f"{callee.username} {outcome.call_state}, hung up={outcome.hung_up}; our callee saw "
        f"{'/'.join(dict.fromkeys(seen)) or 'nothing'}; dialogs left {left}"
        + (f"; {outcome.detail}" if outcome.detail else "")
    )
    return passed, evidence


# -- the whole run ---------------------------------------------------------------------------------------


def check_name(group: str, transport: str, subject: str) -> str:
    """`registration:alice@acme.demo` over UDP, `registration[tls]:alice@acme.demo` over TLS."""
    return f"{group}:{subject}" if transport == "udp" else f"{group}[{transport}]:{subject}"


async def check_tls_refuses_plain_tcp(target: Target) -> tuple[bool, str]:
    """A plain-TCP client on the TLS port gets no SIP answer: no registration without TLS."""
    host, port = target.over("tls").address
    ident = Identity.of(target.inventory, target.inventory.accounts[0])
    plain = Target(host, port, target.fifo, target.inventory, "tcp")
    try:
        async with await plain.agent(timeout=2.0) as ua:
            result = await ua.register(ident)
            outcome = f"answered {_codes(result.codes)}"
            passed = False
    except SipTimeout:
        outcome, passed = "no SIP answer (the TLS listener reads a plain REGISTER as a bad handshake)", True
    except OSError as exc:
        outcome, passed = f"connection refused or reset ({exc.__class__.__name__})", True
    return passed, f"plain-TCP REGISTER to the TLS port {port}: {outcome}"


Job = tuple[str, str, Callable[[], Awaitable[tuple[bool, str]]]]
AGENTS = 8  # agents (sockets or connections) shared by the registration checks of one transport
REGISTRATIONS_AT_ONCE = 200
TENANTS_AT_ONCE = 32


async def _concurrently(
    jobs: list[Job], at_once: int, on_result: Callable[[CheckResult], None] | None
) -> list[CheckResult]:
    """Run `jobs` with at most `at_once` in flight; results in the jobs' order."""
    gate = asyncio.Semaphore(at_once)

    async def one(name: str, group: str, fn: Callable[[], Awaitable[tuple[bool, str]]]) -> CheckResult:
        async with gate:
            result = await _timed(name, group, fn)
        if on_result is not None:
            on_result(result)
        return result

    return list(await asyncio.gather(*(one(*job) for job in jobs)))


async def run_checks_async(
    target: Target,
    *,
    sample: int | None = None,
    tenant: str | None = None,
    groups: tuple[str, ...] = ("registration", "channels", "security", "pyvoip", "pbx"),
    on_result: Callable[[CheckResult], None] | None = None,
    transports: tuple[str, ...] = ("udp",),
) -> Report:
    """Run the selected check groups and return the report; registration and channel-limit checks run
    on each of `transports`.

    Concurrency, in one asyncio loop: the registration checks share a few agents (each account its
    own registration flow); the tenants' limit checks overlap, each counting only its own tenant's
    channels. Registrations finish before the limit checks start, so no check's binding receives
    another check's calls; the security and pyVoIP checks run last, one at a time."""
    target.inventory.require_accounts()
    tenants = [target.inventory.tenant(tenant).name] if tenant else [t.name for t in target.inventory.tenants]
    results: list[CheckResult] = []
    for kind in transports:
        over = target.over(kind)
        if "registration" in groups:
            idents = sample_accounts(target.inventory, sample, tenant)
            agents = [await over.agent() for _ in range(min(AGENTS, len(idents)))]
            try:
                jobs: list[Job] = [
                    (
                        check_name("registration", kind, f"{ident.username}@{ident.domain}"),
                        "registration",
                        lambda i=ident, n=n, t=over, a=agents: check_registration(
                            t, i, ua=a[n % len(a)], flow=n
                        ),
                    )
                    for n, ident in enumerate(idents)
                ]
                results += await _concurrently(jobs, REGISTRATIONS_AT_ONCE, on_result)
            finally:
                for ua in agents:
                    ua.close()
        if "channels" in groups:
            jobs = [
                (
                    check_name("channel_limit", kind, name),
                    "channel_limit",
                    lambda n=name, t=over: check_channel_limit(t, n),
                )
                for name in tenants
            ]
            results += await _concurrently(jobs, TENANTS_AT_ONCE, on_result)
            pair = None if tenant else inter_tenant_pair(target.inventory)
            if pair is not None:  # after the limit checks: it takes channels of two tenants
                results += await _concurrently(
                    [
                        (
                            check_name("inter_tenant", kind, f"{pair[0]}->{pair[1]}"),
                            "inter_tenant",
                            lambda t=over, p=pair: check_inter_tenant(t, *p),
                        )
                    ],
                    1,
                    on_result,
                )
    plan: list[Job] = []
    if "security" in groups and "tls" in transports:
        plan.append(
            ("security:tls_refuses_plain_tcp", "security", lambda: check_tls_refuses_plain_tcp(target))
        )
    if "security" in groups:
        plan += [
            ("security:unauthenticated_invite", "security", lambda: check_unauthenticated(target)),
            ("security:open_relay", "security", lambda: check_open_relay(target)),
            ("security:enumeration", "security", lambda: check_enumeration(target)),
            ("security:malformed_packets", "security", lambda: check_malformed(target)),
        ]
    if "pyvoip" in groups:
        plan.append(("pyvoip:register_and_call", "pyvoip", lambda: check_pyvoip(target)))
    if "pbx" in groups:
        plan.append(("pbx:still_answering", "pbx", lambda: check_still_answering(target)))
    results += await _concurrently(plan, 1, on_result)
    return Report(results)


async def check_still_answering(target: Target) -> tuple[bool, str]:
    """After every check the PBX still answers OPTIONS; if not, say what its log says (a crash shows
    as a cascade of refused connections in the checks before)."""
    code = await asyncio.to_thread(options_ping, target.host, target.port)
    if code == 200:
        return True, "OPTIONS → 200"
    try:
        lines = (target.run_dir / "kamailio.log").read_text(errors="replace").splitlines()
    except FileNotFoundError:
        lines = []
    why = [line.strip() for line in lines if any(w in line for w in ("signal", "CRITICAL", "ALERT"))][-3:]
    return (
        False,
        f"OPTIONS → {code}: the PBX stopped answering; kamailio.log: {' | '.join(why) or 'no reason'}",
    )


def run_checks(target: Target, **kw: object) -> Report:
    """Synchronous wrapper of `run_checks_async`."""
    return asyncio.run(run_checks_async(target, **kw))  # type: ignore[arg-type]


# -- the capacity helper's API ----------------------------------------------------------------------


def verify_channel_limit(limit: int, *, extra: int = 1) -> dict[str, object]:
    """Start a throwaway PBX with one tenant limited to `limit` channels, place `limit + extra` calls at
    once, and return what happened: {limit, attempted, accepted, refused, refusal_codes, limit_header,
    active_at_peak}. Used by `centrex capacity verify --users N`."""
    if limit < 0:
        raise InputError("channel limit must be ≥ 0", field="limit")
    inventory = build_inventory({"verify": (limit, ["caller", "callee"])})
    with (
        tempfile.TemporaryDirectory(prefix="centrex-verify-") as tmp,
        start_pbx(inventory, Path(tmp) / "pbx", PbxSettings(port=0)) as pbx,
    ):
        return asyncio.run(_verify(Target.of(pbx), limit, extra))


def channel_limit_held(result: dict[str, object]) -> bool:
    """Whether a `verify_channel_limit` result passes: exactly `limit` calls accepted, every one beyond
    refused (004 §11.d: the tenant gets its allowance, no more)."""
    limit = result["limit"]
    return result["accepted"] == limit and result["refused"] == result["attempted"] - limit


async def _verify(target: Target, limit: int, extra: int) -> dict[str, object]:
    inv = target.inventory
    caller, callee = (Identity.of(inv, a) for a in inv.accounts_of("verify"))
    async with (
        await target.agent() as a,
        await target.agent() as b,
    ):
        await a.register(caller)
        await b.register(callee)
        calls = list(await asyncio.gather(*(a.invite(caller, callee.username) for _ in range(limit + extra))))
        await settle()
        peak = control.active_calls(target.fifo)
        refused = [c for c in calls if c.state != "up"]
        await _hangup_all(a, calls)
    headers = sorted(
        {c.final.get(LIMIT_HEADER) for c in refused if c.final is not None and c.final.get(LIMIT_HEADER)}
    )
    return {
        "limit": limit,
        "attempted": len(calls),
        "accepted": len(calls) - len(refused),
        "refused": len(refused),
        "refusal_codes": sorted({c.code for c in refused if c.code}),
        "limit_header": headers[0] if headers else None,
        "active_at_peak": peak,
    }
