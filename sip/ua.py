"""A small asyncio SIP user agent (UDP, TCP or TLS) for exact assertions against the test PBX.

One socket or connection can act for many identities (each identity's Contact carries its username). As a
client it registers, unregisters, places calls and hangs up, answering 401 *and* 407 digest challenges
from HA1 (no password needed), sending the hop-by-hop ACK for a non-2xx final response and a proper
ACK/BYE along the Record-Route set for a 2xx (RFC 3261 §13, §17.1.1.3). As a server it answers every
INVITE at once with 200 OK + SDP, answers BYE, CANCEL and OPTIONS. Retransmits over UDP (timer A/E);
over TCP and TLS (asyncio streams, `ssl`) it retransmits nothing (RFC 3261 §17.1.1.2) and frames
messages by Content-Length (§18.3).

Registrations follow RFC 3261 §10.2: a UA keeps one Call-ID for its registrations of an address of
record and raises the CSeq by one each time. A *flow* is one such UA: `register(..., flow=k)` keeps
the Call-ID and CSeq of flow k apart from every other flow, so concurrent flows never reuse a CSeq.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from sip.digest import Challenge, authorization
from sip.inventory import Account, PbxInventory
from sip.message import (
    SipMessage,
    SipParseError,
    new_branch,
    new_call_id,
    new_tag,
    request,
    response_to,
    tag_of,
    uri_of,
)

T1 = 0.5
T2 = 4.0
TIMER_B = 64 * T1  # RFC 3261 §17.1.1.2: how long a client transaction waits for a final response
RECEIVE_BUFFER_BYTES = 4 << 20  # per UDP socket (the kernel caps it at net.core.rmem_max)


TRANSPORTS = ("udp", "tcp", "tls")
_MAX_MESSAGE = 65535


class SipTimeout(Exception):
    """No final response arrived in time."""


@dataclass(frozen=True)
class Identity:
    """Who the agent acts as: username, SIP domain (the realm) and HA1."""

    username: str
    domain: str
    ha1: str

    @classmethod
    def of(cls, inventory: PbxInventory, account: Account) -> Identity:
        """Return the identity of an inventory account."""
        return cls(account.username, inventory.domain_of(account), account.ha1)

    @property
    def aor(self) -> str:
        """The address of record, sip:user@domain."""
        return f"sip:{self.username}@{self.domain}"


@dataclass
class Result:
    """The outcome of a client request: final response and every code seen (the evidence)."""

    final: SipMessage
    codes: list[int]

    @property
    def code(self) -> int:
        """The final status code."""
        return self.final.code


@dataclass
class Call:
    """One dialog, on the caller or the callee side."""

    call_id: str
    local_uri: str
    local_tag: str
    remote_uri: str
    role: str  # "caller" | "callee"
    remote_tag: str | None = None
    remote_target: str | None = None
    route_set: list[str] = field(default_factory=list)
    local_cseq: int = 1
    invite_cseq: int = 1
    state: str = "calling"  # calling | up | refused | ended
    codes: list[int] = field(default_factory=list)
    final: SipMessage | None = None
    ack: bytes | None = None

    @property
    def code(self) -> int | None:
        """Final status code of the INVITE (None while calling)."""
        return self.final.code if self.final is not None else None


@dataclass
class _Tx:
    """A pending client transaction."""

    data: bytes
    future: asyncio.Future[SipMessage]
    invite: bool
    codes: list[int] = field(default_factory=list)
    interval: float = T1
    timer: asyncio.TimerHandle | None = None
    expiry: asyncio.TimerHandle | None = None


_SDP = (
    "v=0\r\no=centrex 1 1 IN IP4 {host}\r\ns=centrex-lab\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
    "m=audio {rtp} RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n"
)


class UserAgent(asyncio.DatagramProtocol):
    """A user agent talking to the PBX at `pbx`: bound to `host:port` over UDP, or over one TCP/TLS
    connection to the PBX (`transport`)."""

    def __init__(
        self,
        pbx: tuple[str, int],
        host: str = "127.0.0.1",
        *,
        timeout: float = TIMER_B,
        transport: str = "udp",
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown SIP transport {transport!r} (udp, tcp or tls)")
        self.pbx = pbx
        self.host = host
        self.timeout = timeout
        self.kind = transport
        self.port = 0
        self.transport: asyncio.DatagramTransport | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self.retransmissions = 0
        self.sent = 0
        self.calls: dict[str, Call] = {}
        self.garbage = 0
        self.on_request: Callable[[SipMessage], None] | None = None
        self._tx: dict[str, _Tx] = {}
        # (flow, username@domain) -> (call-id, from tag, next cseq): one registering UA per flow
        self._reg: dict[tuple[int, str], tuple[str, str, int]] = {}
        self._answers: dict[tuple[str, int], bytes] = {}  # (call-id, cseq) -> our 200 to that INVITE
        self._late: set[asyncio.Task[int]] = set()  # BYEs of calls answered after their timeout

    # -- life cycle -------------------------------------------------------------------------------
    @classmethod
    async def open(
        cls,
        pbx: tuple[str, int],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        transport: str = "udp",
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = TIMER_B,
    ) -> UserAgent:
        """A new agent: over UDP bound to `host:port` (0: any free port); over TCP or TLS connected to
        the PBX from `host` (TLS verifies the PBX against `ssl_context`)."""
        loop = asyncio.get_running_loop()
        if transport == "udp":
            _, ua = await loop.create_datagram_endpoint(
                lambda: cls(pbx, host, timeout=timeout, transport="udp"), local_addr=(host, port)
            )
            return ua
        ua = cls(pbx, host, timeout=timeout, transport=transport)
        if transport == "tls" and ssl_context is None:
            raise ValueError("a TLS agent needs the PBX's CA (ssl_context)")
        reader, writer = await asyncio.open_connection(
            pbx[0],
            pbx[1],
            ssl=ssl_context if transport == "tls" else None,
            server_hostname=pbx[0] if transport == "tls" else None,
            local_addr=(host, port),
            limit=_MAX_MESSAGE,
        )
        ua.writer = writer
        ua.port = writer.get_extra_info("sockname")[1]
        ua._reader_task = loop.create_task(ua._read_stream(reader))
        return ua

    async def _read_stream(self, reader: asyncio.StreamReader) -> None:
        """RFC 3261 §18.3: over a stream, each message ends after Content-Length bytes of body."""
        with contextlib.suppress(
            asyncio.IncompleteReadError, OSError, asyncio.LimitOverrunError, ValueError
        ):  # ValueError: a Content-Length that is no number; the stream cannot be framed any more
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).lstrip(b"\r\n")  # keep-alive CRLFs
                if not head:
                    continue
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() in (b"content-length", b"l"):
                        length = int(value.strip() or b"0")
                body = await reader.readexactly(length) if length else b""
                self.datagram_received(head + body, self.pbx)
        self._fail_pending("connection closed by the PBX")

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # noqa: D102
        self.transport = transport  # type: ignore[assignment]
        self.port = transport.get_extra_info("sockname")[1]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # A tenant's limit check answers N INVITEs at once: with long tenant domains the burst
            # overflowed the default 208 KB buffer, and a lost 2xx is never retransmitted by our UAS.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)

    def _fail_pending(self, why: str) -> None:
        for tx in self._tx.values():
            if tx.timer:
                tx.timer.cancel()
            if not tx.future.done():
                tx.future.set_exception(SipTimeout(why))
        self._tx.clear()

    def close(self) -> None:
        """Close the socket or connection and fail every pending transaction."""
        self._fail_pending("agent closed")
        if self.transport is not None:
            self.transport.close()
        if self.writer is not None:
            self.writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()

    async def __aenter__(self) -> UserAgent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # -- wire ----------------------------------------------------------------------------------------
    @property
    def reliable(self) -> bool:
        """True over TCP/TLS: no retransmissions (RFC 3261 §17.1.1.2)."""
        return self.kind != "udp"

    def send(self, data: bytes, addr: tuple[str, int] | None = None) -> None:
        """Send raw bytes (to the PBX unless `addr`; over a stream always along the connection)."""
        self.sent += 1
        if self.writer is not None:
            self.writer.write(data)
            return
        assert self.transport is not None
        self.transport.sendto(data, addr or self.pbx)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # noqa: D102
        try:
            msg = SipMessage.parse(data)
            if msg.is_request:
                self._on_request(msg, addr)
            else:
                self._on_response(msg)
        except (SipParseError, ValueError, IndexError):
            self.garbage += 1

    def _on_response(self, msg: SipMessage) -> None:
        tx = self._tx.get(msg.branch or "")
        if tx is None:
            call = self.calls.get(msg.call_id)
            if msg.method == "INVITE" and 200 <= msg.code < 300 and call is not None:
                if call.ack:
                    self.send(call.ack)  # a retransmitted 2xx: ACK again
                elif call.state == "timeout":  # answered after we gave up: ACK it, then hang up
                    self._confirm(call, msg)
                    task = asyncio.get_running_loop().create_task(self.hangup(call))
                    self._late.add(task)
                    task.add_done_callback(self._late.discard)
            return
        tx.codes.append(msg.code)
        if msg.code < 200:
            if tx.invite and tx.timer:
                tx.timer.cancel()
                tx.timer = None
            return
        if tx.timer:
            tx.timer.cancel()
        self._tx.pop(msg.branch or "", None)
        if not tx.future.done():
            tx.future.set_result(msg)

    def _retransmit(self, branch: str) -> None:
        tx = self._tx.get(branch)
        if tx is None or tx.future.done():
            return
        self.send(tx.data)
        self.retransmissions += 1
        tx.interval = tx.interval * 2 if tx.invite else min(tx.interval * 2, T2)
        tx.timer = asyncio.get_running_loop().call_later(tx.interval, self._retransmit, branch)

    def _expire(self, branch: str) -> None:
        tx = self._tx.get(branch)
        if tx is not None and not tx.future.done():
            tx.future.set_exception(SipTimeout(f"no final response within {self.timeout}s"))

    async def transact(self, req: SipMessage) -> tuple[SipMessage, list[int]]:
        """Send `req` as a client transaction; return its final response and every code seen."""
        branch = req.branch or ""
        loop = asyncio.get_running_loop()
        tx = _Tx(req.encode(), loop.create_future(), req.method == "INVITE")
        self._tx[branch] = tx
        self.send(tx.data)
        if not self.reliable:
            tx.timer = loop.call_later(T1, self._retransmit, branch)
        # One timer per transaction instead of asyncio.wait_for (which costs a task per request).
        tx.expiry = loop.call_later(self.timeout, self._expire, branch)
        try:
            final = await tx.future
        except SipTimeout as exc:
            raise SipTimeout(f"no final response to {req.method} {req.uri} within {self.timeout}s") from exc
        finally:
            self._tx.pop(branch, None)
            for handle in (tx.timer, tx.expiry):
                if handle is not None:
                    handle.cancel()
        return final, tx.codes

    # -- building ---------------------------------------------------------------------------------
    def via(self, branch: str | None = None) -> str:
        """Our Via header value with a fresh (or given) branch."""
        return f"SIP/2.0/{self.kind.upper()} {self.host}:{self.port};branch={branch or new_branch()};rport"

    def contact(self, ident: Identity) -> str:
        """Our Contact for `ident` (over TCP/TLS the PBX reaches us along our connection)."""
        param = "" if self.kind == "udp" else f";transport={self.kind}"
        return f"<sip:{ident.username}@{self.host}:{self.port}{param}>"

    async def _with_auth(
        self,
        ident: Identity,
        build: Callable[[int, tuple[str, str] | None], SipMessage],
        cseq: int,
        ha1: str | None = None,
        sign_uri: str | None = None,
    ) -> tuple[Result, SipMessage, int]:
        """Send build(cseq, None); answer one 401/407 challenge (cseq+1). Return result, request, cseq.

        `sign_uri` signs another digest-uri than the Request-URI (to test that the PBX refuses it)."""
        req = build(cseq, None)
        final, codes = await self.transact(req)
        all_codes = list(codes)
        if final.code in (401, 407):
            if req.method == "INVITE":
                self._ack_non2xx(req, final)
            name = "Proxy-Authenticate" if final.code == 407 else "WWW-Authenticate"
            challenge = Challenge.parse(final.get(name, ""), proxy=final.code == 407)
            uri = sign_uri or req.uri
            cseq += 1
            value = authorization(
                challenge, username=ident.username, ha1_hex=ha1 or ident.ha1, method=req.method, uri=uri
            )
            req = build(cseq, (challenge.reply_header, value))
            final, codes = await self.transact(req)
            all_codes += codes
        if req.method == "INVITE" and final.code >= 300:
            self._ack_non2xx(req, final)
        return Result(final, all_codes), req, cseq

    def _ack_non2xx(self, invite: SipMessage, final: SipMessage) -> None:
        """RFC 3261 §17.1.1.3: the ACK of a non-2xx final response, in the INVITE's transaction."""
        headers = [
            ("Via", invite.get("Via", "")),
            ("Max-Forwards", "70"),
            ("From", invite.get("From", "")),
            ("To", final.get("To", "")),
            ("Call-ID", invite.call_id),
            ("CSeq", f"{invite.cseq[0]} ACK"),
        ]
        headers += [("Route", r) for r in invite.get_all("Route")]
        self.send(request("ACK", invite.uri, headers).encode())

    # -- registration ------------------------------------------------------------------------------
    async def register(
        self,
        ident: Identity,
        expires: int = 300,
        *,
        ha1: str | None = None,
        flow: int = 0,
        sign_uri: str | None = None,
    ) -> Result:
        """REGISTER `ident` with our contact (expires 0: unregister); `ha1` overrides (wrong password).

        Requests of one `flow` must not overlap (each flow is one RFC 3261 §10.2 UA); concurrent
        registrations of one account use distinct flows."""
        key = (flow, f"{ident.username}@{ident.domain}")
        call_id, tag, cseq = self._reg.get(key) or (new_call_id(self.host), new_tag(), 1)
        self._reg[key] = (call_id, tag, cseq + 2)  # reserved now: a request and its challenge answer

        def build(n: int, auth: tuple[str, str] | None) -> SipMessage:
            headers = [
                ("Via", self.via()),
                ("Max-Forwards", "70"),
                ("From", f"<{ident.aor}>;tag={tag}"),
                ("To", f"<{ident.aor}>"),
                ("Call-ID", call_id),
                ("CSeq", f"{n} REGISTER"),
                ("Contact", self.contact(ident)),
                ("Expires", str(expires)),
            ]
            if auth:
                headers.append(auth)
            return request("REGISTER", f"sip:{ident.domain}", headers)

        result, _, cseq = await self._with_auth(ident, build, cseq, ha1, sign_uri)
        self._reg[key] = (call_id, tag, max(cseq + 1, self._reg[key][2]))
        return result

    async def unregister(self, ident: Identity) -> Result:
        """Remove our binding of `ident` (REGISTER with Expires: 0)."""
        return await self.register(ident, expires=0)

    async def options(self) -> int:
        """OPTIONS to the PBX itself; return the status code."""
        headers = [
            ("Via", self.via()),
            ("Max-Forwards", "70"),
            ("From", f"<sip:probe@{self.host}>;tag={new_tag()}"),
            ("To", f"<sip:{self.pbx[0]}:{self.pbx[1]}>"),
            ("Call-ID", new_call_id(self.host)),
            ("CSeq", "1 OPTIONS"),
        ]
        final, _ = await self.transact(request("OPTIONS", f"sip:{self.pbx[0]}:{self.pbx[1]}", headers))
        return final.code

    # -- calls -----------------------------------------------------------------------------------------
    async def invite(
        self,
        caller: Identity,
        callee_user: str,
        callee_domain: str | None = None,
        *,
        authenticate: bool = True,
    ) -> Call:
        """Call `callee_user@domain` as `caller`; return the Call (state up or refused, codes seen)."""
        domain = callee_domain or caller.domain
        target = f"sip:{callee_user}@{domain}"
        call = Call(new_call_id(self.host), caller.aor, new_tag(), target, "caller")
        self.calls[call.call_id] = call
        body = _SDP.format(host=self.host, rtp=self.port + 1).encode()

        def build(n: int, auth: tuple[str, str] | None) -> SipMessage:
            headers = [
                ("Via", self.via()),
                ("Max-Forwards", "70"),
                ("From", f"<{caller.aor}>;tag={call.local_tag}"),
                ("To", f"<{target}>"),
                ("Call-ID", call.call_id),
                ("CSeq", f"{n} INVITE"),
                ("Contact", self.contact(caller)),
                ("Content-Type", "application/sdp"),
            ]
            if auth:
                headers.append(auth)
            return request("INVITE", target, headers, body)

        try:
            if authenticate:
                result, req, cseq = await self._with_auth(caller, build, 1)
                final, codes = result.final, result.codes
            else:
                req = build(1, None)
                final, codes = await self.transact(req)
                cseq = 1
                if final.code >= 300:
                    self._ack_non2xx(req, final)
        except SipTimeout:
            call.state = "timeout"  # kept: a late 2xx is ACKed and hung up (see _on_response)
            raise
        call.codes, call.final, call.invite_cseq, call.local_cseq = codes, final, cseq, cseq
        if 200 <= final.code < 300:
            self._confirm(call, final)
        else:
            call.state = "refused"
            self.calls.pop(call.call_id, None)
        return call

    def _confirm(self, call: Call, final: SipMessage) -> None:
        """Take the dialog state from a 2xx and ACK it (RFC 3261 §13.2.2.4)."""
        call.state = "up"
        call.remote_tag = tag_of(final.get("To"))
        call.remote_target = uri_of(final.get("Contact", call.remote_uri))
        call.route_set = list(reversed(final.get_all("Record-Route")))
        call.invite_cseq = call.local_cseq = final.cseq[0]
        call.ack = self.in_dialog(call, "ACK", cseq=call.invite_cseq).encode()
        self.send(call.ack)

    def in_dialog(self, call: Call, method: str, *, cseq: int) -> SipMessage:
        """Build an in-dialog request along the route set (loose routing)."""
        headers = [("Via", self.via()), ("Max-Forwards", "70")]
        headers += [("Route", r) for r in call.route_set]
        headers += [
            ("From", f"<{call.local_uri}>;tag={call.local_tag}"),
            ("To", f"<{call.remote_uri}>" + (f";tag={call.remote_tag}" if call.remote_tag else "")),
            ("Call-ID", call.call_id),
            ("CSeq", f"{cseq} {method}"),
        ]
        return request(method, call.remote_target or call.remote_uri, headers)

    async def hangup(self, call: Call) -> int:
        """Send BYE in `call`'s dialog; return the final status code."""
        call.local_cseq += 1
        final, _ = await self.transact(self.in_dialog(call, "BYE", cseq=call.local_cseq))
        call.state = "ended"
        self.calls.pop(call.call_id, None)
        return final.code

    # -- server side -----------------------------------------------------------------------------------
    def _reply(self, req: SipMessage, addr: tuple[str, int], code: int, reason: str, **kw: object) -> bytes:
        data = response_to(req, code, reason, **kw).encode()  # type: ignore[arg-type]
        self.send(data, addr)
        return data

    def _on_request(self, req: SipMessage, addr: tuple[str, int]) -> None:
        if self.on_request is not None:
            self.on_request(req)
        method = req.method
        if method == "INVITE":
            self._on_invite(req, addr)
        elif method == "ACK":
            call = self.calls.get(req.call_id)
            if call is not None and call.role == "callee":
                call.state = "up"
        elif method == "BYE":
            call = self.calls.pop(req.call_id, None)
            if call is not None:
                call.state = "ended"
            self._reply(req, addr, 200 if call else 481, "OK" if call else "Call/Transaction Does Not Exist")
        elif method in ("OPTIONS", "CANCEL"):
            self._reply(req, addr, 200, "OK")
        else:
            self._reply(req, addr, 405, "Method Not Allowed")

    def _on_invite(self, req: SipMessage, addr: tuple[str, int]) -> None:
        key = (req.call_id, req.cseq[0])
        if key in self._answers:  # a retransmitted INVITE: same answer
            self.send(self._answers[key], addr)
            return
        local_tag = new_tag()
        user = uri_of(req.uri).split(":", 1)[-1].split("@")[0]
        call = Call(
            req.call_id,
            uri_of(req.get("To", "")),
            local_tag,
            uri_of(req.get("From", "")),
            "callee",
            remote_tag=tag_of(req.get("From")),
            remote_target=uri_of(req.get("Contact", "")),
            route_set=req.get_all("Record-Route"),
            state="answered",
            local_cseq=0,
        )
        self.calls[req.call_id] = call
        body = _SDP.format(host=self.host, rtp=self.port + 1).encode()
        contact = self.contact(Identity(user, "", ""))
        self._answers[key] = self._reply(
            req,
            addr,
            200,
            "OK",
            to_tag=local_tag,
            body=body,
            extra=[("Contact", contact), ("Content-Type", "application/sdp")],
        )


async def settle(delay: float = 0.05) -> None:
    """Give in-flight datagrams (an ACK, a BYE's relay) a moment to land."""
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.sleep(delay)
