"""Kamailio's control FIFO (jsonrpcs, transport 2): read counters without opening a network port."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import time
from pathlib import Path
from typing import Any

from contracts.errors import StateError


def rpc(fifo: Path, method: str, *params: Any, timeout: float = 5.0) -> Any:
    """Call `method` over the jsonrpcs FIFO and return its `result` (StateError on error/timeout)."""
    reply_name = f"centrex_reply_{os.getpid()}_{secrets.token_hex(4)}"
    reply = fifo.parent / reply_name
    os.mkfifo(reply, 0o600)
    try:
        # Open our end first (non-blocking) so Kamailio's write finds a reader.
        rfd = os.open(reply, os.O_RDONLY | os.O_NONBLOCK)
        try:
            req = {
                "jsonrpc": "2.0",
                "method": method,
                "params": list(params),
                "reply_name": reply_name,
                "id": 1,
            }
            try:
                wfd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                raise StateError(f"PBX control FIFO {fifo} unavailable ({exc.strerror})") from exc
            with os.fdopen(wfd, "w") as w:
                w.write(json.dumps(req) + "\n")
            data = b""
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StateError(f"no answer to RPC {method} from the PBX")
                ready, _, _ = select.select([rfd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(rfd, 65536)
                if chunk:
                    data += chunk
                    with contextlib.suppress(ValueError):
                        answer = json.loads(data)
                        break
                else:
                    time.sleep(0.01)
        finally:
            os.close(rfd)
    finally:
        with contextlib.suppress(FileNotFoundError):
            reply.unlink()
    if "error" in answer:
        raise StateError(f"RPC {method}: {answer['error'].get('message', answer['error'])}")
    return answer.get("result")


def active_calls(fifo: Path) -> int:
    """Return the number of dialogs up (dlg.stats_active: early + answering + ongoing)."""
    stats = rpc(fifo, "dlg.stats_active")
    return int(
        sum(int(v) for k, v in stats.items() if k in ("starting", "connecting", "answering", "ongoing"))
    )


def tenant_calls(fifo: Path, tenant: str) -> int:
    """Return the calls holding a channel of `tenant` (its `calls` dialog-profile size): unlike
    `active_calls`, unaffected by other tenants' calls, so checks of several tenants may overlap."""
    return int(rpc(fifo, "dlg.profile_get_size", "calls", tenant))


async def wait_active(fifo: Path, expected: int, within: float = 5.0) -> int:
    """Poll the dialog count until it equals `expected` (a relayed BYE may land a moment later) or
    `within` seconds pass; return the last count."""
    import asyncio

    deadline = time.monotonic() + within
    count = active_calls(fifo)
    while count != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        count = active_calls(fifo)
    return count


def registered_contacts(fifo: Path) -> int:
    """Return the number of registered addresses of record (AoRs) in the location table."""
    dump = rpc(fifo, "ul.dump", "brief")
    return sum(int(d.get("Domain", {}).get("Stats", {}).get("Records", 0)) for d in dump.get("Domains", []))
