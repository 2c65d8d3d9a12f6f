"""The registration load generator behind `sip load` over UDP: many registering UAs on one socket.

Each flow is one RFC 3261 §10.2 registering UA: for every account it registers, its own Call-ID and
From tag, and a CSeq raised by one per request; a flow has one registration in flight at a time.
The flows are callbacks on the datagram protocol, not coroutines, and one sweep timer drives every
retransmission (timer E: T1 doubling to T2) and timeout: a coroutine, a future and two timers per
transaction cost more CPU than the PBX spends on the request, and the client would measure itself
instead of the PBX. Digest answers come from HA1 (`sip.digest`), as in the user agent (`sip.ua`),
which the checks and the TCP/TLS load use.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

from sip.digest import Challenge, authorization
from sip.ua import T1, T2, Identity

_BRANCH = re.compile(rb"\r\n(?:via|v)[ \t]*:[^\r\n]*?;[ \t]*branch=([^;,\s]+)", re.IGNORECASE)
_CHALLENGE = re.compile(rb"\r\n((?:www|proxy)-authenticate)[ \t]*:[ \t]*([^\r\n]+)", re.IGNORECASE)
SWEEP_S = 0.02
TIMEOUT_CODE = 0


@dataclass
class _Tx:
    """The registration a flow has in flight."""

    flow: int
    account: int
    cseq: int
    data: bytes
    authenticated: bool
    sent_at: float
    next_retransmit: float
    interval: float = T1


@dataclass
class Outcome:
    """Counts of one load: final codes (TIMEOUT_CODE: none in time), datagrams sent, retransmissions."""

    codes: Counter[int] = field(default_factory=Counter)
    sent: int = 0
    retransmissions: int = 0
    seconds: float = 0.0


class RegisterLoad(asyncio.DatagramProtocol):
    """`count` digest REGISTERs over `flows` concurrent flows, request i due at start + i/rate."""

    def __init__(
        self,
        pbx: tuple[str, int],
        host: str,
        idents: list[Identity],
        count: int,
        rate: float,
        flows: int,
        timeout: float,
    ) -> None:
        self.pbx, self.host, self.idents = pbx, host, idents
        self.count, self.rate, self.timeout = count, rate, timeout
        self.flows = max(1, min(flows, count))
        self.outcome = Outcome()
        self.transport: asyncio.DatagramTransport | None = None
        self.port = 0
        self._next = 0
        self._active = 0
        self._pending: dict[bytes, _Tx] = {}
        self._state: dict[tuple[int, int], list] = {}  # (flow, account) -> [call-id, tag, next cseq]
        self._start = 0.0
        self._done: asyncio.Future[Outcome] | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._branch_prefix = "z9hG4bK" + secrets.token_hex(6) + "."  # + a counter: unique, cheap
        self._sent_requests = 0
        self.expires = 300

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        self.transport = transport  # type: ignore[assignment]
        self.port = transport.get_extra_info("sockname")[1]

    async def unregister(self) -> Outcome:
        """Remove the bindings the load left (REGISTER Expires: 0 from the same socket, so the same
        Contact, RFC 3261 §10.3 step 7): a load leaves no binding to a closed socket behind."""
        used = min(self.count, len(self.idents))
        self.count, self.rate, self.flows = used, 0.0, max(1, min(self.flows, used))
        self._next, self.expires, self.outcome = 0, 0, Outcome()
        return await self.run()

    async def run(self) -> Outcome:
        """Drive the whole load; return its outcome."""
        self._loop = asyncio.get_running_loop()
        self._done = self._loop.create_future()
        self._start = time.perf_counter()
        if self.count == 0:
            return self.outcome
        self._active = self.flows
        for k in range(self.flows):
            self._take(k)
        self._sweeper = self._loop.call_later(SWEEP_S, self._sweep)
        try:
            return await self._done
        finally:
            self._sweeper.cancel()

    # -- a flow's life ------------------------------------------------------------------------------
    def _take(self, flow: int) -> None:
        """Give `flow` the next request, when it is due; end the flow when none is left."""
        if self._next >= self.count:
            self._active -= 1
            if self._active == 0 and self._done is not None and not self._done.done():
                self.outcome.seconds = time.perf_counter() - self._start
                self._done.set_result(self.outcome)
            return
        i = self._next
        self._next += 1
        account = i % len(self.idents)
        if self.rate > 0:
            delay = self._start + i / self.rate - time.perf_counter()
            if delay > 0:
                assert self._loop is not None
                self._loop.call_later(delay, self._send, flow, account, None)
                return
        self._send(flow, account, None)

    def _send(self, flow: int, account: int, auth: str | None) -> None:
        ident = self.idents[account]
        state = self._state.get((flow, account))
        if state is None:
            state = [f"{secrets.token_hex(12)}@{self.host}", secrets.token_hex(6), 1]
            self._state[(flow, account)] = state
        call_id, tag, cseq = state
        state[2] = cseq + 1
        self._sent_requests += 1
        branch = f"{self._branch_prefix}{self._sent_requests}"
        aor = f"sip:{ident.username}@{ident.domain}"
        data = (
            f"REGISTER sip:{ident.domain} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {self.host}:{self.port};branch={branch};rport\r\n"
            f"Max-Forwards: 70\r\nFrom: <{aor}>;tag={tag}\r\nTo: <{aor}>\r\n"
            f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
            f"Contact: <sip:{ident.username}@{self.host}:{self.port}>\r\nExpires: {self.expires}\r\n"
            + (f"{auth}\r\n" if auth else "")
            + "Content-Length: 0\r\n\r\n"
        ).encode()
        now = time.perf_counter()
        self._pending[branch.encode()] = _Tx(flow, account, cseq, data, auth is not None, now, now + T1)
        self._emit(data)

    def _emit(self, data: bytes) -> None:
        assert self.transport is not None
        self.outcome.sent += 1
        self.transport.sendto(data, self.pbx)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # noqa: D102
        m = _BRANCH.search(data)
        if m is None or not data.startswith(b"SIP/2.0 "):
            return
        tx = self._pending.get(m.group(1))
        if tx is None:
            return  # a retransmitted answer
        try:
            code = int(data[8:11])
        except ValueError:
            return
        if code < 200:
            return
        del self._pending[m.group(1)]
        if code in (401, 407) and not tx.authenticated:
            challenge = _CHALLENGE.search(data)
            if challenge is not None:
                ident = self.idents[tx.account]
                proxy = challenge.group(1).lower().startswith(b"proxy")
                parsed = Challenge.parse(challenge.group(2).decode(), proxy=proxy)
                value = authorization(
                    parsed,
                    username=ident.username,
                    ha1_hex=ident.ha1,
                    method="REGISTER",
                    uri=f"sip:{ident.domain}",
                )
                self._send(tx.flow, tx.account, f"{parsed.reply_header}: {value}")
                return
        self.outcome.codes[code] += 1
        self._take(tx.flow)

    def _sweep(self) -> None:
        """Retransmit what is due (RFC 3261 §17.1.2.2 timer E) and give up on what timed out."""
        now = time.perf_counter()
        expired = []
        for branch, tx in self._pending.items():
            if now - tx.sent_at >= self.timeout:
                expired.append(branch)
            elif now >= tx.next_retransmit:
                self._emit(tx.data)
                self.outcome.retransmissions += 1
                tx.interval = min(tx.interval * 2, T2)
                tx.next_retransmit = now + tx.interval
        for branch in expired:
            tx = self._pending.pop(branch)
            self.outcome.codes[TIMEOUT_CODE] += 1
            self._take(tx.flow)
        assert self._loop is not None
        self._sweeper = self._loop.call_later(SWEEP_S, self._sweep)


async def register_load(
    pbx: tuple[str, int],
    host: str,
    idents: list[Identity],
    count: int,
    *,
    rate: float = 0.0,
    flows: int = 50,
    timeout: float = 32.0,
) -> Outcome:
    """Run a RegisterLoad on a fresh UDP socket bound to `host`, then remove its bindings."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(
        lambda: RegisterLoad(pbx, host, idents, count, rate, flows, timeout), local_addr=(host, 0)
    )
    try:
        outcome = await proto.run()
        await proto.unregister()
        return outcome
    finally:
        transport.close()
