"""`sip load` against a real Kamailio: registrations and concurrent calls across tenants."""

import asyncio
import re
from collections import Counter

import pytest
from netem import DelayingRelay

from contracts.errors import InputError
from sip import control
from sip.checks import Target
from sip.inventory import build_inventory
from sip.load import drive_registrations, plan_calls, run_load

pytestmark = pytest.mark.sip


@pytest.fixture(scope="module")
def target(pbx_factory, bench_inventory):
    pbx = pbx_factory(bench_inventory)
    yield Target.of(pbx)
    pbx.stop()


def test_calls_fill_every_tenant_then_overflow(target):
    plan = plan_calls(target, 10)
    assert sorted(plan.count(t) for t in ("one", "three", "four")) == [2, 4, 4]


def test_load_within_limits_refuses_nothing_and_beyond_refuses_exactly_the_excess(target):
    result = run_load(target, registrations=300, rate=0, calls=8 + 3)
    assert result["registrations_ok"] == 300 and result["registrations_failed"] == 0
    assert result["calls_accepted"] == 8 and result["calls_held"] == 8
    assert result["refused_at_limit"] == 3
    assert result["wrongly_refused"] == 0 and result["over_admitted"] == 0 and result["failed"] == 0
    assert result["bye_ok"] == 8
    assert control.registered_contacts(target.fifo) == 0  # the load removed every binding it made


def test_bad_load_input(target):
    with pytest.raises(InputError, match="unknown tenant"):
        run_load(target, 1, 0, 1, tenant="ghost")
    with pytest.raises(InputError, match="≥ 0"):
        run_load(target, -1, 0, 0)


def test_offered_rate_and_one_tenant(target):
    result = run_load(target, registrations=40, rate=400, calls=2, tenant="three")
    assert result["registrations_ok"] == 40 and result["register_codes"] == {"200": 40}
    assert list(result["tenants"]) == ["three"] and result["calls_accepted"] == 2
    assert plan_calls(target, 5, "one") == ["one"] * 5


async def _through_a_reordering_network(target: Target) -> tuple[dict[int, int], list[tuple[str, int]]]:
    """50 flows over 5 accounts (10 concurrent REGISTERs per account), every 5th datagram held back
    150 ms on its way to the PBX. Returns the codes and the (Call-ID, CSeq) of each authenticated
    REGISTER in the order the PBX received them."""
    relay = await DelayingRelay.open(target.address, every=5, delay=0.15)
    wire: list[tuple[str, int]] = []
    forward = relay.back.sendto

    def record(data: bytes, addr: tuple[str, int]) -> None:
        text = data.decode()
        if "Authorization:" in text and "Expires: 300" in text:  # not the unregistrations at the end
            call_id = re.search(r"Call-ID: (\S+)", text).group(1)
            wire.append((call_id, int(re.search(r"CSeq: (\d+)", text).group(1))))
        forward(data, addr)

    relay.back.sendto = record
    try:
        via_relay = Target(target.host, relay.address[1], target.fifo, target.inventory)
        load = await drive_registrations(via_relay, 300, concurrency=50)
    finally:
        relay.close()
    await asyncio.sleep(0.3)  # held datagrams still on their way
    return load.codes, wire


def test_concurrent_registers_of_one_account_keep_rfc3261_call_id_and_cseq(pbx_factory):
    """RFC 3261 §10.2: per Call-ID the CSeq only rises. The client before this fix shared one Call-ID
    and CSeq per account between concurrent flows: duplicate and falling CSeqs, and Kamailio's
    400 "invalid cseq" once a held-back request arrived late."""
    pbx = pbx_factory(build_inventory({"solo": (1, [f"u{i}" for i in range(5)])}))
    try:
        codes, wire = asyncio.run(_through_a_reordering_network(Target.of(pbx)))
        log = pbx.log_text()
    finally:
        pbx.stop()
    assert codes == {200: 300}
    assert len(wire) == 300
    duplicates = [k for k, n in Counter(wire).items() if n > 1]
    assert duplicates == []
    highest: dict[str, int] = {}
    for call_id, cseq in wire:
        # sent in order per flow; a held datagram may arrive after a later one of its own flow only
        # if the flow did not wait for its answer — it does, so arrival order is send order too
        assert cseq > highest.get(call_id, 0), (call_id, cseq)
        highest[call_id] = cseq
    assert "invalid cseq" not in log


def test_load_counts_every_code_and_fails_on_refusals(pbx_factory):
    """A wrong password on every account: every REGISTER refused, each code counted, the load failed."""
    inv = build_inventory({"solo": (1, ["a", "b"])})
    pbx = pbx_factory(inv)
    try:
        wrong = build_inventory({"solo": (1, ["a", "b"])})  # same names, other (random) passwords
        result = run_load(Target(pbx.settings.host, pbx.settings.port, pbx.fifo, wrong), 20, 0, 0)
    finally:
        pbx.stop()
    assert result["register_codes"] == {"401": 20}
    assert result["registrations_failed"] == 20 and result["passed"] is False
    assert result["pike_engaged"] is False


def test_load_reports_pike_from_the_pbx_log(pbx_factory, bench_inventory):
    """A low pike density: the PBX blocks the client, and the load says so (from kamailio.log)."""
    pbx = pbx_factory(bench_inventory, pike_density=30, pike_unit_s=2)
    try:
        load = asyncio.run(drive_registrations(Target.of(pbx), 400, concurrency=50, timeout=2.0))
    finally:
        pbx.stop()
    assert load.pike.engaged and load.pike.blocks >= 1 and load.pike.flood_drops >= 1
    assert load.failed > 0 and load.timeouts > 0


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_load_over_streams(pbx_factory, transport):
    pbx = pbx_factory(build_inventory({"solo": (2, ["s1", "s2", "s3"])}))
    try:
        result = run_load(Target.of(pbx, transport), registrations=60, rate=0, calls=3, concurrency=6)
    finally:
        pbx.stop()
    assert result["transport"] == transport and result["register_codes"] == {"200": 60}
    assert result["retransmissions"] == 0  # reliable transports retransmit nothing
    assert result["calls_accepted"] == 2 and result["refused_at_limit"] == 1 and result["passed"] is True
