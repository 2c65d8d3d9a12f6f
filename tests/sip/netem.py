"""A loopback UDP relay that delays some datagrams on their way to the PBX, so requests arrive out of
order as they do on a busy network (the PBX behind it is the real Kamailio)."""

from __future__ import annotations

import asyncio


class DelayingRelay(asyncio.DatagramProtocol):
    """Listen on a free loopback port; forward to `upstream`, holding every `every`-th client datagram
    back by `delay` seconds; answers from upstream go back to the client."""

    def __init__(self, upstream: tuple[str, int], every: int, delay: float) -> None:
        self.upstream = upstream
        self.every = every
        self.delay = delay
        self.seen = 0
        self.held = 0
        self.client: tuple[str, int] | None = None
        self.front: asyncio.DatagramTransport | None = None
        self.back: asyncio.DatagramTransport | None = None

    @classmethod
    async def open(cls, upstream: tuple[str, int], every: int = 5, delay: float = 0.15) -> DelayingRelay:
        loop = asyncio.get_running_loop()
        relay = cls(upstream, every, delay)
        relay.front, _ = await loop.create_datagram_endpoint(lambda: relay, local_addr=("127.0.0.1", 0))
        back = _Back(relay)
        relay.back, _ = await loop.create_datagram_endpoint(lambda: back, local_addr=("127.0.0.1", 0))
        return relay

    @property
    def address(self) -> tuple[str, int]:
        assert self.front is not None
        return self.front.get_extra_info("sockname")[:2]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.client = addr
        self.seen += 1
        assert self.back is not None
        if self.seen % self.every == 0:
            self.held += 1
            asyncio.get_running_loop().call_later(self.delay, self.back.sendto, data, self.upstream)
        else:
            self.back.sendto(data, self.upstream)

    def close(self) -> None:
        for t in (self.front, self.back):
            if t is not None:
                t.close()


class _Back(asyncio.DatagramProtocol):
    def __init__(self, relay: DelayingRelay) -> None:
        self.relay = relay

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.relay.client is not None and self.relay.front is not None:
            self.relay.front.sendto(data, self.relay.client)
