"""pyVoIP 1.6.8 phones against the test PBX, used only within pyVoIP's known limits (SIP-NOTES).

pyVoIP answers only 401 challenges and computes HA1 from a password; the harness holds HA1 only, so
each phone's `gen_authorization` is replaced by one that signs with HA1 (same formula as pyVoIP's).
pyVoIP puts the PBX address in its From/To domain: the PBX resolves its realm from the username.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sip.digest import md5_hex
from sip.pbx import free_udp_port


@dataclass
class PhoneOutcome:
    """What a pyVoIP phone did: registration status, call state reached, errors."""

    registered: bool
    call_state: str
    hung_up: bool
    detail: str


def _sign_with_ha1(client: object, ha1_hex: str) -> None:
    def gen_authorization(request: object) -> bytes:
        auth = request.authentication  # type: ignore[attr-defined]
        ha2 = md5_hex(f"{request.headers['CSeq']['method']}:sip:{client.server};transport=UDP")  # type: ignore[attr-defined]
        return md5_hex(f"{ha1_hex}:{auth['nonce']}:{ha2}").encode()

    client.gen_authorization = gen_authorization  # type: ignore[attr-defined]


def register_and_call(
    host: str, port: int, username: str, ha1_hex: str, callee: str, wait: float = 8.0
) -> PhoneOutcome:
    """Start a pyVoIP phone as `username`, call `callee`, hang up once answered, stop the phone."""
    from pyVoIP.VoIP import CallState, PhoneStatus, VoIPPhone

    rtp = free_udp_port(host)
    phone = VoIPPhone(
        host,
        port,
        username,
        "unused-the-phone-signs-with-HA1",
        myIP=host,
        sipPort=free_udp_port(host),
        rtpPortLow=rtp,
        rtpPortHigh=rtp + 20,
    )
    _sign_with_ha1(phone.sip, ha1_hex)
    registered, state, hung_up, detail = False, "not placed", False, ""
    try:
        phone.start()
        registered = phone.get_status() == PhoneStatus.REGISTERED
        if registered:
            call = phone.call(callee)
            deadline = time.monotonic() + wait
            while call.state not in (CallState.ANSWERED, CallState.ENDED) and time.monotonic() < deadline:
                time.sleep(0.05)
            state = call.state.value
            if call.state == CallState.ANSWERED:
                call.hangup()
                hung_up = True
        else:
            detail = f"status {phone.get_status().value}"
    except Exception as exc:  # noqa: BLE001 - pyVoIP raises bare exceptions; report them as evidence
        detail = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            phone.stop()
        except Exception as exc:  # noqa: BLE001
            detail = detail or f"stop: {type(exc).__name__}: {exc}"
    return PhoneOutcome(registered, state, hung_up, detail)
