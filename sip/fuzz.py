"""Malformed and oversized packets crafted with scapy, to show the PBX keeps answering."""

from __future__ import annotations

import os
import random
import socket

_OPTIONS = (
    "OPTIONS sip:{host}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {host}:{sport};branch=z9hG4bKfz{n}\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:fuzz@{host}>;tag=fz{n}\r\nTo: <sip:{host}:{port}>\r\n"
    "{callid}CSeq: {n} OPTIONS\r\n{extra}Content-Length: {length}\r\n\r\n{body}"
)


def payloads(host: str, port: int, sport: int, seed: int = 1400) -> list[tuple[str, bytes]]:
    """Return (name, bytes) of each hostile packet: missing Call-ID, broken headers, huge
    Content-Length, random bytes, a 60 KB packet, 1000 Via headers, a broken Authorization."""
    rng = random.Random(seed)

    def opt(
        n: int, *, callid: bool = True, extra: str = "", length: str | None = None, body: str = ""
    ) -> bytes:
        return _OPTIONS.format(
            host=host,
            port=port,
            sport=sport,
            n=n,
            extra=extra,
            body=body,
            callid=f"Call-ID: fuzz{n}@{host}\r\n" if callid else "",
            length=length if length is not None else len(body),
        ).encode()

    vias = "".join(
        f"Via: SIP/2.0/UDP 10.0.{i // 250}.{i % 250}:5060;branch=z9hG4bKv{i}\r\n" for i in range(1000)
    )
    return [
        ("missing Call-ID", opt(1, callid=False)),
        (
            "broken headers",
            b"INVITE sip:alice@x SIP/2.0\r\nVia SIP/2.0/UDP\r\nFrom: <<<>>;tag=\r\nTo:\r\n"
            b"CSeq: x INVITE\r\n\xff\xfe: \x00\r\n\r\n",
        ),
        ("huge Content-Length", opt(3, length="4294967295", body="v=0")),
        ("negative Content-Length", opt(4, length="-20")),
        ("random bytes", bytes(rng.getrandbits(8) for _ in range(1400))),
        ("oversized 60 KB", opt(6, extra="X-Pad: " + "A" * 60000 + "\r\n")),
        ("1000 Via headers", opt(7, extra=vias)),
        ("broken Authorization", opt(8, extra='Authorization: Digest username="alice",realm=,nonce="\r\n')),
        ("bad request line", b"GARBAGE\r\n\r\n"),
        ("empty datagram", b"\r\n\r\n"),
    ]


def send_all(host: str, port: int, packets: list[tuple[str, bytes]], sport: int) -> str:
    """Send `packets` to host:port from `sport`: with scapy at layer 3 when root, else a UDP socket.

    Returns how they were sent ("scapy" or "socket").
    """
    if os.geteuid() == 0:
        from scapy.all import IP, UDP, Raw, send  # scapy is slow to import: only when used

        # SIP-NOTES: send(list, iface="lo") raises AttributeError; without iface it routes via lo.
        send([IP(dst=host) / UDP(sport=sport, dport=port) / Raw(load=data) for _, data in packets], verbose=0)
        return "scapy"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, sport))
        for _, data in packets:
            s.sendto(data, (host, port))
    return "socket"
